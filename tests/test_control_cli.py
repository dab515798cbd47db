"""``rlcli control``: S&B Example 6.6 (cliff walking), the command's contract, and the
regressions from the review of issue 4 (terminal start states, negative seeds, greedy
policies that never end)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.learn.actions import greedy_pairs, pair_table
from rlcli.learn.control import ControlSetting, run_control
from rlcli.learn.episodes import start_distribution
from rlcli.mdp.read.load import load_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def run(*args: str):
    return CliRunner().invoke(app, ["control", *args])


def greedy_path_return(mdp, pi: np.ndarray, limit: int = 200) -> float:
    """Follow a deterministic policy in a deterministic MDP from the start; sum rewards."""
    s, total = int(np.argmax(mdp.start)), 0.0
    for _ in range(limit):
        if mdp.terminal[s]:
            return total
        k = next(k for k in mdp.pairs_of(s) if pi[k] > 0)
        z = mdp.out_ptr[k]
        total += mdp.out_reward[z]
        s = int(mdp.out_next[z])
    return -np.inf


def test_example_6_6_cliff_walking_sarsa_safe_q_learning_optimal_but_lower_online_return():
    # S&B Example 6.6 (ε = 0.1, α = 0.5): Q-learning learns the optimal path along the
    # cliff (return −13) but its online return is worse than SARSA's, which learns the
    # longer safe path.
    mdp = load_mdp(PROBLEMS / "cliff-walking.yaml")
    runs = 10
    sarsa, q_learning = run_control(
        mdp, [ControlSetting("sarsa", 0.5, 0.1), ControlSetting("q-learning", 0.5, 0.1)],
        start_distribution(mdp, None), runs, 300, 0, 10_000,
    )  # fmt: skip
    online_sarsa = sarsa.returns[:, 100:].mean(axis=1)
    online_q = q_learning.returns[:, 100:].mean(axis=1)
    # book: ≈ −25 vs ≈ −50; the gap is many standard errors wide with 10 runs
    assert online_q.mean() < online_sarsa.mean() - 10
    assert -35 < online_sarsa.mean() < -15 and -65 < online_q.mean() < -40
    q_paths = [greedy_path_return(mdp, pi) for pi in greedy_pairs(mdp, q_learning.q)]
    sarsa_paths = [greedy_path_return(mdp, pi) for pi in greedy_pairs(mdp, sarsa.q)]
    assert sum(r == -13 for r in q_paths) >= 8
    assert np.median(sarsa_paths) <= -15  # a path away from the edge


def test_expected_sarsa_beats_q_learning_online_on_the_cliff():
    # S&B Fig 6.3: Expected SARSA's online return is above Q-learning's at α = 0.5
    mdp = load_mdp(PROBLEMS / "cliff-walking.yaml")
    expected, q_learning = run_control(
        mdp, [ControlSetting("expected-sarsa", 0.5, 0.1), ControlSetting("q-learning", 0.5, 0.1)],
        start_distribution(mdp, None), 8, 200, 1, 10_000,
    )  # fmt: skip
    assert expected.returns[:, 50:].mean() > q_learning.returns[:, 50:].mean() + 10


def test_greedy_q_learning_on_a_two_armed_choice_finds_the_better_arm():
    # one state, "good" pays 1, "bad" pays 0, both end the episode: Q* = (1, 0)
    from rlcli.mdp.read.load import loads_mdp

    mdp = loads_mdp(
        "gamma: 1\nstates: [s, end]\nterminal: [end]\nstart: s\ntransitions:\n"
        "  s: {good: {next: end, r: 1}, bad: {next: end, r: 0}}\n",
        "arms.yaml",
    )
    for method in ("sarsa", "q-learning", "expected-sarsa", "double-q"):
        (result,) = run_control(mdp, [ControlSetting(method, 0.2, 0.3)], mdp.start, 5, 200, 3, 100)
        good = mdp.pair("s", "good")
        assert np.allclose(result.q[:, good], 1.0, atol=1e-3), method
        assert greedy_pairs(mdp, result.q)[:, good].all(), method


def test_pair_table_lists_each_states_actions():
    mdp = load_mdp(PROBLEMS / "student-mdp.yaml")
    table = pair_table(mdp)
    for s in range(mdp.n_states):
        listed = [k for k in table[s] if k < mdp.n_pairs]
        assert listed == list(mdp.pairs_of(s))


def test_json_contract_and_optimal_values():
    result = run("student-mdp", "--method", "q-learning,sarsa", "--runs", "3", "--episodes",
                 "50", "--alpha", "0.2", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # Silver lecture 2: v* = 6, 6, 8, 10 for Facebook, Class1, Class2, Class3
    assert doc["optimal_values"]["Class3"] == pytest.approx(10)
    assert doc["optimal_values"]["Facebook"] == pytest.approx(6)
    assert [r["method"] for r in doc["results"]] == ["q-learning", "sarsa"]
    for r in doc["results"]:
        assert len(r["episode_returns"]) == 50
        assert set(r["policy"]) == {"Facebook", "Class1", "Class2", "Class3"}
        assert r["alpha"] == 0.2 and r["epsilon"] == 0.1


def test_same_seed_same_bytes_different_seed_different_runs():
    args = ["cliff-walking", "--runs", "2", "--episodes", "20", "--method", "sarsa,double-q"]
    a, b, c = run(*args, "--seed", "1"), run(*args, "--seed", "1"), run(*args, "--seed", "2")
    assert a.exit_code == b.exit_code == c.exit_code == 0
    assert a.stdout == b.stdout and a.stdout != c.stdout


@pytest.mark.parametrize(
    "name",
    ["cliff-walking", "windy-gridworld", "frozenlake-4x4", "student-mdp", "gamblers-problem",
     "random-walk-5"],
)  # fmt: skip
def test_runs_on_suitable_problem_files(name):
    result = run(name, "--method", "q-learning,expected-sarsa", "--runs", "2", "--episodes",
                 "15", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert all(np.isfinite(r["episode_returns"]).all() for r in doc["results"])


def test_text_output_draws_learned_and_optimal_policies_on_the_grid():
    result = run("cliff-walking", "--method", "q-learning", "--alpha", "0.5", "--runs", "2",
                 "--episodes", "100")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "optimal (policy iteration)" in result.stdout
    assert "Q-learning α=0.5 ε=0.1: max_a Q, greedy" in " ".join(result.stdout.split())
    assert "→" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "dqn"], "unknown value 'dqn'"),
        (["--epsilon", "1.5"], "outside [0, 1]"),
        (["--episodes", "0"], "--episodes must be at least 1"),
        (["--start", "nowhere"], "no state named"),
    ],
)
def test_bad_options_exit_2(args, message):
    result = run("cliff-walking", *args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_continuing_task_needs_max_steps_and_then_runs():
    result = run("recycling-robot")
    assert result.exit_code == 2 and "pass --max-steps" in result.output
    result = run("recycling-robot", "--max-steps", "50", "--runs", "2", "--episodes", "5",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert all(r["cut_episodes"] == 10 for r in doc["results"])  # every episode is cut


def test_alpha_epsilon_sweep_and_csv(tmp_path):
    path = tmp_path / "returns.csv"
    result = run("student-mdp", "--method", "q-learning", "--alpha", "0.1,0.5", "--epsilon",
                 "0.05,0.2", "--runs", "2", "--episodes", "7", "--csv", str(path),
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    grid = [(r["alpha"], r["epsilon"]) for r in doc["results"]]
    assert grid == [(0.1, 0.05), (0.5, 0.05), (0.1, 0.2), (0.5, 0.2)]
    lines = path.read_text().splitlines()
    assert lines[0] == "learner,method,alpha,epsilon,episode,mean_return"
    assert len(lines) == 1 + 4 * 7
    first = lines[1].split(",")
    assert first[1:5] == ["q-learning", "0.1", "0.05", "1"]
    assert float(first[5]) == pytest.approx(doc["results"][0]["episode_returns"][0])


# ---- review of issue 4: terminal start states, negative seeds, never-ending greedy policies

WALK = """gamma: 1
states: [left_end, A, B, C, D, E, right_end]
terminal: [left_end, right_end]
start: {START}
transitions:
  A: {{walk: {{r: 0, next: {{left_end: 1/2, B: 1/2}}}}}}
  B: {{walk: {{r: 0, next: {{A: 1/2, C: 1/2}}}}}}
  C: {{walk: {{r: 0, next: {{B: 1/2, D: 1/2}}}}}}
  D: {{walk: {{r: 0, next: {{C: 1/2, E: 1/2}}}}}}
  E: {{walk: [{{next: D, p: 1/2, r: 0}}, {{next: right_end, p: 1/2, r: 1}}]}}
"""


def walk(tmp_path, start: str):
    path = tmp_path / "walk.yaml"
    path.write_text(WALK.format(START=start))
    return path


def test_start_distribution_with_a_terminal_state_gives_empty_episodes(tmp_path):
    # half the episodes start in right_end: length 0, return 0; the others are the
    # random walk from C, which exits right with probability 1/2 (return 1)
    mdp = load_mdp(walk(tmp_path, "{C: 0.5, right_end: 0.5}"))
    start = start_distribution(mdp, None)
    (result,) = run_control(mdp, [ControlSetting("sarsa", 0.1, 0.1)], start, 50, 40, 3, 1000)
    empty = result.lengths == 0
    assert empty.mean() == pytest.approx(0.5, abs=0.05)
    assert np.all(result.returns[empty] == 0)
    assert result.returns.mean() == pytest.approx(0.25, abs=0.04)
    out = run(str(walk(tmp_path, "{C: 0.5, right_end: 0.5}")), "--runs", "3", "--episodes", "4",
              "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.stdout)["results"][0]["episode_returns"]) == 4


def test_start_only_in_terminal_states_exits_2(tmp_path):
    result = run(str(walk(tmp_path, "right_end")), "--runs", "2", "--episodes", "2")
    assert result.exit_code == 2
    assert "every start state is terminal" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command", [["control", "random-walk-5"], ["estimate", "random-walk-5", "-p", "uniform"]]
)
def test_negative_seed_exits_2(command):
    result = CliRunner().invoke(app, [*command, "--seed", "-1", "--runs", "1", "--episodes", "1"])
    assert result.exit_code == 2
    assert "--seed" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_greedy_policy_that_never_ends_is_named_not_diverged():
    # 3 episodes of cliff walking leave greedy policies that walk into walls forever (γ = 1)
    result = run("cliff-walking", "--method", "sarsa", "--runs", "2", "--episodes", "3")
    assert result.exit_code == 0, result.output
    assert "never ends" in result.output
    assert "diverged" not in result.output


def test_greedy_start_cell_counts_the_runs_that_never_end():
    from rlcli.render.learning import greedy_start

    assert greedy_start(float("nan"), 3, 3) == "never ends"
    assert greedy_start(-13.0, 1, 3) == "-13\n(never ends 1/3 runs)"
    assert greedy_start(-13.0, 0, 3) == "-13"


# ---- issue 10: hostile and extreme inputs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "100000000", "--episodes", "1"], "lower --runs or --episodes"),
        (["--episodes", "1000000000000"], "× 1,000,000,000,000 episodes"),
        # 10⁴⁰⁰ runs once overflowed the size estimate's floats (a traceback)
        (
            ["--runs", "1" + "0" * 400],
            "--runs must be at most 1,000,000,000,000,000, got a number of 401 digits",
        ),
        (["--episodes", "1" + "0" * 16], "--episodes must be at most 1,000,000,000,000,000"),
        (["--alpha", "0_1"], "--alpha: '0_1' is not a number"),
        (["--epsilon", "١"], "--epsilon: '١' is not a number"),
        (["--init", "1e308"], "--init must be between"),
        (["--init", "1e308", "--json"], "--init must be between"),
        (["--init", "0_5"], "--init: '0_5' is not a number"),  # float() reads it as 5
        (["--init", "١"], "--init: '١' is not a number"),  # float() reads it as 1
        (["--init", "nan"], "--init: 'nan' is not a number"),
    ],
)
def test_hostile_sizes_and_numbers_exit_2(args, message):
    # before the fix: numpy's _ArrayMemoryError; --init 1e308 an OverflowError while
    # rendering, or warnings and nulls with --json
    result = run("cliff-walking", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    if "--json" in args:  # the output contract: stdout holds one JSON error document
        error = json.loads(result.stdout)["error"]
        assert error["code"] == 2 and message in error["message"]
    else:
        assert result.stdout == ""


def test_csv_never_overwrites_without_force(tmp_path):
    path = tmp_path / "returns.csv"
    path.write_text("mine")
    result = run("student-mdp", "--runs", "1", "--episodes", "2", "--csv", str(path))
    assert result.exit_code == 2 and "--csv" in result.output and "--force" in result.output
    assert path.read_text() == "mine"
    result = run("student-mdp", "--runs", "1", "--episodes", "2", "--csv", str(path), "--force")
    assert result.exit_code == 0 and path.read_text().startswith("learner,")

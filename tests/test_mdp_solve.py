"""Policy and value iteration against published values (S&B Figs 3.5, 4.3; Silver)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import NumericalError
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.arithmetic import Fractions
from rlcli.mdp.solve.optimal import policy_iteration, value_iteration

runner = CliRunner()


def first_row(mdp, values):
    return [values[mdp.state_index[f"r0c{c}"]] for c in range(mdp.layout.shape[1])]


def test_fig_3_5_v_star_first_row():
    mdp = load_mdp("problems/gridworld-5x5.yaml")
    pi = policy_iteration(mdp)
    np.testing.assert_allclose(first_row(mdp, pi.values), [22.0, 24.4, 22.0, 19.4, 17.5], atol=0.05)
    vi = value_iteration(mdp, epsilon=1e-6)
    assert np.max(np.abs(vi.values - pi.values)) < 1e-6  # the promised epsilon


def test_student_mdp_optimal():
    mdp = load_mdp("problems/student-mdp.yaml")
    sol = policy_iteration(mdp)
    v = dict(zip(mdp.states, sol.values, strict=True))
    assert [v[s] for s in ("Facebook", "Class1", "Class2", "Class3")] == pytest.approx(
        [6, 6, 8, 10]
    )
    chosen = mdp.policy_of_pairs(sol.policy)
    assert chosen == {"Facebook": "quit", "Class1": "study", "Class2": "study", "Class3": "study"}


def test_gamblers_problem_v50_and_ties():
    mdp = load_mdp("problems/gamblers-problem.yaml")
    sol = policy_iteration(mdp)
    assert sol.values[mdp.state_index["s50"]] == pytest.approx(0.4, abs=1e-12)
    exact = policy_iteration(mdp, field=Fractions(mdp))
    assert str(exact.exact_values[mdp.state_index["s50"]]) == "2/5"
    # many optimal policies: s51 may stake 1 or 49 (S&B Fig 4.3's two branches)
    tied = [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(51) if exact.optimal[k]]
    assert tied == ["stake1", "stake49"]
    assert np.array_equal(exact.optimal, sol.optimal)  # float tolerance finds the same ties
    assert exact.optimal.sum() > mdp.n_states  # several states have more than one


def test_recycling_robot_pi_matches_vi_and_brute_force():
    mdp = load_mdp("problems/recycling-robot.yaml")
    sol = policy_iteration(mdp)
    # brute force over the 2 x 3 deterministic policies
    from rlcli.mdp.policy import resolve_policy
    from rlcli.mdp.solve.evaluate import evaluate_policy

    best = max(
        (evaluate_policy(mdp, resolve_policy(mdp, f"high={a},low={b}")).values
         for a in ("search", "wait") for b in ("search", "wait", "recharge")),
        key=lambda v: v.sum(),
    )  # fmt: skip
    np.testing.assert_allclose(sol.values, best, atol=1e-10)
    vi = value_iteration(mdp, epsilon=1e-3)
    assert np.max(np.abs(vi.values - sol.values)) < 1e-3
    assert vi.bound == pytest.approx(1e-3 * 0.1 / 1.8)


def test_value_iteration_stopping_bound_is_honest_at_gamma_099():
    mdp = load_mdp("problems/frozenlake-4x4.yaml")
    exact = policy_iteration(mdp).values
    for eps in (1e-2, 1e-4):
        vi = value_iteration(mdp, epsilon=eps)
        assert np.max(np.abs(vi.values - exact)) < eps


def test_no_proper_policy_is_explained():
    text = json.dumps(
        {
            "gamma": 1,
            "states": ["a", "b", "end"],
            "terminal": ["end"],
            "transitions": {
                "a": {"go": {"next": "end", "r": 1}, "trap": {"next": "b", "r": 0}},
                "b": {"loop": {"next": "b", "r": -1}},
            },
        }
    )
    mdp = loads_mdp(text, "trap.json", json_format=True)
    with pytest.raises(NumericalError, match=r"no policy reaches a terminal state.*: b\."):
        policy_iteration(mdp)


def test_pi_at_gamma_1_starts_from_a_proper_policy():
    # first action everywhere loops forever; the reachability start avoids it
    text = json.dumps(
        {
            "gamma": 1,
            "states": ["a", "b", "end"],
            "terminal": ["end"],
            "transitions": {
                "a": {"loop": {"next": "a", "r": -1}, "go": {"next": "b", "r": -1}},
                "b": {"loop": {"next": "b", "r": -1}, "go": {"next": "end", "r": -1}},
            },
        }
    )
    sol = policy_iteration(loads_mdp(text, "c.json", json_format=True))
    np.testing.assert_allclose(sol.values, [-2, -1, 0])


def test_cli_solve_json_keys_and_ties():
    result = runner.invoke(app, ["mdp", "solve", "gridworld-4x4", "--json", "--trace"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["values"]["r0c3"] == -3
    assert doc["optimal_actions"]["r0c3"] == ["down", "left"]
    assert doc["iterations"] == len(doc["trace"])
    assert {"values", "q", "policy", "iterations", "trace"} <= set(doc)


def test_cli_solve_exact_and_value_iteration():
    result = runner.invoke(app, ["mdp", "solve", "recycling-robot", "--exact", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # optimal: search when high, recharge when low (alpha=0.8, beta=0.6, gamma=0.9)
    assert doc["policy"] == {"high": "search", "low": "recharge"}
    assert doc["exact"] == {"high": "1000/59", "low": "900/59"}
    result = runner.invoke(
        app, ["mdp", "solve", "student-mdp", "--method", "value-iteration", "--trace"]
    )
    assert result.exit_code == 0, result.output
    assert "values after k sweeps" in result.stdout


@pytest.mark.parametrize(
    "name",
    ["cliff-walking", "frozenlake-4x4", "gamblers-problem", "gridworld-4x4", "gridworld-5x5",
     "random-walk-19", "random-walk-5", "recycling-robot", "student-mdp", "windy-gridworld"],
)  # fmt: skip
def test_every_problem_solves_and_evaluates(name):
    for args in (["mdp", "solve", name], ["mdp", "evaluate", name, "-p", "uniform"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)


def test_cli_solve_bad_options():
    for args in (
        ["mdp", "solve", "student-mdp", "--epsilon", "0"],
        ["mdp", "solve", "student-mdp", "--method", "value-iteration", "--exact"],
        ["mdp", "solve", "student-mdp", "--method", "nope"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)


def test_cli_value_iteration_trace_json_and_bound():
    result = runner.invoke(
        app, ["mdp", "solve", "recycling-robot", "--method", "value-iteration", "--epsilon",
              "0.01", "--trace", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["bound"] == pytest.approx(0.01 * 0.1 / 1.8)
    assert len(doc["trace"]) == doc["iterations"]
    # sweep 1 from V0 = 0: V1(s) = max_a r(s, a); high: search = 2;
    # low: search = 0.6*2 + 0.4*(-3) = 0, wait = 1, recharge = 0, so 1
    assert doc["trace"][0]["values"] == {"high": 2.0, "low": 1.0}
    exact = {"high": 1000 / 59, "low": 900 / 59}  # cautious policy is optimal here
    assert all(abs(doc["values"][s] - v) < 0.01 for s, v in exact.items())


def test_cli_solve_markdown_table():
    result = runner.invoke(app, ["mdp", "solve", "student-mdp", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "| state | value | action |" in lines
    assert "| Class3 | 10 | study |" in lines
    result = runner.invoke(app, ["mdp", "solve", "student-mdp", "--format", "latex", "--exact"])
    assert r"\begin{tabular}{lrrr}" in result.stdout and "Class3 & 10 & 10 & study" in result.stdout


def test_registering_the_commands_imports_no_sympy_or_scipy():
    import subprocess
    import sys

    code = "import sys, rlcli.cli.mdp_solve; print(sorted({'sympy', 'scipy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# ---- regressions from the review of mdp evaluate | solve | equations (issue 3) ----


ZERO_LOOP = """
gamma: 1
states: [a, end]
terminal: [end]
transitions:
  a:
    go: {next: end, r: -1}
    stay: {next: a, r: 0}
"""


def _yaml(text: str, tmp_path, name: str = "m.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_zero_reward_loop_beating_a_costly_exit_is_refused_not_misreported(tmp_path):
    # staying forever earns 0 > -1 = the only proper policy's value: V*(a) = 0, not -1
    mdp = loads_mdp(ZERO_LOOP, "zeroloop.yaml")
    with pytest.raises(NumericalError, match="loop forever"):
        policy_iteration(mdp)
    with pytest.raises(NumericalError, match="loop forever"):
        policy_iteration(mdp, field=Fractions(mdp))
    result = runner.invoke(app, ["mdp", "solve", _yaml(ZERO_LOOP, tmp_path), "--json"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not attained by a proper policy" in result.output
    # value iteration reaches the supremum: V_1(a) = max(-1, 0) = 0, a fixed point
    vi = value_iteration(mdp)
    assert vi.values.tolist() == [0.0, 0.0]


def test_zero_reward_loop_that_does_not_pay_keeps_the_proper_answer():
    # stay ties with go (Q = 0 + V(a) = 1) but looping earns 0 < 1: V*(a) = 1 stands
    mdp = loads_mdp(ZERO_LOOP.replace("r: -1", "r: 1"), "loop.yaml")
    sol = policy_iteration(mdp)
    assert sol.values.tolist() == [1.0, 0.0]
    assert mdp.policy_of_pairs(sol.policy) == {"a": "go"}
    # stay ties only by looping forever (the policy "stay" earns 0): not reported optimal
    assert sol.optimal.tolist() == [True, False]
    assert policy_iteration(mdp, field=Fractions(mdp)).optimal.tolist() == [True, False]


def test_value_iteration_finds_exact_ties():
    # V*(b) = 1/(1 - 0.9) = 10, V*(d) = (10/9)/(1 - 0.9) = 100/9, V*(c) = 0.9 V*(d) = 10:
    # x and y tie at a, V*(a) = 9
    mdp = loads_mdp(
        """
gamma: 9/10
states: [a, b, c, d]
transitions:
  a: {x: {next: b, r: 0}, y: {next: c, r: 0}}
  b: {stay: {next: b, r: 1}}
  c: {go: {next: d, r: 0}}
  d: {stay: {next: d, r: 10/9}}
""",
        "vitie.yaml",
    )
    vi = value_iteration(mdp, epsilon=1e-6)
    np.testing.assert_allclose(vi.values, [9, 10, 10, 100 / 9], atol=1e-12)
    tied = [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(0) if vi.optimal[k]]
    assert tied == ["x", "y"]


def test_value_iteration_at_gamma_1_is_exact_when_the_greedy_policy_is_proper():
    # S&B Fig 4.1, gamma = 1: v* of the top row is 0, -1, -2, -3 exactly
    mdp = load_mdp("problems/gridworld-4x4.yaml")
    vi = value_iteration(mdp, epsilon=1e-3)
    top = [vi.values[mdp.state_index[f"r0c{c}"]] for c in range(4)]
    assert top == [0.0, -1.0, -2.0, -3.0]
    assert "V = V*" in vi.stopping


def test_value_iteration_detects_a_positive_loop_at_gamma_1_early():
    # stay earns +1 forever: V*(a) = +inf; must be explained within a few hundred sweeps
    mdp = loads_mdp(
        """
gamma: 1
states: [a, b, end]
terminal: [end]
transitions:
  a: {go: {next: end, r: 1}, stay: {next: a, r: 1}}
  b: {go: {next: end, r: 0}, toa: {next: a, r: 0}}
""",
        "loop.yaml",
    )
    with pytest.raises(NumericalError, match=r"diverges.*rise by 1 every sweep"):
        value_iteration(mdp, max_sweeps=1000)


def test_float_near_tie_picks_the_better_action():
    # gamma = 0: Q(x) = 1e6, Q(y) = 1e6 + 1e-4; only y is optimal
    mdp = loads_mdp(
        """
gamma: 0
states: [a]
transitions:
  a: {x: {next: a, r: 1000000}, y: {next: a, r: 1000000.0001}}
""",
        "near.yaml",
    )
    for sol in (policy_iteration(mdp), value_iteration(mdp)):
        assert mdp.policy_of_pairs(sol.policy) == {"a": "y"}
        assert sol.optimal.tolist() == [False, True]


def test_start_policy_random_reaches_fig_4_1_in_one_improvement():
    # S&B Fig 4.1: greedy with respect to v_random is already optimal (v* top row 0,-1,-2,-3)
    for extra in ([], ["--exact"]):
        result = runner.invoke(
            app, ["mdp", "solve", "gridworld-4x4", "--start-policy", "uniform", "--json",
                  "--trace", *extra],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert [doc["values"][f"r0c{c}"] for c in range(4)] == [0, -1, -2, -3]
    trace = json.loads(
        runner.invoke(
            app, ["mdp", "solve", "gridworld-4x4", "--start-policy", "uniform", "--json",
                  "--trace"],
        ).stdout
    )["trace"]  # fmt: skip
    assert trace[0]["values"]["r0c3"] == pytest.approx(-22)  # v of the random policy
    assert len(trace) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["mdp", "solve", "recycling-robot", "--epsilon", "1e-3"],
        ["mdp", "solve", "recycling-robot", "--keep", "alpha"],
        ["mdp", "solve", "recycling-robot", "--method", "value-iteration", "--start-policy",
         "uniform"],
        ["mdp", "evaluate", "recycling-robot", "-p", "uniform", "--keep", "alpha"],
    ],
)  # fmt: skip
def test_ignored_options_are_refused(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "option" in result.output or "--symbolic" in result.output


def test_frozenlake_undiscounted_value_and_no_looping_ties():
    # FrozenLake 4x4 with gamma = 1: the optimal success probability from the start is
    # 14/17 = 0.8235 (the value usually quoted for the undiscounted slippery lake).
    # 'up' in the corner ties in Q, but with it the top row can only loop (r0c1..r0c3's
    # only optimal action is up): no proper policy takes it, so it is not optimal.
    text = Path("problems/frozenlake-4x4.yaml").read_text().replace("gamma: 99/100", "gamma: 1")
    mdp = loads_mdp(text, "frozenlake-1.yaml")
    exact = policy_iteration(mdp, field=Fractions(mdp))
    assert exact.exact_values[mdp.state_index["r0c0"]] == Fraction(14, 17)
    for sol in (policy_iteration(mdp), value_iteration(mdp, epsilon=1e-8)):
        corner = [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(0) if sol.optimal[k]]
        assert corner == ["left", "down", "right"]
        assert sol.values[0] == pytest.approx(14 / 17, abs=1e-12)


def test_text_q_table_shows_the_first_rows_and_counts_the_rest(tmp_path):
    # a 250-state random walk (one action, 'walk'): 250 pairs, v(s_i) = q(s_i, walk) = i/251
    # (S&B Example 6.2's line, longer); the terminal shows 200 rows and says 50 more
    n = 250
    lines = ["gamma: 1", "states: [L, " + ", ".join(f"s{i}" for i in range(1, n + 1)) + ", R]",
             "terminal: [L, R]", "transitions:"]  # fmt: skip
    for i in range(1, n + 1):
        left = "L" if i == 1 else f"s{i - 1}"
        right, r = ("R", 1) if i == n else (f"s{i + 1}", 0)
        lines.append(
            f"  s{i}: {{walk: [{{next: {left}, p: 1/2}}, {{next: {right}, p: 1/2, r: {r}}}]}}"
        )
    path = tmp_path / "walk.yaml"
    path.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["mdp", "solve", str(path), "--q"], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    q_part = res.output[res.output.index("q*(s, a)") :]
    assert "50 more rows" in q_part
    rows = {ln.split("│")[1].strip(): ln for ln in q_part.splitlines() if ln.count("│") >= 3}
    assert "s200" in rows and "s201" not in rows
    assert "0.004" in rows["s1"]  # 1/251 = 0.00398…
    assert "0.7968" in rows["s200"]  # 200/251 = 0.796812…


def test_value_iteration_sweeps_refuse_symbolic_closed_forms():
    # --symbolic gives the closed form of v* (a linear system); V_K after K sweeps is
    # another quantity, so printing them side by side was wrong: refused before any work.
    result = runner.invoke(
        app,
        ["mdp", "solve", "recycling-robot", "--method", "value-iteration", "--sweeps", "2",
         "--symbolic", "--keep", "gamma", "--json"],
    )  # fmt: skip
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--symbolic" in result.output and "sweeps" in result.output
    assert "values" not in json.loads(result.stdout)  # an error document, no V_K


def test_value_iteration_sweeps_exact_column_is_v_k():
    # recycling robot, gamma = 9/10, alpha = 4/5, beta = 3/5, r_search = 2, r_wait = 1
    # V_1: high = max(2, 1) = 2; low = max(search 3/5*2 + 2/5*(-3) = 0, wait 1, recharge 0) = 1
    # V_2: high = max(search 2 + 9/10*(4/5*2 + 1/5*1) = 181/50, wait 1 + 9/10*2 = 14/5)
    #      low  = max(search 3/5*(2 + 9/10) + 2/5*(-3 + 9/5) = 63/50, wait 19/10, recharge 9/5)
    result = runner.invoke(
        app,
        ["mdp", "solve", "recycling-robot", "--method", "value-iteration", "--sweeps", "2",
         "--exact", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["exact"] == {"high": "181/50", "low": "19/10"}
    assert doc["values"] == pytest.approx({"high": 3.62, "low": 1.9})


@pytest.mark.parametrize("style", ["markdown", "latex"])
def test_document_formats_start_with_the_method_gamma_and_stopping_rule(style):
    solved = runner.invoke(
        app, ["mdp", "solve", "recycling-robot", "--method", "value-iteration", "--sweeps", "2",
              "--format", style],
    )  # fmt: skip
    assert solved.exit_code == 0, solved.output
    head = "\n".join(solved.stdout.splitlines()[:4])
    assert "value iteration" in head and "Recycling robot (gamma = 0.9)" in head
    assert "2 iteration(s); stopped: 2 sweep(s), as asked" in head
    evaluated = runner.invoke(
        app, ["mdp", "evaluate", "recycling-robot", "-p", "coin", "--format", style]
    )
    assert evaluated.exit_code == 0, evaluated.output
    head = "\n".join(evaluated.stdout.splitlines()[:4])
    assert "policy evaluation" in head and "(gamma = 0.9)" in head and "linear solve" in head

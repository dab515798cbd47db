"""`rlcli train` refuses settings that would crash or silently learn nothing: exit 2, a message
naming the option, no traceback (found in review: --envs 0 crashed the live table)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["ppo", "--envs", "0"], "--envs"),
        (["ppo", "--n-steps", "0"], "--n-steps"),
        (["reinforce", "--task", "gridworld", "--envs", "0"], "--envs"),
        (["ppo", "--clip-value", "-0.1"], "--clip-value"),
        (["ppo", "--target-kl", "-1"], "--target-kl"),
        (["ppo", "--vf-coef", "nan"], "--vf-coef"),
        (["grpo", "--task", "bandit", "-G", "1"], "--group-size"),
        (["grpo", "--task", "bandit", "--kl-coef", "-1"], "--kl-coef"),
        (["ppo", "--seed", "-1"], "--seed"),
    ],
)
def test_bad_training_options_exit_2(args: list[str], option: str) -> None:
    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert "Traceback" not in result.output


def test_gridworld_reference_is_the_best_undiscounted_return_within_the_time_limit() -> None:
    # γ = 1, all values finite: with a long enough limit the finite-horizon optimum is V*,
    # averaged over the (non-terminal) start states — checked against policy iteration.
    import numpy as np

    from rlcli.envs.gridworld import optimal_start_value
    from rlcli.mdp.read.load import load_mdp
    from rlcli.mdp.solve.optimal import policy_iteration
    from rlcli.problem_library import find

    grid = load_mdp(find("gridworld-4x4").path)
    v_star = policy_iteration(grid).values[~grid.terminal]
    assert optimal_start_value(grid, horizon=100) == pytest.approx(float(np.mean(v_star)))
    # γ = 0.9 in the file, but episodes record undiscounted sums over 100 steps: the reference
    # must be on that scale (A → A' pays 10 every 5 steps), far above the discounted V*.
    five = load_mdp(find("gridworld-5x5").path)
    assert 180 < optimal_start_value(five, horizon=100) <= 200


@pytest.mark.parametrize(
    ("args", "option", "owner"),
    [
        (
            ["ppo", "--task", "cartpole", "--max-episode-steps", "10"],
            "--max-episode-steps",
            "gridworld",
        ),
        (["ppo", "--task", "cartpole", "--problem", "cliff-walking"], "--problem", "gridworld"),
        (["a2c", "--task", "bandit", "--set", "gamma=0.5"], "--set", "gridworld"),
        (["reinforce", "--task", "cartpole", "--k", "3"], "--k", "bandit"),
        (["grpo", "--task", "gridworld", "--arms", "bernoulli"], "--arms", "bandit"),
        (["compare", "--task", "bandit", "--problem", "cliff-walking"], "--problem", "gridworld"),
    ],
)
def test_another_tasks_option_is_refused_not_ignored(
    args: list[str], option: str, owner: str
) -> None:
    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2, result.output
    assert option in result.output and owner in result.output
    assert "Traceback" not in result.output


def _config(args: list[str]) -> dict:
    import json

    result = CliRunner().invoke(app, ["train", *args, "--steps", "64", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["config"]


def test_no_anneal_keeps_both_learning_rate_and_clip_constant() -> None:
    # PPO on cartpole anneals the clip ε by default (rl-zoo); --no-anneal said "learning rate"
    # only and left the clip annealing on.
    default = _config(["ppo", "--task", "cartpole"])
    assert default["anneal_lr"] and default["anneal_clip"]
    fixed = _config(["ppo", "--task", "cartpole", "--no-anneal"])
    assert not fixed["anneal_lr"] and not fixed["anneal_clip"]


def test_plain_reinforce_does_not_normalise_returns_unless_asked() -> None:
    # Standardising the batch's returns subtracts their mean: a baseline in disguise, which
    # would hide the very difference `train compare` is there to show.
    assert not _config(["reinforce", "--task", "bandit"])["norm_adv"]
    assert _config(["reinforce", "--task", "bandit", "--normalize"])["norm_adv"]
    assert _config(["ppo", "--task", "bandit"])["norm_adv"]


def test_summary_states_how_many_episodes_the_final_mean_is_over() -> None:
    # 64 bandit steps = 64 one-step episodes, fewer than the window of 20,000.
    result = CliRunner().invoke(
        app, ["train", "ppo", "--task", "bandit", "--steps", "64", "--window", "20000", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "all 64 episodes" in result.output
    assert "≥" not in result.output
    result = CliRunner().invoke(
        app, ["train", "ppo", "--task", "bandit", "--steps", "640", "--window", "100", "-q"]
    )
    assert "the last 100 episodes" in result.output


def test_live_table_title_repeats_the_task_options_given() -> None:
    result = CliRunner().invoke(
        app, ["train", "grpo", "--task", "bandit", "--k", "3", "--steps", "640"]
    )
    assert result.exit_code == 0, result.output
    assert "rlcli train grpo --task bandit --seed 0 --k 3" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [  # review: these crashed with MemoryError tracebacks, hung, or trained the wrong budget
        (["ppo", "--task", "cartpole", "--n-steps", "1000000000"], "--n-steps is at most"),
        (["ppo", "--task", "cartpole", "--envs", "10000000"], "--envs is at most"),
        (
            ["ppo", "--task", "cartpole", "--envs", "500000", "--n-steps", "1000"],
            "GB of experience",
        ),
        (["ppo", "--task", "cartpole", "--hidden", "5000,5000"], "weights"),
        (["reinforce", "--task", "bandit", "--k", "1000000000"], "--k is at most"),
        (["reinforce", "--task", "bandit", "--steps", "1000000000000"], "--steps is at most"),
        (["reinforce", "--task", "bandit", "--steps", "900000000"], "iterations"),
        (["ppo", "--task", "cartpole", "--epochs", "1000000000"], "--epochs is at most"),
        (
            ["reinforce", "--task", "gridworld", "--max-episode-steps", "10**9"],
            "--max-episode-steps",
        ),
        (["ppo", "--task", "cartpole", "--target", "nan"], "--target must be a finite"),
        (["ppo", "--task", "cartpole", "--target", "-inf"], "--target must be a finite"),
        (["ppo", "--kl-target", "0.05"], "add --kl-penalty"),
        (["ppo", "--kl-penalty", "--clip", "0.1"], "--clip has no effect"),
        (["grpo", "--task", "cartpole", "--gamma", "0.3"], "No such option"),
        (["ppo", "--task", "bandit", "--plot", "curve.txt"], "must end in .png"),
        (["compare", "--task", "bandit", "--steps", "0"], "--steps must be at least 1"),
        (["compare", "--task", "bandit", "--plot", "/nonexistent/x.png"], "no directory"),
    ],
)
def test_sizes_and_option_combinations_that_cannot_work_exit_2(
    args: list[str], message: str
) -> None:
    args = [a.replace("10**9", "1000000000") for a in args]
    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_rollout_refusal_states_the_memory_in_a_readable_unit() -> None:
    from test_units import stated_bytes

    result = CliRunner().invoke(
        app, ["train", "ppo", "--task", "cartpole", "--envs", "1000000", "--n-steps", "100000"]
    )
    assert result.exit_code == 2, result.output
    # CartPole: 4 observations + 2 × 2 action numbers + 8 = 16 numbers per sample, so
    # 10⁶ copies × 10⁵ steps × 16 × 8 bytes = 1.28·10¹³ bytes = 1.28e13 / 1024⁴ = 11.64 TB
    # (not "11,920.9 GB")
    assert "× 16 numbers" in result.output
    stated, rounding = stated_bytes(result.output)
    assert abs(stated - 1.28e13) <= rounding
    assert "about 11.6 TB of experience" in result.output


def test_plot_and_csv_given_a_directory_exit_2_before_training(tmp_path) -> None:
    for option in ("--plot", "--csv"):
        result = CliRunner().invoke(
            app, ["train", "ppo", "--task", "bandit", option, str(tmp_path), "--steps", "64"]
        )
        assert result.exit_code == 2, result.output
        assert "is a directory" in result.output or "must end in" in result.output
        assert "iter" not in result.output  # no live table: refused before training


def test_compare_with_a_repeated_algorithm_runs_it_once() -> None:
    import json

    result = CliRunner().invoke(
        app,
        ["train", "compare", "--task", "bandit", "--algos", "ppo,ppo", "--seeds", "1",
         "--steps", "64", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r["algo"] for r in json.loads(result.stdout)["results"]] == ["ppo"]


def test_episode_tracker_mean_is_over_the_window_or_the_whole_iteration() -> None:
    import numpy as np

    from rlcli.train.curves import EpisodeTracker

    tracker = EpisodeTracker(4, window=3)
    tracker.start_iteration()
    tracker.record(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4, dtype=bool))
    assert tracker.window_size() == 4 and tracker.mean_return() == 2.5  # iteration > window
    tracker.start_iteration()
    tracker.record(np.array([10.0, 0.0, 0.0, 0.0]), np.array([True, False, False, False]))
    assert tracker.window_size() == 3 and tracker.mean_return() == pytest.approx(17 / 3)
    for _ in range(100):  # memory stays bounded; the count does not
        tracker.start_iteration()
        tracker.record(np.ones(4), np.ones(4, dtype=bool))
    assert tracker.total == 405 and len(tracker.returns) <= 2 * 3 + 4
    assert tracker.mean_return() == 1.0


def test_gridworld_whose_start_is_terminal_exits_2_with_an_explanation(tmp_path) -> None:
    # review (issue 10): a ValueError traceback, where `estimate` and `control` explain it
    path = tmp_path / "terminal-start.yaml"
    path.write_text(
        "gamma: 1\nstates: [A, T]\nterminal: [T]\nstart: T\n"
        "transitions:\n  A:\n    go: {next: T, r: 1}\n"
    )
    for command in ("ppo", "reinforce", "compare"):
        result = CliRunner().invoke(
            app, ["train", command, "--task", "gridworld", "--problem", str(path), "--steps", "64"]
        )
        assert result.exit_code == 2, result.output
        assert "terminal" in result.output and "'T'" in result.output
        assert "start" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("option", ["--csv", "--plot"])
def test_existing_output_file_is_refused_without_force_before_training(option, tmp_path) -> None:
    import importlib.util

    if option == "--plot" and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("--plot needs matplotlib")
    path = tmp_path / ("run.csv" if option == "--csv" else "curve.png")
    path.write_text("the user's own file")
    args = ["train", "ppo", "--task", "bandit", "--steps", "64", option, str(path)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2, refused.output
    assert "--force" in refused.output and "iter" not in refused.output  # before training
    assert path.read_text() == "the user's own file"
    forced = CliRunner().invoke(app, [*args, "--force", "-q"])
    assert forced.exit_code == 0, forced.output
    assert path.read_bytes() != b"the user's own file"


def test_same_seed_outputs_differ_only_in_the_documented_timing_fields(tmp_path) -> None:
    import csv
    import json

    from rlcli.cli.train import TIMING_FIELDS

    help_text = CliRunner().invoke(app, ["train", "ppo", "--help"]).output
    assert all(name in help_text for name in TIMING_FIELDS)
    docs = []
    tables = []
    for run in ("a", "b"):
        path = tmp_path / f"{run}.csv"
        result = CliRunner().invoke(
            app,
            ["train", "ppo", "--task", "cartpole", "--steps", "3000", "--seed", "4",
             "--csv", str(path), "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert set(TIMING_FIELDS) & set(doc) == {"wall_seconds"}  # DESIGN's key is kept
        docs.append(json.dumps({k: v for k, v in doc.items() if k not in TIMING_FIELDS}))
        rows = list(csv.reader(path.open()))
        timing = [i for i, name in enumerate(rows[0]) if name in TIMING_FIELDS]
        assert timing  # the CSV's timing column is there, and named as documented
        tables.append([[c for i, c in enumerate(row) if i not in timing] for row in rows])
    assert docs[0] == docs[1]
    assert tables[0] == tables[1]


@pytest.mark.parametrize("algo", ["reinforce", "a2c", "ppo", "grpo"])
def test_every_config_option_is_in_help_with_its_field_docstring(algo: str) -> None:
    # One definition: a TrainConfig field (with its docstring) is an option of the commands
    # of the algorithms it belongs to, and its docstring is the help.
    from rlcli.cli.train import _flags
    from rlcli.train.config import field_docs, option_fields

    help_text = " ".join(CliRunner().invoke(app, ["train", algo, "--help"]).output.split())
    for f in option_fields(algo):
        assert _flags(f)[0] in help_text
        assert field_docs()[f.name][:30] in help_text

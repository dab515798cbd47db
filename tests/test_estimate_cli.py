"""``rlcli estimate`` through the CLI: JSON contract, reproducibility, every suitable
problem file, exports and bad input (exit 2, one clean message)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def run(*args: str):
    return CliRunner().invoke(app, ["estimate", *args])


def run_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_has_the_design_keys_and_exact_true_values():
    doc = run_json("random-walk-5", "-p", "uniform", "--method", "td,mc", "--alpha", "0.1",
                   "--runs", "4", "--episodes", "6", "--init", "0.5")  # fmt: skip
    assert doc["true_values"] == pytest.approx(
        {
            "left_end": 0,
            "A": 1 / 6,
            "B": 2 / 6,
            "C": 3 / 6,
            "D": 4 / 6,
            "E": 5 / 6,
            "right_end": 0,
        }
    )
    assert [r["method"] for r in doc["results"]] == ["td", "mc"]
    td, mc = doc["results"]
    assert td["alpha"] == 0.1 and mc["alpha"] == 0.1 and mc["visit"] == "every"
    assert len(td["rms"]) == 7  # before learning + 6 episodes
    assert td["rms"][0] == pytest.approx(math.sqrt(1 / 18))
    assert set(td["final_values"]) == set(doc["true_values"])


def test_sweep_parameters_appear_per_result():
    doc = run_json("random-walk-19", "-p", "uniform", "--method", "nstep,td-lambda",
                   "--n", "1,4", "--lambda", "0.5", "--variant", "true-online",
                   "--alpha", "0.2,0.4", "--runs", "2", "--episodes", "2")  # fmt: skip
    keys = [(r["method"], r.get("n"), r.get("lambda"), r.get("variant"), r["alpha"])
            for r in doc["results"]]  # fmt: skip
    assert keys == [
        ("nstep", 1, None, None, 0.2), ("nstep", 1, None, None, 0.4),
        ("nstep", 4, None, None, 0.2), ("nstep", 4, None, None, 0.4),
        ("td-lambda", None, 0.5, "true-online", 0.2), ("td-lambda", None, 0.5, "true-online", 0.4),
    ]  # fmt: skip


def test_same_seed_same_bytes_different_seed_different_runs():
    args = ["random-walk-5", "-p", "uniform", "--method", "td,mc,td-lambda", "--runs", "3",
            "--episodes", "5"]  # fmt: skip
    first, again = run(*args, "--seed", "4"), run(*args, "--seed", "4")
    other = run(*args, "--seed", "5")
    assert first.exit_code == again.exit_code == other.exit_code == 0
    assert first.stdout == again.stdout
    assert first.stdout != other.stdout
    json_a, json_b = run(*args, "--seed", "4", "--json"), run(*args, "--seed", "4", "--json")
    assert json_a.stdout == json_b.stdout


def test_text_output_names_the_variant_and_shows_true_values():
    result = run(
        "random-walk-5", "-p", "uniform", "--method", "mc,td-lambda", "--visit", "first",
        "--variant", "offline", "--alpha", "0.1", "--runs", "2", "--episodes", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "first-visit constant-α MC" in text
    assert "start-of-episode values" in text
    assert "v_π" in text and "0.1667" in text


@pytest.mark.parametrize(
    "args",
    [
        ["random-walk-5", "-p", "random"],
        ["random-walk-19", "-p", "uniform", "--method", "nstep"],
        ["student-mdp", "-p", "uniform", "--method", "mc,td"],
        ["gridworld-4x4", "-p", "uniform", "--start", "r1c2", "--method", "td,mc"],
        ["gridworld-5x5", "-p", "uniform", "--start", "r2c2", "--max-steps", "200"],
        ["frozenlake-4x4", "-p", "uniform", "--method", "td-lambda,mc"],
        ["cliff-walking", "-p", "uniform", "--episodes", "2"],
        ["windy-gridworld", "-p", "uniform", "--episodes", "2"],
        ["gamblers-problem", "-p", "uniform", "--method", "mc", "--visit", "first"],
        ["recycling-robot", "-p", "coin", "--max-steps", "40"],
    ],
)
def test_runs_on_every_suitable_problem_file(args):
    doc = run_json(*args, "--runs", "2", "--episodes", "4")
    for result in doc["results"]:
        assert all(math.isfinite(x) for x in result["rms"])


def test_batch_and_off_policy_json():
    doc = run_json("random-walk-5", "-p", "uniform", "--method", "td,mc", "--batch",
                   "--runs", "3", "--episodes", "5")  # fmt: skip
    assert [(r["method"], r["batch"]) for r in doc["results"]] == [("td", True), ("mc", True)]
    doc = run_json("student-mdp", "-p", "Facebook=quit,Class1=study,Class2=study,Class3=study",
                   "--behavior", "uniform", "--method", "mc", "--runs", "3",
                   "--episodes", "5")  # fmt: skip
    assert [r["importance"] for r in doc["results"]] == ["ordinary", "weighted"]
    assert doc["true_values"]["Class1"] == pytest.approx(6.0)


def test_csv_export_long_format(tmp_path):
    path = tmp_path / "curves.csv"
    result = run("random-walk-5", "-p", "uniform", "--alpha", "0.1,0.2", "--runs", "2",
                 "--episodes", "3", "--csv", str(path))  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = path.read_text().splitlines()
    assert lines[0].startswith("learner,method,alpha")
    assert len(lines) == 1 + 2 * 4  # two learners × (episodes 0..3)
    # episode 0, V0 = 0 against k/6: RMS √(Σk²/36 / 5) = √(55/180)
    episode, rms = lines[1].split(",")[-2:]
    assert episode == "0" and float(rms) == pytest.approx(math.sqrt(55 / 180), abs=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "foo"], "unknown value 'foo'"),
        (["--alpha", "1.5"], "outside [0, 1]"),
        (["--alpha", "x"], "is not a number"),
        (["--method", "td", "--behavior", "uniform"], "--method mc only"),
        (["--method", "nstep", "--batch"], "--batch works with"),
        (["--runs", "0"], "--runs must be at least 1"),
        (["--n", "0", "--method", "nstep"], "whole numbers"),
        (["--start", "left_end"], "is terminal"),
        (["--variant", "dutch", "--method", "td-lambda"], "unknown value 'dutch'"),
        (["--init", "nan"], "--init: 'nan' is not a number"),
    ],
)
def test_bad_options_exit_2_with_a_message(args, message):
    result = run("random-walk-5", "-p", "uniform", "--runs", "2", "--episodes", "2", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_start_and_incomplete_episodes_are_explained():
    result = run("gridworld-4x4", "-p", "uniform")
    assert result.exit_code == 2 and "no start state" in result.output
    result = run("recycling-robot", "-p", "coin")  # continuing task: episodes never end
    assert result.exit_code == 2 and "pass --max-steps" in result.output
    result = run("recycling-robot", "-p", "coin", "--method", "mc", "--max-steps", "30",
                 "--runs", "2", "--episodes", "2")  # fmt: skip
    assert result.exit_code == 2 and "needs complete episodes" in result.output
    result = run("student-mdp", "-p", "Facebook=facebook,Class1=facebook,Class2=study,Class3=pub")
    assert result.exit_code == 2 and "does not reach a terminal state" in result.output


def test_plot_without_matplotlib_names_the_extra(tmp_path):
    import importlib.util

    if importlib.util.find_spec("matplotlib") is not None:
        pytest.skip("matplotlib is installed")
    result = run("random-walk-5", "-p", "uniform", "--plot", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert "pip install 'rlcli[plot]'" in result.output


def test_policy_that_never_ends_from_the_start_needs_max_steps(tmp_path):
    # γ < 1, so v_π exists, but staying forever means no episode ever ends
    path = tmp_path / "loop.yaml"
    path.write_text(
        "gamma: 0.9\nstates: [a, end]\nterminal: [end]\nstart: a\n"
        "transitions:\n  a: {stay: {next: a, r: 1}, go: {next: end, r: 0}}\n"
    )
    result = run(str(path), "-p", "a=stay", "--runs", "2", "--episodes", "2")
    assert result.exit_code == 2 and "may never reach a terminal state" in result.output
    doc = run_json(str(path), "-p", "a=stay", "--max-steps", "200", "--runs", "2",
                   "--episodes", "50", "--alpha", "0.5")  # fmt: skip
    # TD(0) bootstraps at the cut: V(a) → 1/(1 − 0.9) = 10
    assert doc["true_values"]["a"] == pytest.approx(10)
    assert doc["results"][0]["final_values"]["a"] == pytest.approx(10, abs=0.01)


# ---- review of issue 4: terminal-only starts, unreachable states, cut episodes, duplicate
# sweep values, options that do not apply

STUDENT_POLICY = "Facebook=quit,Class1=study,Class2=sleep,Class3=study"
LOOP = (
    "gamma: 0.9\nstates: [a, end]\nterminal: [end]\nstart: a\n"
    "transitions:\n  a: {stay: {next: a, r: 1}, go: {next: end, r: 0}}\n"
)


def test_start_only_in_terminal_states_exits_2(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("gamma: 1\nstates: [a, end]\nterminal: [end]\nstart: end\n"
                    "transitions:\n  a: {go: {next: end, r: 1}}\n")  # fmt: skip
    result = run(str(path), "-p", "uniform", "--runs", "2", "--episodes", "2")
    assert result.exit_code == 2
    assert "every start state is terminal" in result.output


def test_states_unreachable_under_the_policy_are_named():
    # From Class1: study → Class2, sleep → Sleep (terminal). Facebook and Class3 are never
    # visited, so they keep V0 and bound the RMS from below.
    args = ["student-mdp", "-p", STUDENT_POLICY, "--runs", "2", "--episodes", "3"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "never visited" in result.output
    assert "Facebook, Class3" in result.output
    doc = json.loads(run(*args, "--json").stdout)
    assert doc["unreachable_states"] == ["Facebook", "Class3"]
    assert json.loads(run("random-walk-5", "-p", "uniform", "--runs", "1", "--episodes", "1",
                          "--json").stdout)["unreachable_states"] == []  # fmt: skip


def test_episodes_cut_at_max_steps_are_counted(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP)
    args = [str(path), "-p", "a=stay", "--runs", "2", "--episodes", "3", "--max-steps", "50"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "6 of 6 episodes were cut at --max-steps 50" in result.output
    doc = json.loads(run(*args, "--json").stdout)
    assert doc["cut_episodes"] == 6 and doc["max_steps"] == 50
    doc = json.loads(run(str(path), "-p", "a=go", "--runs", "2", "--episodes", "3",
                         "--json").stdout)  # fmt: skip
    assert doc["cut_episodes"] == 0


def test_duplicate_sweep_values_are_removed_by_value():
    result = run("random-walk-5", "-p", "uniform", "--method", "td,nstep", "--alpha", "0.1,.1",
                 "--n", "4,04", "--runs", "1", "--episodes", "1", "--json")  # fmt: skip
    labels = [r["label"] for r in json.loads(result.stdout)["results"]]
    assert labels == ["TD(0) α=0.1", "n-step TD n=4 α=0.1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--importance", "weighted"], "--importance applies to off-policy MC only"),
        (["--method", "td", "--n", "2"], "--n applies to --method nstep only"),
        (["--method", "mc", "--lambda", "0.5"], "--lambda applies to --method td-lambda only"),
        (["--method", "td", "--variant", "replacing"], "--variant applies"),
        (["--method", "td", "--visit", "first"], "--visit applies to --method mc only"),
    ],
)
def test_options_that_do_not_apply_exit_2(args, message):
    result = run("random-walk-5", "-p", "uniform", "--runs", "1", "--episodes", "1", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_options_apply_when_one_of_the_methods_uses_them():
    result = run("random-walk-5", "-p", "uniform", "--method", "td,nstep", "--n", "2",
                 "--runs", "1", "--episodes", "1", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r.get("n") for r in json.loads(result.stdout)["results"]] == [None, 2]


def test_alpha_table_at_80_columns_keeps_every_number_whole():
    # S&B Fig 7.2 layout: row labels name only what varies (n), the method is in the title
    args = ["random-walk-19", "-p", "uniform", "--method", "nstep", "--n", "1,2,4,8,16",
            "--alpha", "0.2,0.4,0.6,0.8,1", "--runs", "2", "--episodes", "3"]  # fmt: skip
    result = CliRunner().invoke(app, ["estimate", *args], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "n-step TD: RMS error averaged" in text
    assert "…" not in text
    doc = json.loads(run(*args, "--json").stdout)
    for r in doc["results"]:  # the cell, with 3 fixed decimals, on the row of its n
        row = next(line for line in text.splitlines() if line.startswith(f"│ n={r['n']} "))
        assert f"{r['rms_mean']:.3f}" in row


def test_print_parts_widens_a_table_rather_than_cut_numbers():
    import io

    from rich.console import Console

    from rlcli.render.learning import pivot_table, print_parts

    cells = {(f"learner {i}", f"{a:g}"): 0.123456 + i for i in range(3) for a in (0.1, 0.2, 0.3)}
    console = Console(file=io.StringIO(), width=20, color_system=None)
    print_parts(console, [pivot_table("learner", "α", cells, "t")])
    text = console.file.getvalue()
    assert "…" not in text
    assert text.count("2.123") == 3


def test_plot_draws_points_outside_the_range_on_the_edge_and_says_so():
    import numpy as np

    from rlcli.render.learning import Series, plot

    series = [Series("s", np.arange(3.0), np.array([0.0, 0.5, 100.0]))]
    text = plot(series, "x", "y", width=10, height=5, y_range=(0.0, 1.0)).plain
    top = text.splitlines()[0]
    assert top.endswith("●"), text  # the outlier at x = 2 sits on the top edge
    assert "1 point(s) above 1 drawn on the top edge" in text


def test_json_alpha_is_a_number_or_null_with_the_step_size_rule():
    doc = json.loads(run("random-walk-5", "-p", "uniform", "--method", "mc,td", "--runs", "1",
                         "--episodes", "1", "--json").stdout)  # fmt: skip
    mc, td = doc["results"]
    assert mc["alpha"] is None and mc["step_size"] == "1/n"
    assert td["alpha"] == 0.1 and td["step_size"] == "constant"


def test_start_distribution_with_a_terminal_state_still_estimates_v_pi(tmp_path):
    # half the episodes start (and end) in right_end: empty, they change nothing; the
    # sample averages from the other half still approach v(A..E) = 1/6 … 5/6 (S&B Ex. 6.2)
    path = tmp_path / "walk.yaml"
    path.write_text(
        "gamma: 1\nstates: [L, A, B, C, D, E, R]\nterminal: [L, R]\nstart: {C: 0.5, R: 0.5}\n"
        "transitions:\n"
        "  A: {walk: {r: 0, next: {L: 1/2, B: 1/2}}}\n"
        "  B: {walk: {r: 0, next: {A: 1/2, C: 1/2}}}\n"
        "  C: {walk: {r: 0, next: {B: 1/2, D: 1/2}}}\n"
        "  D: {walk: {r: 0, next: {C: 1/2, E: 1/2}}}\n"
        "  E: {walk: [{next: D, p: 1/2, r: 0}, {next: R, p: 1/2, r: 1}]}\n"
    )
    result = run(str(path), "-p", "uniform", "--method", "mc", "--runs", "20", "--episodes",
                 "200", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)["results"][0]["final_values"]
    for i, s in enumerate("ABCDE", start=1):
        assert values[s] == pytest.approx(i / 6, abs=0.05)


# ---- issue 10: hostile and extreme inputs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "100000000", "--episodes", "1"], "lower --runs or --episodes"),
        (["--runs", "1000000000000"], "B (1,000,000,000,000 runs"),
        (["--episodes", "1000000000000"], "× 1,000,000,000,000 episodes"),
        (["--runs", "1" + "0" * 400], "--runs must be at most 1,000,000,000,000,000"),
        (["--episodes", "1" + "0" * 400], "--episodes must be at most 1,000,000,000,000,000"),
        (["--method", "nstep", "--n", "1180591620717411303424"], "--n: 1180591620717411303424 is"),
        (["--method", "nstep", "--n", "²"], "--n: expected whole numbers"),
        (["--method", "nstep", "--n", "٣"], "--n: expected whole numbers"),
        (["--alpha", "0_1"], "--alpha: '0_1' is not a number"),
        (["--alpha", "٠.١"], "is not a number"),
        (["--method", "td-lambda", "--lambda", "inf"], "--lambda: 'inf' is not a number"),
        (["--init", "1e308"], "--init must be between"),
    ],
)
def test_hostile_sizes_and_numbers_exit_2_before_allocating(args, message):
    # before the fix: 20 GB then killed, numpy's _ArrayMemoryError, IndexError, ValueError
    # tracebacks, or 0_1 read as α = 1
    result = run("random-walk-5", "-p", "uniform", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_memory_refusal_names_the_need_in_a_readable_unit():
    from test_units import stated_bytes

    result = run("random-walk-5", "-p", "uniform", "--runs", "100000000", "--episodes", "1")
    # 10⁸ runs × 2 numbers of curve × 8 bytes alone are 1.5 GB; values and episodes add more
    stated, rounding = stated_bytes(result.output)
    assert stated + rounding > 4 * 1024**3
    assert "at most 4.00 GB" in result.output
    # 10¹² runs × 101 numbers of curve × 8 bytes alone are 8.08·10¹⁴ bytes = 735 TB: the
    # size is written in TB or PB (not "2,980,232,384.8 GB"), and is at least that
    result = run("random-walk-5", "-p", "uniform", "--runs", "1000000000000")
    stated, rounding = stated_bytes(result.output)
    assert stated + rounding >= 8.08e14
    assert any(f" {unit} (" in result.output for unit in ("TB", "PB"))


def test_library_refuses_the_size_on_the_field():
    from rlcli.learn.errors import SettingError
    from rlcli.learn.predict import Experiment, Setting, run_prediction
    from rlcli.mdp.read.load import load_mdp

    mdp = load_mdp(PROBLEMS / "random-walk-5.yaml")
    exp = Experiment(mdp, mdp.uniform_policy(), mdp.uniform_policy()[:0], mdp.start,
                     10**12, 1, 0)  # fmt: skip
    with pytest.raises(SettingError, match="lower runs or episodes"):
        run_prediction(exp, [Setting("td", alpha=0.1)])


def test_csv_and_plot_never_overwrite_without_force(tmp_path):
    exercise = tmp_path / "rw.yaml"
    exercise.write_text((PROBLEMS / "random-walk-5.yaml").read_text())
    before = exercise.read_text()
    args = [str(exercise), "-p", "uniform", "--runs", "2", "--episodes", "2"]
    for flag in ("--csv", "--plot"):
        result = run(*args, flag, str(exercise))
        assert result.exit_code == 2 and "the file exists; use --force" in result.output
        assert exercise.read_text() == before
    # refused before any simulation: even one that would not fit in memory
    result = run(*args[:3], "--runs", "1000000000000", "--csv", str(exercise))
    assert "the file exists" in result.output
    out = tmp_path / "curves.csv"
    out.write_text("old")
    assert run(*args, "--csv", str(out), "--force").exit_code == 0
    assert out.read_text().startswith("learner,method")


@pytest.mark.parametrize(
    ("state", "message"),
    [("Z", "--error-state: no state named 'Z'"), ("left_end", "'left_end' is terminal")],
)
def test_error_state_must_be_a_non_terminal_state(state, message):
    result = run("random-walk-5", "-p", "uniform", "--runs", "2", "--episodes", "2",
                 "--error-state", state)  # fmt: skip
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("method", ["td", "mc"])
def test_error_state_curve_is_the_squared_error_of_that_state_over_runs(method, tmp_path):
    args = ["random-walk-5", "-p", "uniform", "--method", method, "--alpha", "0.1",
            "--runs", "5", "--episodes", "20", "--init", "0.5", "--error-state", "A"]  # fmt: skip
    doc = run_json(*args)
    assert doc["error_state"] == "A" and doc["error_state_value"] == pytest.approx(1 / 6)
    (result,) = doc["results"]
    finals = result["state_values"]
    assert len(finals) == 5
    # before learning every run has V0 = 0.5 against v_π(A) = 1/6: (1/2 − 1/6)² = 1/9
    assert result["mse"][0] == pytest.approx(1 / 9, abs=1e-15)
    assert len(result["mse"]) == 21
    assert result["mse"][-1] == pytest.approx(sum((v - 1 / 6) ** 2 for v in finals) / 5)
    assert result["final_values"]["A"] == pytest.approx(sum(finals) / 5)
    assert len({round(v, 12) for v in finals}) > 1  # runs differ: one value per run
    path = tmp_path / "curves.csv"
    assert run(*args, "--csv", str(path)).exit_code == 0
    lines = path.read_text().splitlines()
    assert lines[0].endswith(",episode,rms,mse_A")
    assert float(lines[1].split(",")[-1]) == pytest.approx(1 / 9, abs=1e-6)
    text = run(*args).output
    assert "A: v_π = 0.166667" in text and "final V (mean ± SE)" in text

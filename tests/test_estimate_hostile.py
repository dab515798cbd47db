"""Hostile input to ``rlcli estimate``'s mixed-learner grammar (``--init`` per learner,
``--method`` mixing online and batch learners): every bad input exits 2 with a message that
names the option, before any simulation, with no traceback; odd but valid input gives the
result it means."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app

WALK = ["random-walk-5", "-p", "uniform", "--runs", "3", "--episodes", "4", "--seed", "1"]


def run(*args: str):
    return CliRunner().invoke(app, ["estimate", *args])


def refused(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert message in result.output, result.output


@pytest.mark.parametrize(
    ("init", "message"),
    [
        # an empty item is not "the default given twice"
        ("0.5,", "--init: expected V0 or a comma list of V0 and METHOD=V0, got an empty item"),
        (",", "got an empty item"),
        ("", "got an empty item"),
        ("td=1,,0", "got an empty item"),
        # Python's float() reads all of these; a V0 is a plain ASCII decimal
        ("0_5", "--init: '0_5' is not a number"),  # float("0_5") == 5.0
        ("td=0_5", "--init: '0_5' is not a number"),
        ("\u0661", "is not a number"),  # ARABIC-INDIC DIGIT ONE: float() gives 1.0
        ("\u22121", "is not a number"),  # Unicode minus
        ("nan", "--init: 'nan' is not a number"),
        ("inf", "--init: 'inf' is not a number"),
        ("infinity", "is not a number"),
        ("1/2", "--init: '1/2' is not a number"),
        ("td=", "--init: '' is not a number"),
        # written text in the message, not the float it overflowed to
        ("1e400", "--init must be a finite number, got 1e400"),
        ("batch-mc=-1e13", "got -1e13"),
        ("=", "'' is not a method"),
        ("=1", "'' is not a method"),
        ("td==1", "'td=' is not a method"),
        ("TD=1", "'TD' is not a method"),
    ],
)
def test_bad_init_exits_2_naming_the_option(init, message):
    refused(run(*WALK, "--method", "td,batch-mc", "--init", init), message)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" td = 1 , -.5 ", {"td": 1.0, "batch-mc": -0.5}),  # spaces around items and '='
        ("+2,batch=1E-3", {"td": 2.0, "batch-mc": 0.001}),
        ("batch-mc=2,batch=-1,0.25", {"td": 0.25, "batch-mc": 2.0}),  # the name beats batch=
    ],
)
def test_odd_but_valid_init_gives_each_learner_its_value(text, expected):
    result = run(*WALK, "--method", "td,batch-mc", "--init", text, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    got = {("batch-" if r.get("batch") else "") + r["method"]: r["init"] for r in doc["results"]}
    assert got == expected


def test_repeated_methods_are_one_learner_each():
    doc = json.loads(run(*WALK, "--method", "td,td,batch-td", "--json").stdout)
    assert [r["label"] for r in doc["results"]] == ["TD(0) α=0.1", "batch TD(0)"]
    # with --batch, td is batch TD too: batch-td,td --batch is one learner
    doc = json.loads(run(*WALK, "--method", "batch-td,td", "--batch", "--json").stdout)
    assert [r["label"] for r in doc["results"]] == ["batch TD(0)"]


def test_a_plot_file_matplotlib_cannot_write_is_refused_before_any_work(tmp_path, monkeypatch):
    from rlcli.learn import predict

    def no_work(*args, **kwargs):
        raise AssertionError("simulated before refusing --plot")

    monkeypatch.setattr(predict, "run_prediction", no_work)
    target = tmp_path / "curves.txt"
    refused(run(*WALK, "--method", "td,batch-td", "--plot", str(target)),
            "--plot")  # fmt: skip
    assert ".png" in run(*WALK, "--plot", str(target)).output  # names the formats
    assert not target.exists()


# ---- one mixed call against separate calls: the same seed gives the same numbers ------


def results_of(*args: str) -> list[dict]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["results"]


PER_LEARNER = ("rms", "final_values", "mse", "state_values")


@pytest.mark.parametrize(
    ("common", "alpha", "visit"),
    [
        # γ = 0.99, revisits, first and every visit, 1/n and constant α, a watched state;
        # 40 runs × 7 α = 280 rows: the MC families learn from run streams
        (["frozenlake-4x4", "-p", "uniform", "--runs", "40", "--episodes", "12", "--seed", "5",
          "--error-state", "r2c1"], "1/n,0.01,0.02,0.05,0.1,0.2,0.5", "first,every"),
        # few rows (MC whole chunks), another start state
        (["random-walk-5", "-p", "uniform", "--runs", "3", "--episodes", "9", "--seed", "2",
          "--start", "B", "--error-state", "D"], "1/n,0.1", "every"),
    ],
)  # fmt: skip
def test_a_mixed_call_reports_the_numbers_of_the_separate_calls(common, alpha, visit):
    mixed = results_of(*common, "--method", "td,mc,batch-td,batch-mc", "--alpha", alpha,
                       "--visit", visit, "--init", "0.3,mc=-0.2,batch=1")  # fmt: skip
    separate = (
        results_of(*common, "--method", "td", "--alpha", alpha, "--init", "0.3")
        + results_of(*common, "--method", "mc", "--alpha", alpha, "--visit", visit,
                     "--init", "-0.2")
        + results_of(*common, "--method", "td,mc", "--batch", "--visit", visit, "--init", "1")
    )  # fmt: skip
    assert len(mixed) == len(separate) > 4
    for m, s in zip(mixed, separate, strict=True):
        assert m["label"] == s["label"] + f" V0={m['init']:g}"
        for key in PER_LEARNER:
            assert m[key] == s[key], (m["label"], key)  # the same floats


def test_td_cut_by_max_steps_mixed_with_batch_td_on_a_continuing_task():
    # gridworld 5x5, γ = 0.9, no terminal: every episode is cut, TD and batch TD bootstrap
    common = ["gridworld-5x5", "-p", "uniform", "--runs", "4", "--episodes", "6", "--seed", "8",
              "--start", "r0c1", "--max-steps", "30"]  # fmt: skip
    doc = json.loads(run(*common, "--method", "td,batch-td", "--init", "0,batch=2",
                         "--json").stdout)  # fmt: skip
    assert doc["cut_episodes"] == 4 * 6
    alone = results_of(*common, "--method", "batch-td", "--init", "2")
    assert doc["results"][1]["rms"] == alone[0]["rms"]
    assert all(np.isfinite(r["rms"]).all() for r in doc["results"])


@pytest.mark.parametrize(
    ("behavior", "message"),
    [
        ("C=left", "--behavior: state 'C' has no action 'left'"),
        ("nope", "--behavior: no policy named 'nope'"),
        ("C=walk,C=walk", "--behavior: state 'C' is given twice"),
    ],
)
def test_a_bad_behaviour_policy_is_named_as_the_behaviour_not_the_target(behavior, message):
    refused(run(*WALK, "--method", "mc", "--behavior", behavior), message)


def test_under_batch_the_batch_name_of_a_method_sets_its_v0():
    # --method td --batch is batch TD: --init batch-td=V0 names it, as batch-td=V0 does for
    # --method batch-td (it was refused: "names no learner of --method td")
    flag = results_of(*WALK, "--method", "td,mc", "--batch", "--init", "0,batch-td=-1")
    names = results_of(*WALK, "--method", "batch-td,batch-mc", "--init", "0,batch-td=-1")
    assert [r["init"] for r in flag] == [-1.0, 0.0]
    assert flag == names
    # the name as written is the most specific: td=1 beats batch-td=2 beats batch=3
    doc = results_of(*WALK, "--method", "td,mc", "--batch", "--init", "batch=3,batch-td=2,td=1")
    assert [r["init"] for r in doc] == [1.0, 3.0]
    refused(run(*WALK, "--method", "td", "--init", "0,batch-td=1"),
            "--init: batch-td=1 names no learner of --method td")  # fmt: skip


def test_batch_td_on_a_loop_left_by_cut_episodes_names_max_steps():
    # γ = 1 and episodes cut after 3 steps in the middle of the grid: some run's model has
    # a closed loop (e.g. r1c1 → r1c2 → r1c1) with reward −1 per step, so
    # V = r̂ + P̂V has no solution there
    common = ["gridworld-4x4", "-p", "uniform", "--runs", "2", "--episodes", "3",
              "--start", "r1c1", "--max-steps", "3"]  # fmt: skip
    refused(run(*common, "--method", "td,batch-td"),
            "as episodes cut at --max-steps never left it; raise --max-steps")  # fmt: skip
    assert run(*common, "--method", "td").exit_code == 0  # TD(0) bootstraps where cut


@pytest.mark.parametrize(
    ("exports", "message"),
    [
        (["--csv", "{tmp}/no/such/dir/a.csv"], "--csv {tmp}/no/such/dir/a.csv: no directory"),
        (["--plot", "{tmp}/no/dir/a.png"], "--plot {tmp}/no/dir/a.png: no directory"),
        (["--csv", "{tmp}/a.png", "--plot", "{tmp}/a.png"], "--csv and --plot name the same"),
        (["--csv", "{tmp}/a.png", "--plot", "{tmp}/./a.png", "--force"], "the same file"),
    ],
)
def test_exports_that_cannot_be_written_are_refused_before_any_work(
    tmp_path, monkeypatch, exports, message
):
    from rlcli.learn import predict

    def no_work(*args, **kwargs):
        raise AssertionError("simulated before refusing the export")

    monkeypatch.setattr(predict, "run_prediction", no_work)
    args = [e.format(tmp=tmp_path) for e in exports]
    refused(run(*WALK, "--method", "td,batch-td", *args), message.format(tmp=tmp_path))
    assert not (tmp_path / "a.png").exists()

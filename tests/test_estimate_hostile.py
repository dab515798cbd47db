"""Hostile input to ``rlcli estimate``'s mixed-learner grammar (``--init`` per learner,
``--method`` mixing online and batch learners): every bad input exits 2 with a message that
names the option, before any simulation, with no traceback; odd but valid input gives the
result it means."""

from __future__ import annotations

import json

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

"""Issue 13: the tolerance rule and reading answers (file, inline YAML, 'A=3/4, B=-1.7');
malformed answers exit 2 naming the entry, never a traceback. Expected values are worked
by hand in the comments."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest
from helpers import TWO_STATE_MDP
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.grade.numbers import is_right, parse_given

runner = CliRunner()

# TWO_STATE_MDP, uniform policy, hand-worked: V1 = (3, 5/2), V2 = (29/8, 13/4);
# v_pi = (58/15, 52/15); V* = (4, 4), optimal actions A: left (2 + 1/2·4 = 4) and right (4),
# B: right (4 > 1 + 2).


@pytest.fixture
def mdp_file(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(TWO_STATE_MDP)
    return path


@pytest.mark.parametrize(
    ("text", "truth", "right"),
    [
        ("3/4", F(3, 4), True),
        ("6/8", F(3, 4), True),
        ("0.75", F(3, 4), True),
        ("0.8", F(3, 4), True),  # 0.75 rounds to 0.7 or 0.8 (a tie): both correct roundings
        ("0.7", F(3, 4), True),
        ("0.74", F(3, 4), False),
        ("-1.8", F(-16, 9), True),  # -1.777... to one digit is -1.8
        ("-1.7", F(-16, 9), False),
        ("-1.78", F(-16, 9), True),
        ("-1.77", F(-16, 9), False),
        ("2", F(2), True),
        ("2", F(201, 100), False),  # an integer is exact
        ("2.0", F(201, 100), True),  # 2.01 to one digit is 2.0
        ("1/3", F(333, 1000), False),
        ("0.333", F(1, 3), True),
    ],
)
def test_tolerance_rule(text, truth, right):
    assert is_right(parse_given(text), truth) is right


def test_tol_overrides_both():
    assert is_right(parse_given("1/3"), F(333, 1000), F(1, 1000))
    assert not is_right(parse_given("0.7"), F(3, 4), F(1, 100))


@pytest.mark.parametrize("text", ["abc", "1/0", "1.2.3", "3/4/5", "", "e"])
def test_not_numbers(text):
    assert parse_given(text) is None


def test_inline_values_right_exit_0(mdp_file):
    res = runner.invoke(
        app, ["mdp", "evaluate", str(mdp_file), "-p", "uniform", "--answer", "A=58/15, B=3.47"]
    )
    # 52/15 = 3.4666...: 3.47 is its rounding to 2 digits
    assert res.exit_code == 0, res.output
    assert "2 right, 0 wrong" in res.output


def _two_sweeps(mdp_file, *more: str):
    """``mdp evaluate`` of the uniform policy, two iterative sweeps, with ``more`` options."""
    args = ["-p", "uniform", "--method", "iterative", "--sweeps", "2", *more]
    return runner.invoke(app, ["mdp", "evaluate", str(mdp_file), *args])


def test_answer_file_json_report(mdp_file, tmp_path):
    answer = tmp_path / "answer.yaml"
    answer.write_text("sweeps:\n  1: {A: 3, B: 2.5}\n  2: {A: 29/8, B: 3.4}\n")
    res = _two_sweeps(mdp_file, "--answer", str(answer), "--json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    cells = {c["path"]: c for c in doc["cells"]}
    assert cells["sweeps.1.A"] == {"path": "sweeps.1.A", "given": "3", "expected": "3", "ok": True}
    assert cells["sweeps.2.B"]["ok"] is False  # 13/4 = 3.25 is not 3.4 to one digit
    assert cells["sweeps.2.B"]["expected"] == "13/4"
    assert doc["all_right"] is False and doc["diagnoses"] == []


def test_tie_rounding_and_tol_flag(mdp_file):
    # 13/4 = 3.25 exactly: 3.2 and 3.3 are both 0.05 away, within half a unit of the last
    # digit: both are correct roundings; --tol 0.01 rejects 3.3.
    res = _two_sweeps(mdp_file, "--answer", "sweeps: {2: {B: 3.3}}")
    assert res.exit_code == 0, res.output
    res = _two_sweeps(mdp_file, "--answer", "sweeps: {2: {B: 3.3}}", "--tol", "0.01")
    assert res.exit_code == 1


def test_policy_ties_and_q(mdp_file):
    # A: left and right tie at 4; q*(B, left) = 1 + 1/2·4 = 3
    answer = "policy: {A: [left, right], B: right}\nq: {B: {left: 3}}"
    res = runner.invoke(app, ["mdp", "solve", str(mdp_file), "--answer", answer])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["mdp", "solve", str(mdp_file), "--answer", "policy: {B: left}"])
    assert res.exit_code == 1
    assert "✗ policy.B = left" in res.output and "right: right" in res.output


@pytest.mark.parametrize(
    ("args", "answer", "needle"),
    [
        (["evaluate", "-p", "uniform"], "values: {Z: 1}", "values.Z: state 'Z'"),
        (["evaluate", "-p", "uniform"], "A=1, Q=2", "values.Q"),
        (["evaluate", "-p", "uniform"], "values: {A: one}", "values.A: 'one' is not a number"),
        (["evaluate", "-p", "uniform"], "values: {A: [1, 2]}", "values.A"),
        (
            ["evaluate", "-p", "uniform", "--method", "iterative", "--sweeps", "2"],
            "sweeps: {3: {A: 1}}",
            "sweeps.3: sweep '3' was not asked for",
        ),
        (["solve"], "policy: {A: jump}", "policy.A: no action 'jump'"),
        (["solve"], "q: {A: {jump: 1}}", "q.A.jump"),
        (["solve"], "bogus: 1", "bogus"),
        (["solve"], "values: {A: 1", "YAML"),
        (["solve"], "", "empty"),
        (["solve"], "values: {A: 1, A: 2}", "given twice"),
    ],
)
def test_malformed_answers_exit_2(mdp_file, args, answer, needle):
    res = runner.invoke(app, ["mdp", args[0], str(mdp_file), *args[1:], "--answer", answer])
    assert res.exit_code == 2, res.output
    assert needle in res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_malformed_file_names_line(mdp_file, tmp_path):
    answer = tmp_path / "a.yaml"
    answer.write_text("values:\n  A: 1\n  B: x7\n")
    res = runner.invoke(app, ["mdp", "solve", str(mdp_file), "--answer", str(answer)])
    assert res.exit_code == 2
    assert f"{answer}:3: values.B: 'x7' is not a number" in res.output


def test_bad_tol(mdp_file):
    res = runner.invoke(app, ["mdp", "solve", str(mdp_file), "--answer", "A=4", "--tol", "-1"])
    assert res.exit_code == 2 and "--tol" in res.output


# Published values (REFERENCE.md): Student MDP, uniform policy, rounded to one decimal by
# Silver; v* = 6, 6, 8, 10. S&B Figure 4.1 prints sweeps 2 and 3 of the 4x4 gridworld
# to one decimal: -1.7 / -2.0 and -2.4 / -2.9 / -3.0.
@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "student-mdp", "-p", "random", "--answer",
         "Facebook=-2.3, Class1=-1.3, Class2=2.7, Class3=7.4"],
        ["solve", "student-mdp", "--answer", "Facebook=6, Class1=6, Class2=8, Class3=10"],
        ["evaluate", "gridworld-4x4", "-p", "random", "--method", "iterative", "--sweeps", "3",
         "--answer", "sweeps: {2: {r0c1: -1.7, r0c2: -2.0}, "
         "3: {r0c1: -2.4, r0c2: -2.9, r0c3: -3.0}}"],
    ],
)  # fmt: skip
def test_published_values_are_right(args):
    res = runner.invoke(app, ["mdp", *args])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("name", ["student-mdp", "recycling-robot", "gridworld-4x4"])
def test_truth_agrees_with_the_exact_solvers(name):
    """The grader's own exact recomputation equals mdp evaluate/solve --exact (another code
    path: rational elimination and policy iteration in mdp/solve)."""
    from pathlib import Path

    from rlcli.cli.common import load, policy
    from rlcli.grade.mdp import Exact, MDPExercise

    mdp = load(Path(name))
    pi = policy(mdp, "uniform")
    for command, extra in (("evaluate", ["-p", "uniform"]), ("solve", [])):
        res = runner.invoke(app, ["mdp", command, name, *extra, "--exact", "--json"])
        exact = json.loads(res.stdout)["exact"]
        ex = MDPExercise(mdp, command, "linear" if command == "evaluate" else "policy-iteration",
                         pi=pi if command == "evaluate" else None)  # fmt: skip
        truth = Exact(ex).work().doc["values"]
        assert {s: str(v) for s, v in truth.items()} == exact


def test_a_key_given_twice_inline_is_refused(mdp_file):
    # review: --answer 'A=2, A=3' was accepted (and graded twice)
    for answer in ("A=2, A=3", "A=2, V(A)=2"):
        res = runner.invoke(app, ["mdp", "solve", str(mdp_file), "--answer", answer])
        assert res.exit_code == 2 and "values.A is given twice" in res.output, res.output
    res = runner.invoke(app, ["calc", "importance-sampling", "--returns", "3,1,2", "--ratios",
                              "2,0,4", "--answer", "ordinary=2, ordinary=3"])  # fmt: skip
    assert res.exit_code == 2 and "ordinary is given twice" in res.output


def test_an_answer_file_that_does_not_exist_is_named_so(mdp_file, tmp_path):
    # review: --answer nosuch.yaml said "expected a mapping"
    missing = tmp_path / "nosuch.yaml"
    res = runner.invoke(app, ["mdp", "solve", str(mdp_file), "--answer", str(missing)])
    assert res.exit_code == 2 and f"{missing}: no such file" in res.output, res.output

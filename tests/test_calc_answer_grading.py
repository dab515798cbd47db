"""``--answer`` on ``replay`` and ``calc``: ✓/✗ per cell, exact fractions, decimals right when
correctly rounded, ``--tol``, exit codes 0/1/2, and a mistake named only when recomputing
with it reproduces the student's numbers."""

from __future__ import annotations

import json

import pytest
from helpers import diagnoses
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.grade.numbers import Inexact, parse_given
from rlcli.grade.numbers import is_right as is_right_given

EX_6_4 = "A 0 B 0; B 1; B 1; B 1; B 1; B 1; B 1; B 0"
GAE = [
    "calc",
    "gae",
    "--rewards",
    "1,0,2",
    "--values",
    "1/2,1,0,1",
    "--gamma",
    "9/10",
    "--lambda",
    "1/2",
]


def is_right(text: str, truth, tol=None) -> bool:
    """The grader's rule for a given text; a float truth is an Inexact one (no exact form),
    as the documents adapter makes it."""
    from fractions import Fraction

    given = parse_given(text)
    assert given is not None, text
    truth = Inexact(truth) if isinstance(truth, float) else truth
    return is_right_given(given, truth, None if tol is None else Fraction(tol))


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("given", "truth", "ok"),
    [
        ("3/4", 0.75, True),  # fraction vs float truth: equal
        ("3/4", 3 / 4 + 1e-3, False),
        ("1/3", 1 / 3, True),  # the float 1/3 is 1/3 − 1.85e-17: within 1e-9 relative
        ("2/3", 0.6666666, False),  # 3.3e-8 away: outside 1e-9 relative
        ("2/3", 0.66666666666, True),  # 6.7e-12 away (1e-11 relative): inside
        ("1.54", 1.53725, True),  # 1.53725 rounds to 1.54 at 2 places
        ("1.53", 1.53725, False),
        ("1.537", 1.53725, True),  # 1.53725 → 1.537 (|gap| = 0.00025 ≤ 0.0005)
        ("1.5", 1.53725, True),
        ("2", 1.53725, True),  # an integer against an inexact truth: 0 places
        ("0.10", 0.1, True),
        ("0.1", 0.149, True),
        ("0.1", 0.151, False),
    ],
)
def test_rounding_rule_against_an_inexact_truth(given, truth, ok):
    assert is_right(given, truth) is ok


@pytest.mark.parametrize(
    ("given", "ok"),
    [("0.8", True), ("0.7", True), ("0.6", False), ("1", False), ("0.75", True),
     ("0.750", True), ("0.74", False)],
)  # fmt: skip
def test_a_tie_accepts_both_neighbours(given, ok):
    from fractions import Fraction

    # the one grader's rule (rlcli.grade.numbers): |given − truth| ≤ ½·10⁻ᵈ, so at an exact
    # tie (3/4 to 1 place: 0.05 from both) 0.7 and 0.8 are both right, 0.6 is 0.15 away;
    # an integer against an exact truth claims equality
    assert is_right(given, Fraction(3, 4)) is ok
    assert is_right("0.12", Fraction(1, 8))  # half to even
    assert is_right("0.13", Fraction(1, 8))  # half away from zero


def test_exact_truth_needs_the_exact_fraction():
    from fractions import Fraction

    assert is_right("3/4", Fraction(3, 4))
    assert not is_right("2/3", Fraction(6667, 10000))
    assert is_right("0.6667", Fraction(2, 3))  # 2/3 correctly rounded to 4 places
    assert not is_right("0.6666", Fraction(2, 3))
    assert is_right("0.66", Fraction(2, 3), "0.01")  # --tol overrides


def test_replay_answer_all_right_exits_0():
    result = run("replay", "td", EX_6_4, "--batch", "--answer", "A=3/4, B=0.75")
    assert result.exit_code == 0, result.output
    assert "✓ values.A = 3/4" in result.stdout and "2 right, 0 wrong" in result.stdout


def test_replay_answer_wrong_exits_1_with_the_right_value_and_the_mistake():
    # batch MC gives V(A) = 0: the student did MC, not TD
    result = run("replay", "td", EX_6_4, "--batch", "--answer", "A=0, B=0.75", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["all_right"] is False
    cells = {c["path"]: c for c in report["cells"]}
    assert cells["values.A"]["ok"] is False and cells["values.A"]["expected"] == "3/4"
    assert cells["values.B"]["ok"] is True
    names = [d["names"] for d in report["diagnoses"]]
    assert ["batch MC instead of batch TD"] in names
    mc = report["diagnoses"][names.index(["batch MC instead of batch TD"])]
    assert mc["first_difference"] == "in the results: values.A = 0 instead of 3/4 (= 0.75)"


def test_replay_answer_text_report_names_the_mistake():
    result = run("replay", "td", EX_6_4, "--batch", "--answer", "A=0, B=0.75")
    assert result.exit_code == 1
    assert "✗ values.A = 0    right: 3/4 (= 0.75)" in result.stdout
    assert "✓ values.B = 0.75" in result.stdout
    assert "diagnosis: batch MC instead of batch TD reproduces your numbers" in result.stdout


def test_no_diagnosis_when_no_mistake_reproduces_the_numbers():
    result = run("replay", "td", EX_6_4, "--batch", "--answer", "A=0.6, B=0.75", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["diagnoses"] == []


def test_calc_gae_answer_and_lambda_mistake(tmp_path):
    # Â with λ = 1 would be G − V: 2849/1000, 161/100, 29/10 (see test_calc_numbers)
    path = tmp_path / "answer.yaml"
    path.write_text("advantages: [2.849, 1.61, 29/10]\n")
    result = run(*GAE, "--answer", str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [c["ok"] for c in report["cells"]] == [False, False, True]
    assert [d["names"] for d in report["diagnoses"]] == [["λ left out (λ = 1: return − V)"]]


def test_grpo_sample_std_mistake():
    # population std 1/2 → ±1; the sample std √(1/3) gives ±0.866
    answer = "advantages: [0.866, -0.866, -0.866, 0.866]"
    assert diagnoses("calc", "grpo", "--rewards", "1,0,0,1", "--eps", "0", "--answer", answer) == [
        ["the sample std instead of the population std"]
    ]


@pytest.mark.parametrize(
    ("answer", "word"),
    [
        ("values: {Z: 1}", "values.Z: state 'Z' does not exist"),
        ("A=x", "values.A"),
        ("values: [1, 2", "YAML syntax error"),
        ("steps: 1", "'steps' is none of them"),
    ],
)
def test_malformed_answers_exit_2(answer, word):
    result = run("replay", "td", "A 0 B 0", "--answer", answer)
    assert result.exit_code == 2 and word in result.output, result.output


def test_reinforce_gamma_t_mistake():
    # γ = 1/2, trajectory s1 R 1 s2 L 2: with γ^t the s2 term is (1/2)·2·(1/2, −1/2) = (1/2, −1/2);
    # without γ^t it is 2·(1/2, −1/2) = (1, −1)
    policy = ["--logits", "s1: L=0, R=ln(3); s2: L=0, R=0"]
    given = ["--trajectory", "s1 R 1 s2 L 2", "--gamma", "1/2"]
    answer = "gradient: {s2: {L: 1, R: -1}}"
    assert diagnoses("calc", "reinforce", *policy, *given, "--answer", answer) == [
        ["γ^t left out in each term"]
    ]


def test_kl_float_truth_decimals_by_rounding_fractions_within_1e_9_relative():
    # KL(p‖q), p = (1/2, 1/2), q = (1/4, 3/4): ½ln(2) + ½ln(2/3) = ½ln(4/3) = 0.1438410362...
    # (no exact form: the truth is the float). 0.1438 and 0.144 are correct roundings; 0.143 is
    # 0.00084 away (> 0.0005); 1438410362/10^10 is 2.6e-11 away (1.8e-10 relative ≤ 1e-9);
    # 1438/10^4 is 4.1e-5 away as a fraction, so wrong; an integer is a 0-digit decimal here.
    import math

    assert math.isclose(0.5 * math.log(4 / 3), 0.1438410362, abs_tol=1e-10)
    answer = "{kl: 0.1438, reverse_kl: 0.131}"
    args = ("calc", "kl", "--p", "1/2,1/2", "--q", "1/4,3/4", "--json", "--answer")
    result = run(*args, answer)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["all_right"] is True
    for given, ok in [("0.144", True), ("0.143", False), ("1438410362/10000000000", True),
                      ("1438/10000", False), ("0", True), ("1", False)]:  # fmt: skip
        cell = json.loads(run(*args, f"kl: {given}").stdout)["cells"][0]
        assert cell["ok"] is ok, given
        assert math.isclose(cell["expected"], 0.5 * math.log(4 / 3), rel_tol=1e-12)

"""``--answer`` on ``replay`` and ``calc``: ✓/✗ per cell, exact fractions, decimals right when
correctly rounded, ``--tol``, exit codes 0/1/2, and a mistake named only when recomputing
with it reproduces the student's numbers."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.grade.compare import is_right

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


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("given", "truth", "ok"),
    [
        ("3/4", 0.75, True),  # fraction vs float truth: equal
        ("3/4", 3 / 4 + 1e-3, False),
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
    assert is_right(given, truth, None, "x") is ok


@pytest.mark.parametrize(
    ("given", "ok"),
    [("0.8", True), ("0.7", False), ("1", False), ("0.75", True), ("0.750", True)],
)
def test_a_tie_rounds_away_from_zero_or_to_even(given, ok):
    from fractions import Fraction

    # 3/4 to 1 place is 0.8 either way; an integer against an exact truth claims equality
    assert is_right(given, Fraction(3, 4), None, "x") is ok
    assert is_right("0.12", Fraction(1, 8), None, "x")  # half to even
    assert is_right("0.13", Fraction(1, 8), None, "x")  # half away from zero


def test_exact_truth_needs_the_exact_fraction():
    from fractions import Fraction

    assert is_right("3/4", Fraction(3, 4), None, "x")
    assert not is_right("2/3", Fraction(6667, 10000), None, "x")
    assert is_right("0.6667", Fraction(2, 3), None, "x")  # 2/3 correctly rounded to 4 places
    assert not is_right("0.6666", Fraction(2, 3), None, "x")
    assert is_right("0.66", Fraction(2, 3), 0.01, "x")  # --tol overrides


def test_replay_answer_all_right_exits_0():
    result = run("replay", "td", EX_6_4, "--batch", "--answer", "A=3/4, B=0.75")
    assert result.exit_code == 0, result.output
    assert "✓ values.A" in result.stdout and "2/2 right" in result.stdout


def test_replay_answer_wrong_exits_1_with_the_right_value_and_the_mistake():
    # batch MC gives V(A) = 0: the student did MC, not TD
    result = run("replay", "td", EX_6_4, "--batch", "--answer", "A=0, B=0.75", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)["answer"]
    cells = {c["path"]: c for c in report["cells"]}
    assert cells["values.A"]["ok"] is False and cells["values.A"]["expected_exact"] == "3/4"
    assert cells["values.B"]["ok"] is True
    assert "batch MC instead of batch TD" in report["diagnoses"]


def test_no_diagnosis_when_no_mistake_reproduces_the_numbers():
    result = run("replay", "td", EX_6_4, "--batch", "--answer", "A=0.6, B=0.75", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["answer"]["diagnoses"] == []


def test_calc_gae_answer_and_lambda_mistake(tmp_path):
    # Â with λ = 1 would be G − V: 2849/1000, 161/100, 29/10 (see test_calc_numbers)
    path = tmp_path / "answer.yaml"
    path.write_text("advantages: [2.849, 1.61, 29/10]\n")
    result = run(*GAE, "--answer", str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)["answer"]
    assert [c["ok"] for c in report["cells"]] == [False, False, True]
    assert report["diagnoses"] == ["λ left out (λ = 1: return − V)"]


def test_grpo_sample_std_mistake():
    # population std 1/2 → ±1; the sample std √(1/3) gives ±0.866
    result = run(
        "calc",
        "grpo",
        "--rewards",
        "1,0,0,1",
        "--eps",
        "0",
        "--json",
        "--answer",
        "advantages: [0.866, -0.866, -0.866, 0.866]",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["answer"]["diagnoses"] == [
        "the sample std instead of the population std"
    ]


@pytest.mark.parametrize(
    ("answer", "word"),
    [
        ("values: {Z: 1}", "no such value"),
        ("A=x", "values.A"),
        ("values: [1, 2", "not YAML"),
        ("steps: 1", "not gradable"),
    ],
)
def test_malformed_answers_exit_2(answer, word):
    result = run("replay", "td", "A 0 B 0", "--answer", answer)
    assert result.exit_code == 2 and word in result.output, result.output


def test_reinforce_gamma_t_mistake():
    # γ = 1/2, trajectory s1 R 1 s2 L 2: with γ^t the s2 term is (1/2)·2·(1/2, −1/2) = (1/2, −1/2);
    # without γ^t it is 2·(1/2, −1/2) = (1, −1)
    result = run(
        "calc",
        "reinforce",
        "--logits",
        "s1: L=0, R=ln(3); s2: L=0, R=0",
        "--trajectory",
        "s1 R 1 s2 L 2",
        "--gamma",
        "1/2",
        "--json",
        "--answer",
        "gradient: {s2: {L: 1, R: -1}}",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["answer"]["diagnoses"] == ["γ^t left out in each term"]

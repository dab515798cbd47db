"""Issue 13: each mistake of the MDP catalogue is named for an answer built with it (the
numbers worked by hand below, not by the code), and only then: the correct answer and an
unrelated wrong answer get no diagnosis."""

from __future__ import annotations

import json

import pytest
from helpers import TWO_STATE_MDP
from typer.testing import CliRunner

from rlcli.cli.app import app

runner = CliRunner()

ENTERING = TWO_STATE_MDP  # gamma = 1/2; the reward depends on the state entered
# Uniform policy, synchronous sweeps from V0 = 0 (the truth):
#   V1(A) = 1/2(2 + 0) + 1/2(4 + 0) = 3          V1(B) = 1/2(1 + 0) + 1/2·4 = 5/2
#   V2(A) = 1/2(2 + 1/2·5/2) + 2 = 29/8          V2(B) = 1/2(1 + 1/2·3) + 2 = 13/4
#   V3(A) = 1/2(2 + 1/2·13/4) + 2 = 61/16        V3(B) = 1/2(1 + 1/2·29/8) + 2 = 109/32
TRUTH = {1: ("3", "5/2"), 2: ("29/8", "13/4")}
EVALUATION_MISTAKES = {
    # in place (A then B): V1(B) = 1/2(1 + 1/2·3) + 2 = 13/4;
    #   V2(A) = 1/2(2 + 1/2·13/4) + 2 = 61/16, V2(B) = 1/2(1 + 1/2·61/16) + 2 = 221/64
    "in-place": {1: ("3", "13/4"), 2: ("61/16", "221/64")},
    # one too many: the student's sweep k is V_{k+1}
    "one-sweep-too-many": {1: ("29/8", "13/4"), 2: ("61/16", "109/32")},
    # one too few: sweep 1 is V0, sweep 2 is V1
    "one-sweep-too-few": {1: ("0", "0"), 2: ("3", "5/2")},
    # gamma = 1: V2(A) = 1/2(2 + 5/2) + 2 = 17/4, V2(B) = 1/2(1 + 3) + 2 = 4
    "gamma-forgotten": {1: ("3", "5/2"), 2: ("17/4", "4")},
    # gamma^2 = 1/4: V2(A) = 1/2(2 + 1/4·5/2) + 2 = 53/16, V2(B) = 1/2(1 + 3/4) + 2 = 23/8
    "gamma-twice": {1: ("3", "5/2"), 2: ("53/16", "23/8")},
    # V(T) = 4 (the reward for entering it): V1(A) = 1/2·2 + 1/2(4 + 1/2·4) = 4,
    #   V1(B) = 1/2·1 + 3 = 7/2; V2(A) = 1/2(2 + 7/4) + 3 = 39/8, V2(B) = 1/2(1 + 2) + 3 = 9/2
    "terminal-not-zero": {1: ("4", "7/2"), 2: ("39/8", "9/2")},
    # R(s) paid on leaving s: every move from A pays 1, from B pays 2 (T's reward never paid)
    #   V1 = (1, 2); V2(A) = 1 + 1/2(1/2·2 + 1/2·0) = 3/2, V2(B) = 2 + 1/2(1/2·1) = 9/4
    "reward-on-leaving": {1: ("1", "2"), 2: ("3/2", "9/4")},
    # max instead of the expectation: V1 = (max(2, 4), max(1, 4)) = (4, 4);
    #   V2(A) = max(2 + 2, 4) = 4, V2(B) = max(1 + 2, 4) = 4
    "max-not-expectation": {1: ("4", "4"), 2: ("4", "4")},
}
# the reward depends on the state left: A pays 1, B pays 3
LEAVING = ENTERING.replace("r: 2}", "r: 1}").replace("right: {next: T, r: 4}\n  B", "right: "
          "{next: T, r: 1}\n  B").replace("left: {next: A, r: 1}", "left: {next: A, r: 3}").replace(
          "right: {next: T, r: 4}\n", "right: {next: T, r: 3}\n")  # fmt: skip


def _sweeps(doc: dict) -> str:
    return "sweeps: {" + ", ".join(f"{k}: {{A: {a}, B: {b}}}" for k, (a, b) in doc.items()) + "}"


def _grade(tmp_path, text: str, command: list[str], answer: str) -> tuple[int, dict]:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    res = runner.invoke(app, ["mdp", command[0], str(path), *command[1:], "--answer", answer,
                              "--json"])  # fmt: skip
    return res.exit_code, json.loads(res.stdout)


EVAL = ["evaluate", "-p", "uniform", "--method", "iterative", "--sweeps", "2"]


def test_leaving_mdp_is_what_the_comment_says():
    assert "A:\n    left: {next: B, r: 1}\n    right: {next: T, r: 1}" in LEAVING
    assert "B:\n    left: {next: A, r: 3}\n    right: {next: T, r: 3}" in LEAVING


def test_correct_answer_is_not_diagnosed(tmp_path):
    code, doc = _grade(tmp_path, ENTERING, EVAL, _sweeps(TRUTH))
    assert code == 0 and doc["all_right"] and doc["diagnoses"] == []


@pytest.mark.parametrize("mistake", list(EVALUATION_MISTAKES))
def test_each_evaluation_mistake_is_named(tmp_path, mistake):
    code, doc = _grade(tmp_path, ENTERING, EVAL, _sweeps(EVALUATION_MISTAKES[mistake]))
    assert code == 1
    named = [d["mistakes"] for d in doc["diagnoses"]]
    assert named == [[mistake]], named
    assert doc["diagnoses"][0]["first_difference"].startswith("sweep")


def test_unrelated_wrong_answer_gets_no_diagnosis(tmp_path):
    code, doc = _grade(tmp_path, ENTERING, EVAL, "sweeps: {1: {A: 7, B: -1}, 2: {A: 1/3}}")
    assert code == 1 and doc["diagnoses"] == []


def test_first_difference_names_the_step(tmp_path):
    # in place, the first value that differs is V1(B): 13/4 instead of 5/2
    _, doc = _grade(tmp_path, ENTERING, EVAL, _sweeps(EVALUATION_MISTAKES["in-place"]))
    assert doc["diagnoses"][0]["first_difference"].startswith("sweep 1: V₁(B) = 13/4")


def test_synchronous_instead_of_in_place(tmp_path):
    # asked in place: the truth is the in-place column above; synchronous numbers are wrong
    code, doc = _grade(tmp_path, ENTERING, [*EVAL, "--in-place"], _sweeps(TRUTH))
    assert code == 1 and [d["mistakes"] for d in doc["diagnoses"]] == [["synchronous"]]


def test_reward_on_entering(tmp_path):
    # leaving rewards A 1, B 3; truth V1 = (1, 3). Paid on entering instead (T pays 0):
    #   V1(A) = 1/2·R(B) + 1/2·R(T) = 3/2, V1(B) = 1/2·R(A) + 0 = 1/2
    one = ["evaluate", "-p", "uniform", "--method", "iterative", "--sweeps", "1"]
    code, doc = _grade(tmp_path, LEAVING, one, "sweeps: {1: {A: 1, B: 3}}")
    assert code == 0
    code, doc = _grade(tmp_path, LEAVING, one, "sweeps: {1: {A: 3/2, B: 1/2}}")
    assert [d["mistakes"] for d in doc["diagnoses"]] == [["reward-on-entering"]]


def test_gamma_forgotten_in_the_linear_solve(tmp_path):
    # v = r_pi + gamma P_pi v. gamma = 1/2: v(A) = 3 + v(B)/4, v(B) = 5/2 + v(A)/4
    #   → v(A) = 58/15, v(B) = 52/15. gamma = 1: v(A) = 3 + v(B)/2, v(B) = 5/2 + v(A)/2
    #   → 3/4 v(A) = 17/4, v(A) = 17/3, v(B) = 16/3
    code, doc = _grade(tmp_path, ENTERING, ["evaluate", "-p", "uniform"], "A=58/15, B=52/15")
    assert code == 0
    code, doc = _grade(tmp_path, ENTERING, ["evaluate", "-p", "uniform"], "A=17/3, B=5.33")
    assert [d["mistakes"] for d in doc["diagnoses"]] == [["gamma-forgotten"]]


def test_expectation_not_max(tmp_path):
    # value iteration's truth: V1 = V2 = (4, 4) (see max-not-expectation); the equiprobable
    # expectation instead gives the evaluation truth
    vi = ["solve", "--method", "value-iteration", "--sweeps", "2"]
    code, doc = _grade(tmp_path, ENTERING, vi, _sweeps(EVALUATION_MISTAKES["max-not-expectation"]))
    assert code == 0
    code, doc = _grade(tmp_path, ENTERING, vi, _sweeps(TRUTH))
    assert [d["mistakes"] for d in doc["diagnoses"]] == [["expectation-not-max"]]
    # policy iteration: V* = (4, 4); the uniform policy's values 58/15, 52/15 instead
    code, doc = _grade(tmp_path, ENTERING, ["solve"], "values: {A: 58/15, B: 52/15}")
    assert [d["mistakes"] for d in doc["diagnoses"]] == [["expectation-not-max"]]


def test_two_mistakes_at_once(tmp_path):
    # in place and gamma = 1: V1(A) = 3, V1(B) = 1/2(1 + 3) + 2 = 4;
    #   V2(A) = 1/2(2 + 4) + 2 = 5, V2(B) = 1/2(1 + 5) + 2 = 5
    code, doc = _grade(tmp_path, ENTERING, EVAL, _sweeps({1: ("3", "4"), 2: ("5", "5")}))
    assert code == 1
    assert [sorted(d["mistakes"]) for d in doc["diagnoses"]] == [["gamma-forgotten", "in-place"]]


def test_text_report_shows_right_value_and_diagnosis(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(ENTERING)
    res = runner.invoke(app, ["mdp", *EVAL[:1], str(path), *EVAL[1:], "--answer",
                              _sweeps(EVALUATION_MISTAKES["gamma-twice"])])  # fmt: skip
    assert res.exit_code == 1
    assert "✗ sweeps.2.A = 53/16    right: 29/8 (= 3.625)" in res.output
    assert "✓ sweeps.1.A = 3" in res.output
    assert "diagnosis: γ applied twice" in res.output

"""`rlcli practice` serves the policy-gradient topics end to end: listed, drilled with a piped
answer (right: exit 0; a named mistake: exit 1 and diagnosed), worksheets with the calc command
as the check. The answers are worked in this file from the exercise's own command line."""

from __future__ import annotations

import shlex
from fractions import Fraction as F

import pytest
from helpers import drill, worksheet
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.grade.answer import AnswerError
from rlcli.practice.topics import generate, topics

runner = CliRunner()
CALC = ("reinforce", "gae", "ppo-clip", "grpo", "kl")


def options(command: str) -> dict[str, str]:
    words = shlex.split(command)
    return {w: words[i + 1] for i, w in enumerate(words) if w.startswith("--")}


def gae(rewards, values, dones, gamma, lam):
    """δ_t = r_t + γ(1−d_t)V_{t+1} − V_t; Â_t = δ_t + γλ(1−d_t)Â_{t+1} (GAE eq. 16)."""
    deltas = [r + gamma * (1 - d) * values[t + 1] - values[t]
              for t, (r, d) in enumerate(zip(rewards, dones, strict=True))]  # fmt: skip
    adv, nxt = [], F(0)
    for t in reversed(range(len(rewards))):
        nxt = deltas[t] + gamma * lam * (1 - dones[t]) * nxt
        adv.append(nxt)
    return deltas, adv[::-1]


def fractions(text: str) -> list[F]:
    return [F(x) for x in text.split(",")]


def answer(deltas, adv) -> str:
    return f"deltas: [{', '.join(map(str, deltas))}]\nadvantages: [{', '.join(map(str, adv))}]\n"


def test_the_calc_topics_are_listed():
    listed = runner.invoke(app, ["practice"])
    assert listed.exit_code == 0
    for topic in CALC:
        assert topic in topics()
        assert topic in listed.output


def test_a_gae_drill_right_and_with_lambda_left_out():
    seed = next(s for s in range(50)
                if options(generate("gae", s).command)["--lambda"] not in ("0", "1"))  # fmt: skip
    o = options(generate("gae", seed).command)
    data = (fractions(o["--rewards"]), fractions(o["--values"]),
            [int(d) for d in o["--dones"].split(",")], F(o["--gamma"]))  # fmt: skip
    right = runner.invoke(app, ["practice", "gae", "--seed", str(seed)],
                          input=answer(*gae(*data, F(o["--lambda"]))))  # fmt: skip
    assert right.exit_code == 0, right.output
    assert "diagnosis" not in right.output
    assert "worked solution (rlcli calc gae" in right.output
    wrong = runner.invoke(app, ["practice", "gae", "--seed", str(seed)],
                          input=answer(*gae(*data, F(1))))  # fmt: skip
    assert wrong.exit_code == 1, wrong.output
    assert "λ left out" in wrong.output


def test_every_calc_topic_drills_without_an_answer_and_prints_its_command():
    for topic in CALC:
        res = runner.invoke(app, ["practice", topic, "--seed", "2"], input="")
        # no answer: no check was asked for, so exit 0 (DESIGN: 1 = a requested check failed)
        assert res.exit_code == 0, (topic, res.output)
        assert "no answer given" in res.output
        assert f"rlcli calc {generate(topic, 2).command.split()[2]}" in res.output
        assert "answer:" in res.output


def test_a_calc_worksheet_names_the_command_to_check_with(tmp_path):
    sheet = tmp_path / "ws.md"
    worksheet(sheet, ["gae", "ppo-clip"], 2, seed=1)
    text = sheet.read_text()
    for i, topic in enumerate(("gae", "ppo-clip"), 1):
        ex = generate(topic, 1000 + i)
        assert f"# check: {ex.command} --answer 'ANSWER'" in text
    solutions = (tmp_path / "ws-solutions.md").read_text()
    assert solutions.count("answer:") == 2


# gae, seed 1: γ = 1/2, λ = 1; rewards 0,0,1,1; values 2,2,0,3,3; dones 0,0,0,1.
#   δ0 = 0 + 1/2·2 − 2 = −1; δ1 = 0 + 1/2·0 − 2 = −2; δ2 = 1 + 1/2·3 − 0 = 5/2; δ3 = 1 − 3 = −2
#   Â3 = −2; Â2 = 5/2 + 1/2·(−2) = 3/2; Â1 = −2 + 1/2·3/2 = −5/4; Â0 = −1 + 1/2·(−5/4) = −13/8
@pytest.mark.parametrize(
    "answer",
    [
        "deltas: [-1, -2, 5/2, -2], advantages: [-13/8, -5/4, 3/2, -2]",  # the hint, one line
        "deltas: -1, -2, 5/2, -2\nadvantages: -13/8, -5/4, 3/2, -2",  # lists without brackets
        "deltas: [-1, -2, 2.5, -2]\nadvantages: [-1.625, -1.25, 1.5, -2]",
    ],
)
def test_lists_written_the_ways_a_student_writes_them(answer):
    ex = generate("gae", 1)
    assert "Rewards r_0..r_3 = 0,0,1,1, values V(s_0)..V(s_4) = 2,2,0,3,3" in ex.question
    assert drill("gae", 1, answer).exit_code == 0


def test_lists_without_brackets_are_still_checked():
    ex = generate("gae", 1)
    report = ex.grade("advantages: -13/8, -5/4, 3/2, 2", None)  # the last sign wrong
    assert [c.ok for c in report.cells] == [True, True, True, False]
    with pytest.raises(AnswerError, match="5 items given, the exercise has 4"):
        ex.grade("advantages: -13/8, -5/4, 3/2, -2, 7", None)
    with pytest.raises(AnswerError, match=r"advantages\.2: 'x' is not a number"):
        ex.grade("advantages: -13/8, -5/4, x, -2", None)


def test_the_one_line_hint_of_grpo_and_reinforce_is_accepted():
    # grpo seed 1: rewards 0,1,0,1, sample std: mean 1/2, std = √(4·(1/4)/3) = √(1/3) ≈ 0.5774,
    # Â = ±(1/2)/(0.5774 + 1/2) ≈ ±0.4641
    grpo = "mean: 1/2, std: 0.577, advantages: [-0.464, 0.464, -0.464, 0.464]"
    assert drill("grpo", 1, grpo).exit_code == 0
    # reinforce seed 1: π(L) = 1/(1 + 1/3) = 3/4; G = (0 + 1/2·(−1), −1) = (−1/2, −1);
    # ĝ = −1/2·(1/4, −1/4) + 1/2·(−1)·(−3/4, 3/4) = (1/4, −1/4)
    answer = "returns: [-1/2, -1], gradient: {s1: {L: 1/4, R: -1/4}}"
    assert drill("reinforce", 1, answer).exit_code == 0

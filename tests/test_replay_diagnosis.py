"""Issue 13: every mistake of the replay catalogue (``rlcli/replay/mistakes.py``) is named
for an answer worked by hand with that mistake; the right answer and an unrelated wrong
answer are not diagnosed as it; the first difference names the first update where the
mistaken working leaves the right one. Every number below is worked by hand in the
comments (exact fractions)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from rlcli.grade.documents import grade_document
from rlcli.replay.experience import from_text
from rlcli.replay.mistakes import replay_mistakes
from rlcli.replay.run import Options, replay

# TD(0), α = 1/2, γ = 1/2, "A 1 B 2; A 1 B 2":
#   right: A = ½[1] = 1/2, B = ½[2] = 1; A = 1/2 + ½[1 + ½·1 − 1/2] = 1, B = 1 + ½[2 − 1] = 3/2
#   γ = 1: A = 1/2, B = 1; A = 1/2 + ½[1 + 1 − 1/2] = 5/4, B = 3/2
#   α·target: A = ½·1 = 1/2, B = ½·2 = 1; A = 1/2 + ½[1 + ½·1] = 5/4, B = 1 + ½·2 = 2
#   α = 1: A = 1, B = 2; A = 1 + ½·2 = 2, B = 2
TD = ("td", "A 1 B 2; A 1 B 2", {"gamma": "1/2", "alpha": "1/2"}, "A=1, B=3/2")
# every-visit MC (sample averages), γ = 1, "A 1 B 2 A 3": G_0 = 6, G_1 = 5, G_2 = 3
#   every-visit A = (6 + 3)/2 = 9/2, B = 5; first-visit A = 6, B = 5
MC_EVERY = ("mc", "A 1 B 2 A 3", {}, "A=9/2, B=5")
MC_FIRST = ("mc", "A 1 B 2 A 3", {"visit": "first"}, "A=6, B=5")
# every-visit MC, γ = 1/2, same episode: G_2 = 3, G_1 = 2 + ½·3 = 7/2, G_0 = 1 + ½·7/2 = 11/4
#   A = (11/4 + 3)/2 = 23/8, B = 7/2; returns without discounting: A = 9/2, B = 5 (as above)
MC_DISCOUNTED = ("mc", "A 1 B 2 A 3", {"gamma": "1/2"}, "A=23/8, B=7/2")
# constant α = 1/2, every-visit, same episode, updates forward in time:
#   A = ½·6 = 3, B = ½·5 = 5/2, A = 3 + ½[3 − 3] = 3  (sample averages: A = 9/2, B = 5)
MC_ALPHA = ("mc", "A 1 B 2 A 3", {"alpha": "1/2"}, "A=3, B=5/2")
# S&B Example 6.4, γ = 1: batch TD A = 3/4 (A → B always, V(B) = 6/8), batch MC A = 0
EX_6_4 = "A 0 B 0; B 1; B 1; B 1; B 1; B 1; B 1; B 0"
BATCH_TD = ("td", EX_6_4, {"batch": True}, "A=3/4, B=3/4")
BATCH_MC = ("mc", EX_6_4, {"batch": True}, "A=0, B=3/4")
# batch TD on "B 2; A 1 B 0", γ = 1: r̂(B) = (2 + 0)/2 = 1, V(B) = 1, V(A) = 1 + V(B) = 2;
#   online TD with α = 1/N: B = 2; A = 1 + V(B) = 3; B = 2 + ½[0 − 2] = 1
#   (batch MC: A = 1, B = 1)
BATCH_TD_2 = ("td", "B 2; A 1 B 0", {"batch": True}, "A=2, B=1")
# α = 1/2, γ = 1; ep 1 "B left 4": Q(B,left) = ½·4 = 2;
# ep 2 "A right 1 B right 0": SARSA Q(A,right) = ½[1 + Q(B,right) = 0] = 1/2,
#   Q-learning Q(A,right) = ½[1 + max(2, 0)] = 3/2; then Q(B,right) = ½[0] = 0
CONTROL = "B left 4; A right 1 B right 0"
SARSA = ("sarsa", CONTROL, {"alpha": "1/2"}, "q: {A: {right: 1/2}, B: {left: 2, right: 0}}")
QLEARN = ("q-learning", CONTROL, {"alpha": "1/2"}, "q: {A: {right: 3/2}, B: {left: 2, right: 0}}")
# TD(λ), λ = 1/2, α = 1/2, γ = 1, "A 1 A 1":
#   replacing traces: δ_0 = 1, e(A) = 1, A = 1/2; δ_1 = 1 + 0 − 1/2 = 1/2, e(A) = 1,
#     A = 1/2 + ½·½·1 = 3/4
#   offline λ-return (values at the start, 0): G_0:1 = 1, G_0 = 2, G^λ_0 = ½·1 + ½·2 = 3/2,
#     G^λ_1 = 1: A = ½·3/2 = 3/4, A = 3/4 + ½[1 − 3/4] = 7/8
TRACES = ("td-lambda", "A 1 A 1", {"lam": "1/2", "alpha": "1/2", "variant": "replacing"}, "A=3/4")
# importance sampling, target π(right|A) = 1, behaviour 1/2 each, γ = 1:
#   ep 1 "A right 3": ρ = 2, G = 3; ep 2 "A left 1": ρ = 0; ep 3 "A right 0 A right 2":
#   t=0 ρ = 4, G = 2; t=1 ρ = 2, G = 2
#   every-visit: ordinary (6 + 0 + 8 + 4)/4 = 9/2, weighted 18/(2 + 0 + 4 + 2) = 9/4
#   first-visit: ordinary (6 + 0 + 8)/3 = 14/3, weighted 14/6 = 7/3
IS_OPTS = {"target": "A=right", "behaviour": "A=left:1/2|right:1/2"}
IS = ("importance-sampling", "A right 3; A left 1; A right 0 A right 2", IS_OPTS,
      "{ordinary: 9/2, weighted: 9/4}")  # fmt: skip


@dataclass
class Case:
    setting: tuple[str, str, dict, str]  # method, episodes, options, the right answer
    mistaken: str  # the answer worked by hand with the mistake
    name: str  # the mistake's name in the catalogue
    unrelated: str  # a wrong answer no mistake explains
    first_difference: str | None = None
    also: list[str] = field(default_factory=list)


CASES = [
    Case(TD, "A=5/4, B=3/2", "γ left out (γ = 1)", "A=8, B=17/2",
         "update 3, episode 2 t=0 (A→B): V(A) = 5/4 (= 1.25) instead of 1"),
    Case(TD, "A=5/4, B=2", "α applied to the target instead of to the error (V + α·target)",
         "A=8, B=17/2", "update 3, episode 2 t=0 (A→B): V(A) = 5/4 (= 1.25) instead of 1"),
    Case(TD, "A=2, B=2", "α = 1 (the target itself instead of a step toward it)",
         "A=8, B=17/2", "update 1, episode 1 t=0 (A→B): V(A) = 1 instead of 1/2 (= 0.5)"),
    Case(MC_DISCOUNTED, "A=9/2, B=5", "γ left out (γ = 1)", "A=3, B=7/2",
         "update 1, episode 1 t=0: V(A) = 6 instead of 11/4 (= 2.75)"),
    Case(MC_EVERY, "A=6, B=5", "first-visit instead of every-visit", "A=13/2, B=6",
         "update 3, episode 1 t=2: V(A) = 9/2 (= 4.5) in the right working, left out in yours"),
    Case(MC_FIRST, "A=9/2, B=5", "every-visit instead of first-visit", "A=7, B=6",
         "update 3, episode 1 t=2: V(A) = 9/2 (= 4.5) in yours, not in the right working"),
    Case(MC_ALPHA, "A=9/2, B=5", "sample averages 1/N instead of the constant α", "A=4, B=7/2",
         "update 1, episode 1 t=0: V(A) = 6 instead of 3"),
    Case(BATCH_TD, "A=0, B=3/4", "batch MC instead of batch TD", "A=1, B=3/4",
         "in the results: values.A = 0 instead of 3/4 (= 0.75)"),
    Case(BATCH_MC, "A=3/4, B=3/4", "batch TD instead of batch MC", "A=1/2, B=3/4"),
    Case(BATCH_TD_2, "A=3, B=1", "online updates instead of batch updating", "A=4, B=1"),
    Case(QLEARN, "q: {A: {right: 1/2}}", "SARSA's target (the action taken next) instead of "
         "the max", "q: {A: {right: 5/2}}",
         "update 2, episode 2 t=0 (A→B): Q(A,right) = 1/2 (= 0.5) instead of 3/2 (= 1.5)"),
    Case(SARSA, "q: {A: {right: 3/2}}", "Q-learning's max instead of the next action's value",
         "q: {A: {right: 5/2}}"),
    Case(TRACES, "A=7/8", "the offline λ-return instead of traces", "A=1/3"),
    Case(IS, "{ordinary: 9/2, weighted: 9/2}",
         "ordinary IS (divided by n) instead of weighted (by Σρ)", "{ordinary: 9/2, weighted: 3}",
         "in the results: weighted = 9/2 (= 4.5) instead of 9/4 (= 2.25)"),
    Case(IS, "{weighted: 9/4, ordinary: 9/4}",
         "weighted IS (divided by Σρ) instead of ordinary (by n)", "{ordinary: 5, weighted: 9/4}"),
    Case(IS, "{ordinary: 9/4, weighted: 9/2}", "ordinary and weighted IS swapped",
         "{ordinary: 1, weighted: 2}"),
    Case(IS, "{ordinary: 14/3, weighted: 7/3}", "first-visit instead of every-visit",
         "{ordinary: 4, weighted: 2}"),
]  # fmt: skip


def graded(setting: tuple[str, str, dict, str], answer: str):
    method, episodes, options, _ = setting
    exp = from_text(episodes, None, set())
    opt = Options(**options)
    doc = {"method": method, **replay(method, exp, opt).document()}
    return grade_document(doc, answer, None, replay_mistakes(method, exp, opt, None), text=True)


def names(report) -> list[str]:
    return [" and ".join(m.name for m in d.mistakes) for d in report.diagnoses]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_an_answer_with_the_mistake_is_diagnosed_as_it(case: Case):
    report = graded(case.setting, case.mistaken)
    assert not report.all_right
    assert case.name in names(report)
    if case.first_difference is not None:
        found = report.diagnoses[names(report).index(case.name)].first_difference
        assert found == case.first_difference


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_right_and_an_unrelated_answer_are_not_diagnosed_as_it(case: Case):
    right = graded(case.setting, case.setting[3])
    assert right.all_right and not right.diagnoses
    unrelated = graded(case.setting, case.unrelated)
    assert not unrelated.all_right
    assert case.name not in names(unrelated)


def test_the_cases_cover_the_whole_catalogue():
    """Every mistake the catalogue can name for these settings has a case above."""
    offered = set()
    for method, episodes, options, _ in [c.setting for c in CASES]:
        exp = from_text(episodes, None, set())
        offered |= set(replay_mistakes(method, exp, Options(**options), None))
    assert offered == {c.name for c in CASES}

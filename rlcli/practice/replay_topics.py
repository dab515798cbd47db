"""The replayed-experience topic family: TD(0), SARSA, Q-learning, first- and every-visit
MC, batch TD vs batch MC, n-step TD, the offline λ-return and importance sampling, each on
a tiny experience file.

Each exercise is an experience file (DESIGN.md "Experience"): 1-3 short episodes over the
states A, B (and C), small integer rewards, a trailing reward ending an episode in a
terminal state (value 0), α and γ in the file (α ∈ {1/2, 1/4, 1/10}, γ ∈ {1, 1/2, 9/10}),
values starting at 0. The truth is ``rlcli replay``'s document for the command that answers
it; a draw is kept only when every asked number is short and the question is fair: the
mistake the topic drills (SARSA's target for Q-learning's, first- for every-visit, batch
MC for batch TD, ...) changes the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from rlcli.practice.exercise import Exercise, is_short

FILE = "experience.yaml"
ANSWER_Q = "(answer: q: {A: {left: .., right: ..}, B: {..}})"
TOPICS = {
    "td0": "TD(0) on given episodes: the final V (S&B eq. 6.2)",
    "sarsa": "SARSA on given episodes: the final Q (eq. 6.7)",
    "q-learning": "Q-learning on given episodes: the final Q (eq. 6.8)",
    "mc-first-visit": "first-visit Monte Carlo prediction, sample averages: V (§5.1)",
    "mc-every-visit": "every-visit Monte Carlo prediction, sample averages: V (§5.1)",
    "batch-td-vs-mc": "batch TD(0) or batch MC on given episodes: the values each converges "
    "to (§6.3, Example 6.4)",
    "n-step": "n-step TD on given episodes: the final V (eq. 7.2)",
    "lambda-return": "the offline λ-return algorithm on given episodes: the final V "
    "(eqs. 12.3-12.4)",
    "importance-sampling": "off-policy MC: the ordinary and weighted importance-sampling "
    "estimates (eqs. 5.5-5.6)",
}
ALPHAS = ("1/2", "1/4", "1/10")
GAMMAS = ("1", "1/2", "9/10")
ACTIONS = ("left", "right")
VISITS = {"first": "the first visit to s in each episode", "every": "every visit to s"}


@dataclass(frozen=True)
class Question:
    """What one draw asks: the replay method and its options (``Options`` fields and the
    same as command-line flags), the answer keys, the question text, and the method whose
    answer a fair question must differ from (the drilled mistake), with its options."""

    method: str
    options: Mapping[str, Any]
    flags: str
    asked: tuple[str, ...]
    text: str
    rival: tuple[str, Mapping[str, Any]] | None = None


def _pick(rng: np.random.Generator, items: tuple[str, ...]) -> str:
    return items[int(rng.integers(len(items)))]


def _reward(rng: np.random.Generator) -> int:
    return int(rng.integers(-1, 3))


def _episode(rng: np.random.Generator, states: tuple[str, ...], steps: int,
             start: str | None = None, actions: bool = False) -> str:  # fmt: skip
    """``S R S R ... R`` (or ``S A R S A R ... R`` with actions): a trailing reward, so the
    episode ends in a terminal state."""
    s = start or _pick(rng, states)
    tokens = []
    for _ in range(steps):
        tokens.append(s)
        if actions:
            tokens.append(_pick(rng, ACTIONS))
        tokens.append(str(_reward(rng)))
        s = _pick(rng, states)
    return " ".join(tokens)


def _episodes(rng: np.random.Generator, states: tuple[str, ...], count: tuple[int, int],
              length: tuple[int, int], **kw: Any) -> list[str]:  # fmt: skip
    n = int(rng.integers(count[0], count[1] + 1))
    return [_episode(rng, states, int(rng.integers(length[0], length[1] + 1)), **kw)
            for _ in range(n)]  # fmt: skip


def _file(settings: Mapping[str, str], episodes: list[str]) -> str:
    lines = [f"{k}: {v}" for k, v in settings.items()]
    return "\n".join([*lines, "episodes:", *(f"  - {e}" for e in episodes)]) + "\n"


def _values_hint(episodes: list[str]) -> str:
    """``(answer: A=.., C=..)``: every state the episodes visit, and only those."""
    states = sorted({t for e in episodes for t in e.split() if t in ("A", "B", "C")})
    return "(answer: " + ", ".join(f"{s}=.." for s in states) + ")"


def _n_step_return(n: int) -> str:
    """``R_τ+1 + γR_τ+2 + γ^2V(S_τ+2)``: the n-step return of eq. 7.1, term by term."""
    power = ["", "γ", *(f"γ^{k}" for k in range(2, n + 1))]
    return " + ".join([*(f"{power[k]}R_τ+{k + 1}" for k in range(n)), f"{power[n]}V(S_τ+{n})"])


RULES = (
    "Values start at 0; a trailing reward ends an episode in a terminal state (value 0); "
    "α and γ are in the file."
)


def _question(topic: str, rng: np.random.Generator) -> tuple[Question, str]:
    """The question of one draw and its experience file's text."""
    gamma, alpha = _pick(rng, GAMMAS), _pick(rng, ALPHAS)
    if topic == "td0":
        eps = _episodes(rng, ("A", "B", "C"), (2, 3), (1, 3))
        return Question(
            "td", {}, "", ("values",),
            "Apply TD(0), V(S) ← V(S) + α[R + γV(S') − V(S)], to every step of the episodes "
            f"in order. {RULES} Give the final V {_values_hint(eps)}.",
            ("td", {"alpha_on_target": True}),
        ), _file({"gamma": gamma, "alpha": alpha}, eps)  # fmt: skip
    if topic in ("sarsa", "q-learning"):
        eps = _episodes(rng, ("A", "B"), (2, 2), (2, 3), actions=True)
        if topic == "sarsa":
            rule = "SARSA, Q(S,A) ← Q(S,A) + α[R + γQ(S',A') − Q(S,A)], A' the action taken next"
        else:
            rule = "Q-learning, Q(S,A) ← Q(S,A) + α[R + γ max_a Q(S',a) − Q(S,A)]"
        other = "q-learning" if topic == "sarsa" else "sarsa"
        return Question(
            topic, {}, "", ("q",),
            f"Apply {rule}, to every step of the episodes in order (actions left and right). "
            f"{RULES.replace('Values start', 'Q starts')} Give the final Q {ANSWER_Q}.",
            (other, {}),
        ), _file({"gamma": gamma, "alpha": alpha}, eps)  # fmt: skip
    if topic in ("mc-first-visit", "mc-every-visit"):
        visit = topic.split("-")[1]
        other = "every" if visit == "first" else "first"
        eps = _episodes(rng, ("A", "B"), (1, 2), (2, 4))
        return Question(
            "mc", {"visit": visit}, f" --visit {visit}", ("values",),
            f"{visit.capitalize()}-visit Monte Carlo prediction with sample averages: V(s) = "
            f"the average of the returns G_t following {VISITS[visit]}, over all "
            f"episodes. The episodes end in a terminal state; γ is in the file. Give V "
            f"{_values_hint(eps)}.",
            ("mc", {"visit": other}),
        ), _file({"gamma": gamma}, eps)  # fmt: skip
    if topic == "batch-td-vs-mc":
        method = "td" if rng.random() < 0.5 else "mc"
        eps = _episodes(rng, ("A", "B", "C"), (3, 5), (1, 2))
        what = (
            "batch TD(0) converges to: V = r̂ + γP̂V, the values of the maximum-likelihood "
            "model of the episodes"
            if method == "td"
            else "batch every-visit Monte Carlo converges to: V(s) = the average of every "
            "return from s"
        )
        return Question(
            method, {"batch": True}, " --batch", ("values",),
            f"The episodes are presented over and over until V converges. Give the values "
            f"that {what} (S&B §6.3; the episodes end in a terminal state; γ is in the file) "
            f"{_values_hint(eps)}.",
            ("mc" if method == "td" else "td", {"batch": True}),
        ), _file({"gamma": gamma}, eps)  # fmt: skip
    if topic == "n-step":
        n = int(rng.integers(2, 4))
        eps = _episodes(rng, ("A", "B", "C"), (1, 2), (n, n + 1))
        return Question(
            "nstep", {"n": n}, f" --n {n}", ("values",),
            f"Apply {n}-step TD, V(S_τ) ← V(S_τ) + α[G_τ:τ+{n} − V(S_τ)] with G_τ:τ+{n} = "
            f"{_n_step_return(n)} (terms past the end of the episode left out), for τ = 0, "
            f"1, …, T−1 of each episode in order, each G from the current V. {RULES} Give "
            f"the final V {_values_hint(eps)}.",
            ("nstep", {"n": 1}),
        ), _file({"gamma": gamma, "alpha": alpha}, eps)  # fmt: skip
    if topic == "lambda-return":
        eps = _episodes(rng, ("A", "B"), (1, 2), (2, 3))
        return Question(
            "td-lambda", {"lam": "1/2"}, " --lambda 1/2", ("values",),
            "Apply the offline λ-return algorithm with λ = 1/2: at the end of each episode, "
            "V(S_t) ← V(S_t) + α[G^λ_t − V(S_t)] for t = 0, 1, …, T−1 in order, with G^λ_t "
            "= (1−λ) Σ_{n=1}^{T−t−1} λ^(n−1) G_t:t+n + λ^(T−t−1) G_t computed from the "
            f"values at the start of the episode. {RULES} Give the final V "
            f"{_values_hint(eps)}.",
            ("td-lambda", {"alpha_on_target": True}),
        ), _file({"gamma": gamma, "alpha": alpha}, eps)  # fmt: skip
    # importance-sampling
    target = "; ".join(f"{s}={_pick(rng, ACTIONS)}" for s in ("A", "B"))
    probs = [("1/2", "1/2"), ("1/2", "1/2"), ("1/4", "3/4"), ("3/4", "1/4")]
    behaviour = "; ".join(
        f"{s}=left:{p[0]}|right:{p[1]}" for s in ("A", "B")
        for p in [probs[int(rng.integers(len(probs)))]]
    )  # fmt: skip
    eps = _episodes(rng, ("A", "B"), (2, 3), (1, 2), start="A", actions=True)
    settings = {"gamma": gamma, "target": f'"{target}"', "behaviour": f'"{behaviour}"'}
    return Question(
        "importance-sampling", {}, "", ("ordinary", "weighted"),
        "The episodes were generated by the behaviour policy b; π is the deterministic "
        "target policy (both in the file). Every-visit, with ρ_t:T−1 = Π π(A_k|S_k)/b(A_k|S_k) "
        "and G_t the return from each visit to A: give the ordinary (Σ ρG / number of "
        "visits) and the weighted (Σ ρG / Σ ρ) importance-sampling estimates of v_π(A) "
        "(answer: {ordinary: .., weighted: ..}).",
    ), _file(settings, eps)  # fmt: skip


def draw(topic: str, rng: np.random.Generator) -> Exercise | None:
    """One draw of ``topic``: the exercise, or None when an asked number is not short or
    the question is not fair (see the module docstring)."""
    from rlcli.grade.documents import grade_document, worked_document
    from rlcli.render.grading import answer_lines
    from rlcli.render.worked import render
    from rlcli.replay.experience import loads
    from rlcli.replay.mistakes import replay_mistakes
    from rlcli.replay.run import Options, replay

    q, text = _question(topic, rng)
    exp = loads(text, FILE, set())
    opt = Options(**q.options)
    worked = replay(q.method, exp, opt)
    doc = {"method": q.method, **worked.document()}
    truth = dict(worked_document(doc).doc)
    if not _fair(topic, q, exp, opt, truth):
        return None
    mistakes = replay_mistakes(q.method, exp, opt, None)
    return Exercise(
        topic, q.text, {FILE: text}, f"rlcli replay {q.method} {FILE}{q.flags}", q.asked, truth,
        grade=lambda answer, tol: grade_document(doc, answer, tol, mistakes, text=True),
        work=lambda: render(worked, "text").splitlines() + answer_lines(q.asked, truth),
    )  # fmt: skip


def _numbers(node: Any) -> list[Any]:
    if isinstance(node, Mapping):
        return [x for v in node.values() for x in _numbers(v)]
    return [node]


def _fair(topic: str, q: Question, exp: Any, opt: Any, truth: Mapping[str, Any]) -> bool:
    """Every asked number exact and short, not all zero; every state's two actions seen
    (control); Σρ > 0 (importance sampling); and the drilled mistake changes the answer."""
    from rlcli.grade.documents import worked_document
    from rlcli.replay.run import replay

    cells = [x for k in q.asked for x in _numbers(truth.get(k))]
    if not cells or not all(isinstance(x, Fraction) and is_short(x) for x in cells):
        return False
    if not any(cells):
        return False
    if q.method in ("sarsa", "q-learning") and any(
        set(exp.actions.get(s, ())) != set(ACTIONS) for s in ("A", "B")
    ):
        return False
    if topic == "importance-sampling":
        return truth["ordinary"] != truth["weighted"]
    assert q.rival is not None
    method, changes = q.rival
    other = replay(method, exp, replace(opt, **changes)).document()
    rival = worked_document({"method": method, **other}).doc
    return all(rival.get(k) != truth[k] for k in q.asked)

"""Policy-gradient practice topics: fresh hand-sized ``rlcli calc`` exercises.

Each draw picks small data (short fractions, two actions, 3-4 steps or pairs), works it
with the very ``rlcli.calc`` function the command calls, and keeps it only when

- every rational number asked for is short (``is_short``); logs, softmax of general logits
  and square roots have no exact form and are graded as decimals (KL, some GRPO stds);
- every named mistake of ``rlcli.calc.mistakes`` that applies changes an asked number by at
  least 0.01, so a 2-digit answer made with it is told apart from the right one.

The exercise's ``command`` is the ``rlcli calc`` line that answers it; its truth, grader and
worked solution are those of the command (``--json``, ``--answer``, the text output).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from rlcli.grade.documents import grade_document, worked_document
from rlcli.grade.numbers import Inexact
from rlcli.practice.exercise import Exercise, is_short
from rlcli.replay.worked import Worked

TOPICS = {
    "reinforce": "REINFORCE: the returns and the gradient of a tabular softmax policy from one "
    "episode, ĝ = Σ_t γ^t (G_t − b(S_t)) ∇ log π(A_t|S_t) (S&B eq. 13.8)",
    "gae": "GAE: δ_t and Â_t from rewards, values and done flags (Schulman et al. 2016, eq. 16)",
    "ppo-clip": "PPO-clip: L = min(rA, clip(r, 1−ε, 1+ε)A) and ∂L/∂r per pair "
    "(Schulman et al. 2017, eq. 7)",
    "grpo": "GRPO: the group's mean, std and advantages (r_i − mean)/(std + ε) "
    "(DeepSeekMath, Shao et al. 2024)",
    "kl": "KL(p‖q) of two categoricals and the k1/k2/k3 estimates from samples of p "
    "(Schulman 2020)",
}
MIN_GAP = Fraction(1, 100)  # a mistake must move an asked number at least this much
Mistakes = Mapping[str, Callable[[], Mapping[str, Any]]]


def draw(topic: str, rng: np.random.Generator) -> Exercise | None:
    """One exercise of ``topic`` from ``rng``'s stream; None when this draw's answer is not
    hand-sized or a mistake would not show in it (the caller draws again)."""
    if topic not in TOPICS:
        raise KeyError(topic)
    return _DRAW[topic](rng)


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _ints(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[int]:
    """n integers in [lo, hi]."""
    return [int(x) for x in rng.integers(lo, hi + 1, size=n)]


def _csv(xs: list[Any]) -> str:
    return ",".join(str(x) for x in xs)


def _command(name: str, options: list[tuple[str, str]]) -> str:
    return " ".join(["rlcli calc", name, *(f"{k} {shlex.quote(v)}" for k, v in options)])


def _draw_reinforce(rng: np.random.Generator) -> Exercise | None:
    from rlcli.calc.mistakes import reinforce_mistakes
    from rlcli.calc.policy import parse_table
    from rlcli.calc.reinforce import parse_trajectory, policy_gradient

    states = ["s1", "s2"][: int(rng.integers(1, 3))]
    logits = "; ".join(
        f"{s}: L=0, R={_pick(rng, ['0', 'ln(2)', 'ln(3)', 'ln(1/2)', 'ln(1/3)'])}" for s in states
    )
    steps = int(rng.integers(2, 4))
    episode = " ".join(
        f"{_pick(rng, states)} {_pick(rng, ['L', 'R'])} {_ints(rng, 1, -1, 2)[0]}"
        for _ in range(steps)
    )
    gamma = _pick(rng, ["1/2", "1/2", "1"])
    b = None
    if rng.random() < 0.5:
        b = {s: Fraction(x) for s, x in zip(states, _ints(rng, len(states), 0, 2), strict=True)}
    table = parse_table(logits, "logits", False)
    traj = parse_trajectory(episode, 1, table)
    g = Fraction(gamma)
    worked = policy_gradient(table, [traj], g, True, b, None, None)
    options = [("--logits", logits), ("--trajectory", episode), ("--gamma", gamma)]
    given = f"γ = {gamma}"
    if b is not None:
        baseline = ", ".join(f"{s}={x}" for s, x in b.items())
        options.append(("--baseline", baseline))
        given += f", baseline b: {baseline}"
    else:
        given += ", no baseline (b = 0)"
    shape = ", ".join(f"{s}: {{L: .., R: ..}}" for s in states)
    question = (
        f"A tabular softmax policy π(a|s) = e^θ(s,a) / Σ_b e^θ(s,b) has logits {logits}. "
        f"One episode (state action reward ...): {episode}; {given}. Give the returns G_t and "
        f"the REINFORCE gradient ĝ = Σ_t γ^t (G_t − b(S_t)) ∇_θ log π(A_t|S_t) "
        f"(answer: returns: [G_0, ..], gradient: {{{shape}}})."
    )
    mistakes = reinforce_mistakes(table, [traj], g, True, b, None)
    return _exercise(
        "reinforce", question, _command("reinforce", options), ("returns", "gradient"), worked,
        mistakes,
    )  # fmt: skip


def _draw_gae(rng: np.random.Generator) -> Exercise | None:
    from rlcli.calc.gae import gae_table
    from rlcli.calc.mistakes import gae_mistakes

    T = int(rng.integers(3, 5))
    rewards = _ints(rng, T, -1, 2)
    values = _ints(rng, T + 1, 0, 3)
    dones = [0] * T
    if rng.random() < 0.5:
        dones[int(rng.integers(T))] = 1
    gamma = _pick(rng, ["1/2", "9/10", "1"])
    lam = _pick(rng, ["1/2", "1/2", "0", "1"])
    worked = gae_table(rewards, values, dones, Fraction(gamma), Fraction(lam))
    options = [("--rewards", _csv(rewards)), ("--values", _csv(values)),
               ("--dones", _csv(dones)), ("--gamma", gamma), ("--lambda", lam)]  # fmt: skip
    question = (
        f"Rewards r_0..r_{T - 1} = {_csv(rewards)}, values V(s_0)..V(s_{T}) = {_csv(values)} "
        f"(the last is the bootstrap), done flags d_0..d_{T - 1} = {_csv(dones)} (1: the "
        f"episode ended after step t), γ = {gamma}, λ = {lam}. Give δ_t = r_t + γ(1−d_t)V(s_"
        f"{{t+1}}) − V(s_t) and the GAE advantages Â_t = δ_t + γλ(1−d_t)Â_{{t+1}} "
        f"(answer: deltas: [..], advantages: [..])."
    )
    mistakes = gae_mistakes(rewards, values, dones, Fraction(gamma), Fraction(lam))
    return _exercise(
        "gae", question, _command("gae", options), ("deltas", "advantages"), worked, mistakes
    )


RATIOS = ["1/2", "3/5", "7/10", "4/5", "9/10", "1", "11/10", "6/5", "13/10", "3/2", "2"]


def _draw_ppo(rng: np.random.Generator) -> Exercise | None:
    from rlcli.calc.mistakes import ppo_mistakes
    from rlcli.calc.ppo import ppo_clip

    n = 3
    ratios = [_pick(rng, RATIOS) for _ in range(n)]
    advs = [_pick(rng, ["-2", "-1", "-1/2", "1/2", "1", "2"]) for _ in range(n)]
    eps = _pick(rng, ["1/5", "1/5", "1/10"])
    r, a, e = [Fraction(x) for x in ratios], [Fraction(x) for x in advs], Fraction(eps)
    worked = ppo_clip(r, a, e, None)
    options = [("--ratio", _csv(ratios)), ("--advantage", _csv(advs)), ("--eps", eps)]
    pairs = "; ".join(f"(r, A) = ({x}, {y})" for x, y in zip(ratios, advs, strict=True))
    question = (
        f"PPO with ε = {eps}, for the pairs {pairs}: give the clipped surrogate "
        f"L = min(rA, clip(r, 1−ε, 1+ε)A) and ∂L/∂r for each pair "
        f"(answer: objective: [..], gradient: [..])."
    )
    if any(x in (1 - e, 1 + e) for x in r):
        question += " At r = 1 ± ε exactly, take ∂L/∂r = A (the unclipped branch)."
    return _exercise(
        "ppo-clip", question, _command("ppo-clip", options), ("objective", "gradient"), worked,
        ppo_mistakes(r, a, e, None),
    )  # fmt: skip


def _draw_grpo(rng: np.random.Generator) -> Exercise | None:
    from rlcli.calc.grpo import grpo_calc
    from rlcli.calc.mistakes import grpo_mistakes

    G = int(rng.integers(3, 6))
    rewards = _ints(rng, G, 0, 1) if rng.random() < 0.5 else _ints(rng, G, 0, 3)
    if len(set(rewards)) == 1:
        return None  # all equal: every advantage is 0, nothing to tell apart
    std = "population" if rng.random() < 0.6 else "sample"
    eps = _pick(rng, ["0", "0", "1/10", "1/2"])
    worked = grpo_calc([Fraction(x) for x in rewards], std, Fraction(eps), False, False)
    options = [("--rewards", _csv(rewards)), ("--std", std), ("--eps", eps)]
    ddof = "G" if std == "population" else "G − 1"
    question = (
        f"A GRPO group of G = {G} completions has rewards {_csv(rewards)}. With the {std} "
        f"standard deviation (divide by {ddof}) and ε = {eps}, give the mean, the std and the "
        f"advantages Â_i = (r_i − mean)/(std + ε) (answer: mean: .., std: .., advantages: [..]; "
        f"decimals where a square root is not rational)."
    )
    mistakes = grpo_mistakes([Fraction(x) for x in rewards], std, Fraction(eps), False, False)
    return _exercise(
        "grpo", question, _command("grpo", options), ("mean", "std", "advantages"), worked,
        mistakes,
    )  # fmt: skip


DISTRIBUTIONS = {
    2: ["1/2,1/2", "1/4,3/4", "3/4,1/4", "1/3,2/3", "2/3,1/3", "1/5,4/5", "4/5,1/5"],
    3: ["1/2,1/4,1/4", "1/4,1/2,1/4", "1/4,1/4,1/2", "1/3,1/3,1/3", "1/2,1/3,1/6",
        "1/6,1/3,1/2", "3/5,1/5,1/5"],
}  # fmt: skip


def _draw_kl(rng: np.random.Generator) -> Exercise | None:
    from rlcli.calc.kl import kl_calc
    from rlcli.calc.mistakes import kl_mistakes

    n = int(rng.integers(2, 4))
    p_text, q_text = _pick(rng, DISTRIBUTIONS[n]), _pick(rng, DISTRIBUTIONS[n])
    if p_text == q_text:
        return None
    p = [Fraction(x) for x in p_text.split(",")]
    q = [Fraction(x) for x in q_text.split(",")]
    samples = [int(i) for i in rng.choice(n, size=int(rng.integers(2, 5)), p=[float(x) for x in p])]
    worked = kl_calc(p, q, samples)
    options = [("--p", p_text), ("--q", q_text), ("--samples", _csv(samples))]
    question = (
        f"p = ({p_text}) and q = ({q_text}) over outcomes 0..{n - 1}. Give KL(p‖q) = Σ p ln(p/q) "
        f"and, from the samples x = {_csv(samples)} drawn from p with r = q(x)/p(x), the means "
        f"of k1 = −ln r, k2 = ½(ln r)² and k3 = (r − 1) − ln r (natural log; answer: kl: .., "
        f"k1: .., k2: .., k3: .., as decimals)."
    )
    return _exercise(
        "kl", question, _command("kl", options), ("kl", "k1", "k2", "k3"), worked,
        kl_mistakes(p, q, samples),
    )  # fmt: skip


_DRAW = {
    "reinforce": _draw_reinforce,
    "gae": _draw_gae,
    "ppo-clip": _draw_ppo,
    "grpo": _draw_grpo,
    "kl": _draw_kl,
}


def _exercise(
    topic: str,
    question: str,
    command: str,
    asked: tuple[str, ...],
    worked: Worked,
    mistakes: Mistakes,
) -> Exercise | None:
    """The exercise, or None when an asked number is not short or a mistake does not show."""
    from rlcli.render.grading import answer_lines
    from rlcli.render.worked import render

    doc = {"calc": topic, **worked.document()}
    truth = worked_document(doc).doc
    cells = _cells({k: truth[k] for k in asked})
    if not all(is_short(x) for x in cells if isinstance(x, Fraction)):
        return None
    for recompute in mistakes.values():
        wrong = worked_document(recompute()).doc
        if not _moves(cells, _cells({k: wrong.get(k) for k in asked})):
            return None
    return Exercise(
        topic=topic,
        question=question,
        files={},
        command=command,
        asked=asked,
        truth=truth,
        grade=lambda text, tol: grade_document(doc, text, tol, mistakes, text=True),
        work=lambda: render(worked, "text").splitlines() + answer_lines(asked, truth),
    )


def _cells(node: Any) -> list[Any]:
    if isinstance(node, Mapping):
        return [c for v in node.values() for c in _cells(v)]
    if isinstance(node, list):
        return [c for v in node for c in _cells(v)]
    return [node]


def _value(x: Any) -> Fraction | None:
    if isinstance(x, Inexact):
        return Fraction(x.value)
    return x if isinstance(x, Fraction) else None


def _moves(right: list[Any], wrong: list[Any]) -> bool:
    """Some asked number moves by at least MIN_GAP (or the mistaken document lacks it)."""
    if len(right) != len(wrong):
        return True
    for a, b in zip(right, wrong, strict=True):
        va, vb = _value(a), _value(b)
        if va is None or vb is None or abs(va - vb) >= MIN_GAP:
            return True
    return False

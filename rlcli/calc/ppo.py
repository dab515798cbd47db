"""PPO's clipped surrogate for given (ratio, advantage) pairs, via ``clipped_objective``.

L^CLIP = min(rA, clip(r, 1−ε, 1+ε)A) (Schulman et al. 2017, eq. 7), per pair: its value,
the branch of the min, ∂L/∂r, and which of the six regions (sign of A × r below / inside /
above [1−ε, 1+ε]) it lies in, as ``rlcli derive ppo-clip`` proves them. With a KL penalty
β: L^KLPEN = rA − β·k3, k3 = (r − 1) − ln r, the per-sample estimate of KL(π_old‖π) from a
sample of π_old (eq. 8 with Schulman's k3), ∂/∂r = A − β(1 − 1/r).
"""

from __future__ import annotations

import math

import numpy as np

from rlcli.errors import UsageError
from rlcli.replay.numbers import Value
from rlcli.replay.worked import Line, Table, Worked, all_exact, exact, num, paren, show
from rlcli.train.losses import clipped_objective, k3


def region(r: Value, adv: Value, eps: Value) -> str:
    sign = "A > 0" if adv > 0 else ("A < 0" if adv < 0 else "A = 0")
    place = "r < 1−ε" if r < 1 - eps else ("r > 1+ε" if r > 1 + eps else "1−ε ≤ r ≤ 1+ε")
    return f"{sign}, {place}"


def ppo_clip(ratios: list[Value], advs: list[Value], eps: Value, beta: Value | None) -> Worked:
    if len(ratios) != len(advs):
        raise UsageError(f"ratio: {len(ratios)} values but advantage: {len(advs)}")
    if any(r <= 0 for r in ratios):
        raise UsageError("ratio: a probability ratio must be positive")
    if not 0 < eps < 1:
        raise UsageError(f"eps: {eps} is not in (0, 1)")
    if beta is not None and beta < 0:
        raise UsageError(f"kl-penalty: β = {show(beta)} is negative (it weighs a penalty, ≥ 0)")
    r_arr, a_arr = np.array(ratios, dtype=object), np.array(advs, dtype=object)
    obj, d_ratio, unclipped = clipped_objective(r_arr, a_arr, eps)
    lines, rows = [], []
    objective, gradient, clipped = [], [], []
    for i, (r, a) in enumerate(zip(ratios, advs, strict=True)):
        lo, hi = 1 - eps, 1 + eps
        c = min(max(r, lo), hi)
        o, g = obj[i], d_ratio[i]
        branch = "unclipped rA" if unclipped[i] else "clipped clip(r)A"
        if beta is not None:
            kl = float(k3(np.array([0.0]), np.array([math.log(r)]))[0][0])
            o, g = float(r * a) - float(beta) * kl, float(a) - float(beta) * (1 - 1 / float(r))
            branch = "penalised rA − β·k3"
        objective.append(o)
        gradient.append(g)
        clipped.append(not bool(unclipped[i]) if beta is None else False)
        reg = region(r, a, eps)
        if beta is None:
            text = (
                f"r = {show(r)}, A = {show(a)}: min(rA, clip(r, {show(lo)}, {show(hi)})A) = "
                f"min({paren(r)}·{paren(a)}, {paren(c)}·{paren(a)}) = min({show(r * a)}, "
                f"{show(c * a)}) = {show(o)};  {branch};  ∂L/∂r = {show(g)};  region {reg}"
            )
        else:
            text = (
                f"r = {show(r)}, A = {show(a)}: rA − β[(r−1) − ln r] = {show(r * a)} − "
                f"{paren(beta)}·{kl:.6g} = {o:.6g};  ∂L/∂r = A − β(1 − 1/r) = {g:.6g}"
            )
        lines.append(
            Line(
                f"pair {i + 1}",
                text,
                {
                    "ratio": r,
                    "advantage": a,
                    "objective": o,
                    "gradient": g,
                    "region": reg,
                    "branch": branch,
                },
            )
        )
        rows.append([str(i + 1), show(r), show(a), show(o), show(g), branch, reg])
    mean = sum(objective) / len(objective)
    lines.append(Line("mean", f"L = mean over the pairs = {show(mean)}", {"mean": mean}))
    doc: dict = {
        "objective": num(objective),
        "gradient": num(gradient),
        "clipped": clipped,
        "mean_objective": num(mean),
    }
    if all_exact(objective) and all_exact(gradient):
        doc["exact"] = {"objective": exact(objective), "gradient": exact(gradient)}
    table = Table("per pair", ["#", "r", "A", "L", "∂L/∂r", "branch", "region"], rows)
    notes = [
        f"ε = {show(eps)}; L is maximised; ∂L/∂r = 0 where the clipped branch is taken "
        "(r past the range in the direction A favours)"
    ]
    if beta is not None:
        notes = [f"KL-penalty form, β = {show(beta)}, no clipping; k3 estimates KL(π_old‖π)"]
    title = (
        "PPO-clip: L = min(rA, clip(r, 1−ε, 1+ε)A)"
        if beta is None
        else "PPO-KL: L = rA − β·KL̂(π_old‖π)"
    )
    return Worked(title, notes, lines, [table], doc)

"""GRPO group advantages from given rewards, via ``rlcli.train.losses.group_advantages``.

Â_i = (r_i − mean r) / (std r + ε) (Shao et al. 2024). std: ``population`` (ddof 0, the
default, the convention ``rlcli train grpo`` uses) or ``sample`` (ddof 1, torch's
``.std()`` as in TRL). Dr. GRPO (Liu et al. 2025): Â_i = r_i − mean r. RLOO (Ahmadian et
al. 2024): Â_i = r_i − mean of the others = G/(G−1)·(r_i − mean r).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from rlcli.errors import UsageError
from rlcli.replay.numbers import Value
from rlcli.replay.worked import Line, Table, Worked, all_exact, exact, num, paren, show, show_dec
from rlcli.train.losses import group_advantages, group_std

STD = ("population", "sample")


def grpo_calc(rewards: list[Value], std_kind: str, eps: Value, dr_grpo: bool, rloo: bool) -> Worked:
    if std_kind not in STD:
        raise UsageError(f"std: {std_kind!r} is not population or sample")
    G = len(rewards)
    if G < 2:
        raise UsageError("rewards: a group needs at least 2 rewards")
    if dr_grpo and rloo:
        raise UsageError("choose one of --dr-grpo and --rloo")
    if eps < 0:
        raise UsageError(f"eps: {show(eps)} is negative; ε is added to the std (≥ 0)")
    ddof = 0 if std_kind == "population" else 1
    arr = np.array([rewards], dtype=object)
    mean = sum(rewards, Fraction(0)) / G
    std = group_std(arr, ddof)[0, 0]
    if std == 0 and eps == 0 and not (dr_grpo or rloo):
        raise UsageError(
            "eps: the rewards are all equal (std 0) and ε = 0, so Â = 0/0 is undefined; "
            "give ε > 0 (every Â is then 0)"
        )
    lines = [
        Line(
            "mean",
            f"mean = ({' + '.join(show(r) for r in rewards)}) / {G} = {show_dec(mean)}",
            {"mean": mean},
        ),
        Line(
            "std", f"{std_kind} std = √(Σ(r − mean)² / {G - ddof}) = {show_dec(std)}", {"std": std}
        ),
    ]
    if rloo:
        adv = [r - (sum(rewards, Fraction(0)) - r) / (G - 1) for r in rewards]
        for i, (r, a) in enumerate(zip(rewards, adv, strict=True)):
            lines.append(
                Line(
                    f"Â_{i + 1}",
                    f"r − mean of the others = {show(r)} − "
                    f"{show((sum(rewards, Fraction(0)) - r) / (G - 1))} = {show_dec(a)}",
                    {"advantage": a},
                )
            )
        title = "RLOO: Â_i = r_i − (Σ_{j≠i} r_j)/(G−1)"
    else:
        adv = group_advantages(arr, eps, ddof, scale=not dr_grpo)[0].tolist()
        for i, (r, a) in enumerate(zip(rewards, adv, strict=True)):
            if dr_grpo:
                text = f"r − mean = {show(r)} − {paren(mean)} = {show_dec(a)}"
            else:
                text = (
                    f"(r − mean)/(std + ε) = ({show(r)} − {paren(mean)})/({show(std)} + "
                    f"{show(eps)}) = {show_dec(a)}"
                )
            lines.append(Line(f"Â_{i + 1}", text, {"advantage": a}))
        title = (
            "Dr. GRPO: Â_i = r_i − mean r (no std division)"
            if dr_grpo
            else "GRPO: Â_i = (r_i − mean r) / (std r + ε)"
        )
    notes = [
        f"std: {std_kind} (ddof {ddof}); the default is population, as rlcli train grpo "
        "computes it; TRL's torch .std() is the sample std (--std sample)"
    ]
    if not dr_grpo and not rloo:
        notes.append(
            f"ε = {show(eps)} in the denominator (rlcli train's default 1e-4; --eps 0 "
            "for the bare formula)"
        )
    if std == 0:
        notes.append("all rewards equal: every advantage is 0, no learning signal")
    table = Table(
        "advantages",
        ["i", "r_i", "Â_i", "decimal"],
        [
            [str(i + 1), show(r), show(a), f"{float(a):.6g}"]
            for i, (r, a) in enumerate(zip(rewards, adv, strict=True))
        ],
    )
    doc: dict = {
        "mean": num(mean),
        "std": num(std),
        "eps": num(eps),
        "advantages": num(adv),
        "std_kind": std_kind,
    }
    if all_exact(adv) and all_exact([mean, std]):
        doc["exact"] = {"mean": exact(mean), "std": exact(std), "advantages": exact(adv)}
    return Worked(title, notes, lines, [table], doc)

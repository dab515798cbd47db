"""GAE from given rewards, values and dones, computed by ``rlcli.train.gae.gae`` itself.

δ_t = r_t + γ(1−d_t)V(s_{t+1}) − V(s_t);  Â_t = δ_t + γλ(1−d_t)Â_{t+1} (Schulman et al. 2016).
λ = 0 gives Â_t = δ_t; λ = 1 gives Â_t = (discounted return) − V(s_t).
"""

from __future__ import annotations

import numpy as np

from rlcli.errors import UsageError
from rlcli.replay.numbers import Value
from rlcli.replay.worked import Line, Table, Worked, all_exact, exact, num, paren, show, show_dec
from rlcli.train.gae import gae


def gae_table(
    rewards: list[Value], values: list[Value], dones: list[Value], gamma: Value, lam: Value
) -> Worked:
    T = len(rewards)
    if len(values) != T + 1:
        raise UsageError(
            f"values: {len(values)} given; need {T + 1} (one per reward, then the "
            "bootstrap value V(s_T))"
        )
    if len(dones) != T:
        raise UsageError(f"dones: {len(dones)} given; need {T}, one per reward")
    if any(d not in (0, 1) for d in dones):
        raise UsageError("dones: each is 0 or 1")
    if not 0 <= gamma <= 1 or not 0 <= lam <= 1:
        raise UsageError("gamma and lambda must be in [0, 1]")
    col = lambda xs: np.array(xs, dtype=object).reshape(-1, 1)  # noqa: E731
    adv = gae(col(rewards), col(values[:T]), col(values[T:]), col(dones), gamma, lam)[:, 0].tolist()
    deltas = []
    lines = []
    for t in range(T):
        nd = 1 - dones[t]
        d = rewards[t] + gamma * nd * values[t + 1] - values[t]
        deltas.append(d)
        nxt = f"{paren(values[t + 1])}" if nd else "0 (done)"
        lines.append(
            Line(
                f"δ_{t}",
                f"δ_{t} = r_{t} + γV(s_{t + 1}) − V(s_{t}) = {show(rewards[t])} + "
                f"{paren(gamma)}·{nxt} − {paren(values[t])} = {show_dec(d)}",
                {"t": t, "delta": d},
            )
        )
    for t in range(T - 1, -1, -1):
        nd = 1 - dones[t]
        if t == T - 1 or not nd:
            rec = f"Â_{t} = δ_{t} = {show_dec(adv[t])}" + ("  (done: no carry)" if not nd else "")
        else:
            rec = (
                f"Â_{t} = δ_{t} + γλÂ_{t + 1} = {show(deltas[t])} + {paren(gamma)}·{paren(lam)}·"
                f"{paren(adv[t + 1])} = {show_dec(adv[t])}"
            )
        lines.append(Line(f"Â_{t}", rec, {"t": t, "advantage": adv[t]}))
    table = Table(
        "GAE",
        ["t", "r_t", "V(s_t)", "done", "δ_t", "Â_t", "Â_t + V (return)"],
        [
            [
                str(t),
                show(rewards[t]),
                show(values[t]),
                str(int(dones[t])),
                show(deltas[t]),
                show(adv[t]),
                show(adv[t] + values[t]),
            ]
            for t in range(T)
        ],
    )
    doc: dict = {
        "deltas": num(deltas),
        "advantages": num(adv),
        "returns": num([a + v for a, v in zip(adv, values, strict=False)]),
    }
    if all_exact(adv) and all_exact(deltas):
        doc["exact"] = {"deltas": exact(deltas), "advantages": exact(adv)}
    notes = [
        f"γ = {show(gamma)}, λ = {show(lam)}; λ = 0 gives Â = δ, λ = 1 gives Â = return − V",
        "computed by rlcli.train.gae.gae, the function rlcli train uses",
    ]
    title = (
        "GAE: δ_t = r_t + γ(1−d_t)V(s_{t+1}) − V(s_t),  Â_t = δ_t + γλ(1−d_t)Â_{t+1}  "
        "(Schulman et al. 2016)"
    )
    return Worked(title, notes, lines, [table], doc)

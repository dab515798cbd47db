"""REINFORCE and one-step actor-critic gradients of a tabular softmax policy, from given
trajectories.

∇_θ log π(a|s) = onehot(a) − π(·|s) for the logits θ(s,·) (zero for other states).
REINFORCE (S&B §13.3–13.4): ĝ = Σ_t γ^t (G_t − b(S_t)) ∇ log π(A_t|S_t), averaged over
the trajectories; actor-critic (§13.5): the weight is δ_t = R_{t+1} + γV(S_{t+1}) − V(S_t).
Whether γ^t multiplies each term is an option (the book includes it; most code drops it).
θ after one step of gradient ascent: θ + lr·ĝ.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from rlcli.calc.policy import Table, softmax
from rlcli.errors import UsageError
from rlcli.replay.numbers import NAME, Value, number, split_items
from rlcli.replay.returns import discounted_returns
from rlcli.replay.worked import (
    Line,
    Worked,
    all_exact,
    exact,
    num,
    paren,
    show,
    show_dec,
)
from rlcli.replay.worked import Table as OutTable

MAX_STEPS = 10_000


@dataclass(frozen=True)
class Trajectory:
    states: list[str]
    actions: list[str]
    rewards: list[Value]
    final: str | None  # S_T when the text ends with a state name (actor-critic bootstraps)


def parse_trajectory(text: str, index: int, table: Table) -> Trajectory:
    """``"s1 R 1 s2 L 2"``: state, action, reward, ... (optionally a final state)."""
    where = f"trajectory {index}"
    toks = split_items(text, where, 3 * MAX_STEPS + 1)
    states, actions, rewards = [], [], []
    final = None
    i = 0
    while i < len(toks):
        s = toks[i]
        if not NAME.match(s):
            raise UsageError(f"{where}, token {i + 1} ({s!r}): expected a state (a name)")
        if s not in table:
            raise UsageError(
                f"{where}, token {i + 1}: unknown state {s!r} (states: {', '.join(table)})"
            )
        if i + 1 == len(toks):
            final = s
            break
        a = toks[i + 1]
        if not NAME.match(a) or a not in table[s]:
            raise UsageError(
                f"{where}, token {i + 2} ({a!r}): expected an action of {s} ({', '.join(table[s])})"
            )
        if i + 2 >= len(toks):
            raise UsageError(f"{where}, after token {i + 2}: expected a reward")
        if NAME.match(toks[i + 2]):
            raise UsageError(
                f"{where}, token {i + 3} ({toks[i + 2]!r}): expected a reward "
                "(a number), got a name"
            )
        states.append(s)
        actions.append(a)
        rewards.append(number(toks[i + 2], f"{where}, token {i + 3}"))
        i += 3
    if not states:
        raise UsageError(f"{where}: no step (state action reward)")
    return Trajectory(states, actions, rewards, final)


@dataclass(frozen=True)
class TDError:
    """How the actor-critic weight δ_t = R_{t+1} + γV(S_{t+1}) − V(S_t) is formed. The
    defaults are the formula; switching one off is a named mistake (``rlcli.calc.mistakes``)."""

    gamma: bool = True  # γ multiplies V(S_{t+1})
    subtract_v: bool = True  # V(S_t) is subtracted


def grad_log_pi(pi: dict[str, Value], a: str) -> dict[str, Value]:
    """∇_θ(s,·) log π(a|s) = onehot(a) − π(·|s)."""
    return {b: (1 if b == a else 0) - p for b, p in pi.items()}


def policy_gradient(
    table: Table,
    trajectories: list[Trajectory],
    gamma: Value,
    discount_t: bool,
    baseline: dict[str, Value] | None,
    values: dict[str, Value] | None,
    lr: Value | None,
    td: TDError = TDError(),
) -> Worked:
    """REINFORCE (``values`` None) or actor-critic with δ_t (``values`` given, formed as
    ``td`` says)."""
    pi = {s: softmax(row) for s, row in table.items()}
    lines: list[Line] = []
    sections: dict[int, str] = {}
    critic = values is not None
    if values is not None:
        for j, tr in enumerate(trajectories, start=1):
            for t, s in enumerate(tr.states):
                if s not in values:
                    raise UsageError(
                        f"values: no value for state {s!r}, where trajectory {j} acts at "
                        f"t = {t} (δ_t subtracts V(S_t)); give it, e.g. '{s}=0'"
                    )
    for s, row in table.items():
        terms = ", ".join(f"π({a}|{s}) = {show_dec(p)}" for a, p in pi[s].items())
        logits = ", ".join(f"θ({s},{a}) = {x}" for a, x in row.items())
        lines.append(Line(f"π(·|{s})", f"softmax({logits}): {terms}", {"state": s}))
    zero = {s: {a: Fraction(0) for a in row} for s, row in table.items()}
    sums = {key: _copy(zero) for key in ("plain", "baseline")}
    per_traj = []
    weights_key = "deltas" if critic else "returns"  # what weights each term, per trajectory
    weights: list[list[Value]] = []
    for j, tr in enumerate(trajectories, start=1):
        sections[len(lines)] = f"trajectory {j}"
        G = discounted_returns(tr.rewards, gamma)
        deltas: list[Value] = []
        g_plain, g_base = _copy(zero), _copy(zero)
        for t, (s, a) in enumerate(zip(tr.states, tr.actions, strict=True)):
            grad = grad_log_pi(pi[s], a)
            weight_t = gamma**t if discount_t else Fraction(1)
            if critic:
                assert values is not None
                s2 = tr.states[t + 1] if t + 1 < len(tr.states) else tr.final
                v2 = values.get(s2, Fraction(0)) if s2 is not None else Fraction(0)
                g_td = gamma if td.gamma else Fraction(1)
                v_s = values.get(s, Fraction(0)) if td.subtract_v else Fraction(0)
                adv = tr.rewards[t] + g_td * v2 - v_s
                adv_text = (
                    f"δ_{t} = {show(tr.rewards[t])} + {paren(g_td)}·{paren(v2)} − "
                    f"{paren(v_s)} = {show(adv)}"
                )
                plain_adv = adv
                deltas.append(adv)
            else:
                plain_adv = G[t]
                adv = G[t] - (baseline or {}).get(s, Fraction(0))
                adv_text = f"G_{t} = {show(G[t])}"
                if baseline is not None:
                    b_s = paren(baseline.get(s, 0))
                    adv_text += f", G_{t} − b({s}) = {show(G[t])} − {b_s} = {show(adv)}"
            grad_text = ", ".join(f"{b}: {show(x)}" for b, x in grad.items())
            wt = f"γ^{t} = {show(weight_t)}, " if discount_t else ""
            for b, x in grad.items():
                g_plain[s][b] += weight_t * plain_adv * x
                g_base[s][b] += weight_t * adv * x
            lines.append(
                Line(
                    f"t={t}",
                    f"{s} {tr.actions[t]} r={show(tr.rewards[t])}: {adv_text}; "
                    f"{wt}∇log π({a}|{s}) = onehot − π = ({grad_text})",
                    {
                        "t": t,
                        "state": s,
                        "action": a,
                        ("delta" if critic else "return"): adv if critic else G[t],
                        "weight": adv,
                        "grad_log_pi": grad,
                    },
                )
            )
        main = g_base if (baseline is not None or critic) else g_plain
        lines.append(Line(f"ĝ_{j}", _grad_text(main), {"gradient": main}))
        if baseline is not None:
            lines.append(Line(f"ĝ_{j} no baseline", _grad_text(g_plain), {"gradient": g_plain}))
        weights.append(deltas if critic else G)
        per_traj.append({weights_key: weights[-1], "gradient": main})
        for s in zero:
            for b in zero[s]:
                sums["plain"][s][b] += g_plain[s][b]
                sums["baseline"][s][b] += g_base[s][b]
    n = len(trajectories)
    avg = {
        k: {s: {b: x / n for b, x in row.items()} for s, row in g.items()} for k, g in sums.items()
    }
    main_key = "baseline" if (baseline is not None or critic) else "plain"
    sections[len(lines)] = f"averaged over {n} trajector{'y' if n == 1 else 'ies'}"
    lines.append(Line("ĝ", _grad_text(avg[main_key]), {"gradient": avg[main_key]}))
    tables = [
        _grad_table(
            "gradient ĝ" + (" (with baseline)" if baseline is not None else ""), avg[main_key]
        )
    ]
    # one trajectory: [G_t] (or [δ_t]); several: one such list per trajectory, in order
    given = weights[0] if n == 1 else weights
    doc: dict = {
        "policy": num(pi),
        weights_key: num(given),
        "gradient": num(avg[main_key]),
        "trajectories": num(per_traj),
        "gamma_t": discount_t,
    }
    ex: dict = {}
    if all_exact(pi):
        ex["policy"] = exact(pi)
    if all_exact(given):
        ex[weights_key] = exact(given)
    if all_exact(avg[main_key]):
        ex["gradient"] = exact(avg[main_key])
    if baseline is not None:
        doc["gradient_no_baseline"] = num(avg["plain"])
        tables.append(_grad_table("gradient ĝ without baseline", avg["plain"]))
        if all_exact(avg["plain"]):
            ex["gradient_no_baseline"] = exact(avg["plain"])
    if lr is not None:
        new = {
            s: {a: x.plus(lr * avg[main_key][s][a]) for a, x in row.items()}
            for s, row in table.items()
        }
        rows = [
            [s, a, str(table[s][a]), str(new[s][a]), f"{new[s][a].value:.6g}"]
            for s in table
            for a in table[s]
        ]
        tables.append(
            OutTable(
                f"θ after one step, θ + lr·ĝ with lr = {show(lr)}",
                ["state", "action", "θ", "θ new", "decimal"],
                rows,
            )
        )
        doc["theta"] = {s: {a: x.value for a, x in row.items()} for s, row in new.items()}
        ex["theta"] = {s: {a: str(x) for a, x in row.items()} for s, row in new.items()}
    if ex:
        doc["exact"] = ex
    what = (
        "actor-critic: weight δ_t = R + γV(S') − V(S)"
        if critic
        else ("REINFORCE: weight G_t" + (" − b(S_t)" if baseline is not None else ""))
    )
    title = f"{what}; ĝ = Σ_t {'γ^t·' if discount_t else ''}weight_t·∇_θ log π(A_t|S_t)"
    notes = [
        "γ^t is included in each term (S&B §13.3); --no-gamma-t drops it"
        if discount_t
        else "γ^t is not included (as most code does); --gamma-t puts it back (S&B §13.3)"
    ]
    return Worked(title, notes, lines, tables, doc, sections)


def _copy(g: dict[str, dict[str, Value]]) -> dict[str, dict[str, Value]]:
    return {s: dict(row) for s, row in g.items()}


def _grad_text(g: dict[str, dict[str, Value]]) -> str:
    return "; ".join(
        f"{s}: (" + ", ".join(f"{a}: {show(x)}" for a, x in row.items()) + ")"
        for s, row in g.items()
    )


def _grad_table(title: str, g: dict[str, dict[str, Value]]) -> OutTable:
    rows = [[s, a, show(x), f"{float(x):.6g}"] for s, row in g.items() for a, x in row.items()]
    return OutTable(title, ["state", "action", "∂/∂θ(s,a)", "decimal"], rows)

"""Updates that look ahead along an episode: MC, n-step TD and TD(λ) on given episodes.

- ``mc``: V(S_t) ← V(S_t) + α[G_t − V(S_t)] at the episode's end, forward in time (S&B
  eq. 6.1); α = 1/N(s) is the sample average of returns (§5.1); first- or every-visit.
- ``nstep``: V(S_τ) ← V(S_τ) + α[G_{τ:τ+n} − V(S_τ)] for τ = 0..T−1 in order (eq. 7.2),
  each G_{τ:τ+n} from the current values (the book's algorithm exactly).
- ``td-lambda``: ``offline`` λ-return (eq. 12.4, λ-returns from the values at the start of
  the episode, as ``rlcli estimate`` does), ``accumulating``/``replacing`` traces (eq.
  12.5–12.7) and ``true-online`` dutch traces (§12.5), tabular.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from rlcli.errors import UsageError
from rlcli.replay.experience import Episode
from rlcli.replay.numbers import Value
from rlcli.replay.returns import (
    discounted_returns,
    lambda_returns,
    nstep_return,
    nstep_text,
    return_text,
)
from rlcli.replay.setup import Setup
from rlcli.replay.tabular import step_line, step_size, toward
from rlcli.replay.worked import Line, paren, show, show_dec

VARIANTS = ("offline", "accumulating", "replacing", "true-online")


def _value_at(ep: Episode, setup: Setup, v: dict[str, Value]):
    states = ep.states

    def v_at(i: int) -> Value:
        return Fraction(0) if setup.is_terminal(states[i]) else v[states[i]]

    return v_at


def _require_complete(ep: Episode, what: str) -> None:
    if not ep.complete:
        raise UsageError(
            f"{what}: {ep.label} ends in {ep.steps[-1].next_state}, which is not "
            "terminal: end it with a reward or declare the state terminal"
        )


def _update_v(
    v: dict[str, Value],
    setup: Setup,
    ep: Episode,
    t: int,
    target: Value,
    alpha: Value,
    working: str,
    note: str,
    extra: dict[str, Value],
    time: str = "t",
) -> Line:
    """V(S_t) ← V(S_t) + α[target − V(S_t)] in place (eq. 6.1, 7.2, 12.4 with their targets),
    written after ``working``, the line that found the target."""
    s = ep.steps[t].state
    old = v[s]
    new = toward(old, alpha, target, setup)
    v[s] = new
    text = (
        f"{working};  V({s}) ← {show(old)} + {paren(alpha)}·[{show(target)} − {paren(old)}] "
        f"= {show_dec(new)}{note}"
    )
    data = {"update": f"V({s})", "state": s, **extra}
    data |= {"alpha": alpha, "target": target, "old": old, "new": new}
    return step_line(ep, t, text, data, time)


def mc(
    episodes: Sequence[Episode], setup: Setup, v: dict[str, Value], first_visit: bool
) -> tuple[list[Line], set[str]]:
    lines: list[Line] = []
    updated: set[str] = set()
    counts: dict = {}
    for ep in episodes:
        _require_complete(ep, "mc")
        G = discounted_returns(ep.rewards, setup.gamma)
        for t, st in ep.visits(first_visit):
            s = st.state
            alpha, note = step_size(setup, counts, s, f"({s})")
            working = f"G_{t} = {return_text(ep.rewards, setup.gamma, t)} = {show(G[t])}"
            lines.append(_update_v(v, setup, ep, t, G[t], alpha, working, note, {"return": G[t]}))
            updated.add(s)
    return lines, updated


def _sum_is(text: str, value: Value) -> str:
    """``text = value``, without ``3 = 3``."""
    return text if text == show(value) else f"{text} = {show(value)}"


def nstep(
    episodes: Sequence[Episode], setup: Setup, v: dict[str, Value], n: int
) -> tuple[list[Line], set[str]]:
    lines: list[Line] = []
    updated: set[str] = set()
    counts: dict = {}
    for ep in episodes:
        v_at = _value_at(ep, setup, v)
        T = len(ep.steps)
        for tau in range(T):
            s = ep.steps[tau].state
            h = min(tau + n, T)
            target = nstep_return(ep.rewards, v_at, setup.gamma, tau, n)
            alpha, note = step_size(setup, counts, s, f"({s})")
            boot = None if setup.is_terminal(ep.states[h]) else (ep.states[h], v_at(h))
            working = f"G_{tau}:{tau + n} = " + _sum_is(
                nstep_text(ep.rewards, setup.gamma, boot, tau, h), target
            )
            line = _update_v(v, setup, ep, tau, target, alpha, working, note, {"n": n}, time="τ")
            lines.append(line)
            updated.add(s)
    return lines, updated


def td_lambda(
    episodes: Sequence[Episode], setup: Setup, v: dict[str, Value], lam: Value, variant: str
) -> tuple[list[Line], set[str]]:
    if variant not in VARIANTS:
        raise UsageError(f"variant: {variant!r} is not one of {', '.join(VARIANTS)}")
    if setup.alpha is None:
        raise UsageError("td-lambda needs a step size alpha")
    if variant == "offline":
        return _offline(episodes, setup, v, lam)
    return _traces(episodes, setup, v, lam, variant)


def _offline(
    episodes: Sequence[Episode], setup: Setup, v: dict[str, Value], lam: Value
) -> tuple[list[Line], set[str]]:
    lines: list[Line] = []
    updated: set[str] = set()
    alpha = setup.alpha
    assert alpha is not None
    for ep in episodes:
        start = dict(v)  # λ-returns from the values the episode was played with
        G = lambda_returns(ep.rewards, _value_at(ep, setup, start), setup.gamma, lam)
        for t, st in enumerate(ep.steps):
            nxt = ep.states[t + 1]
            rest = f"V({nxt})" if t == len(ep.steps) - 1 else f"(1−λ)V({nxt}) + λG^λ_{t + 1}"
            working = f"G^λ_{t} = R + γ[{rest}] = {show(G[t])}"
            lines.append(
                _update_v(v, setup, ep, t, G[t], alpha, working, "", {"lambda_return": G[t]})
            )
            updated.add(st.state)
    return lines, updated


def _traces(
    episodes: Sequence[Episode], setup: Setup, v: dict[str, Value], lam: Value, variant: str
) -> tuple[list[Line], set[str]]:
    """δ_t = R + γV(S') − V(S); e ← γλe, e(S) += 1 (accumulating) or = 1 (replacing),
    V ← V + αδe. True online: z ← γλz + (1 − αγλz(S))x(S),
    V ← V + α(δ + V(S) − V_old)z − α(V(S) − V_old)x(S), V_old ← V(S')."""
    lines: list[Line] = []
    updated: set[str] = set()
    alpha, g = setup.alpha, setup.gamma
    assert alpha is not None
    for ep in episodes:
        e: dict[str, Value] = {}
        v_old: Value = Fraction(0)
        for t, st in enumerate(ep.steps):
            s, s2 = st.state, st.next_state
            v_s = v[s]
            v_next = Fraction(0) if setup.is_terminal(s2) else v[s2]
            delta = st.reward + g * v_next - v_s
            decay = g * lam
            z_s = e.get(s, Fraction(0))
            e = {k: decay * x for k, x in e.items()}
            if variant == "accumulating":
                e[s] = e.get(s, Fraction(0)) + 1
            elif variant == "replacing":
                e[s] = Fraction(1)
            else:
                e[s] = e.get(s, Fraction(0)) + 1 - alpha * decay * z_s
            changes = []
            for k, z in e.items():
                step = (
                    alpha * delta * z
                    if variant != "true-online"
                    else alpha * (delta + v_s - v_old) * z
                )
                if variant == "true-online" and k == s:
                    step -= alpha * (v_s - v_old)
                if step != 0 or k == s:
                    before = v[k]
                    v[k] = before + step
                    updated.add(k)
                    how = (
                        f"{paren(alpha)}·{paren(delta)}·{paren(z)}"  # αδe(k)
                        if variant != "true-online"
                        else paren(step)
                    )
                    changes.append(f"V({k}) = {show(before)} + {how} = {show_dec(v[k])}")
            if variant == "true-online":
                v_old = v_next
            traces = ", ".join(f"e({k})={show(z)}" for k, z in e.items())
            text = (
                f"δ = {show(st.reward)} + {paren(g)}·{paren(v_next)} − {paren(v_s)} = "
                f"{show(delta)};  {traces};  " + "; ".join(changes)
            )
            data = {"state": s, "td_error": delta, "traces": dict(e), "values": dict(v)}
            lines.append(step_line(ep, t, text, data))
    return lines, updated

"""One-step tabular updates on given experience, one update per step, in the given order.

TD(0) (S&B eq. 6.2), SARSA (6.7), Q-learning (6.8), Expected SARSA (6.9) and Double
Q-learning (§6.7). α = None means the sample average α = 1/N, N counting the updates of
that state (or state-action pair).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from rlcli.errors import UsageError
from rlcli.replay.experience import TERMINAL, Episode, Step
from rlcli.replay.numbers import Value
from rlcli.replay.setup import Setup
from rlcli.replay.worked import Line, paren, show, show_dec

QTable = dict[tuple[str, str], Value]


def step_size(setup: Setup, counts: dict, key: object, name: str) -> tuple[Value, str]:
    """α, and the note written after an update under sample averages: ``   (α = 1/N(A) = 1/3)``
    (empty for a given α)."""
    counts[key] = counts.get(key, 0) + 1
    if setup.alpha is not None:
        return setup.alpha, ""
    a = Fraction(1, counts[key])
    return a, f"   (α = 1/N{name} = {a})"


def step_line(ep: Episode, t: int, text: str, data: dict[str, Any], time: str = "t") -> Line:
    """The working of step t of an episode: labelled ``episode 1 t=2`` (``τ=2`` for n-step),
    its ``--json`` entry led by the episode and t."""
    return Line(f"{ep.label} {time}={t}", text, {"episode": ep.label, "t": t, **data})


def toward(old: Value, alpha: Value, target: Value, setup: Setup) -> Value:
    """The incremental update V + α[target − V] (S&B eq. 2.4); with ``setup.alpha_on_target``
    the mistake V + α·target (α applied to the target instead of to the error)."""
    return old + alpha * target if setup.alpha_on_target else old + alpha * (target - old)


def td0(
    episodes: Sequence[Episode], setup: Setup, v: dict[str, Value]
) -> tuple[list[Line], set[str]]:
    """V(S_t) ← V(S_t) + α[R_{t+1} + γV(S_{t+1}) − V(S_t)], online, in order (eq. 6.2)."""
    lines: list[Line] = []
    updated: set[str] = set()
    counts: dict = {}
    g = setup.gamma
    for ep in episodes:
        for t, st in enumerate(ep.steps):
            s, s2 = st.state, st.next_state
            v_next = Fraction(0) if setup.is_terminal(s2) else v[s2]
            old = v[s]
            alpha, a_note = step_size(setup, counts, s, f"({s})")
            target = st.reward + g * v_next
            new = toward(old, alpha, target, setup)
            v[s] = new
            updated.add(s)
            text = (
                f"V({s}) ← V({s}) + α[R + γV({s2}) − V({s})] = {show(old)} + {paren(alpha)}·"
                f"[{show(st.reward)} + {paren(g)}·{paren(v_next)} − {paren(old)}] = {show_dec(new)}"
                f"{a_note}"
            )
            data = {
                "update": f"V({s})",
                "state": s,
                "reward": st.reward,
                "next_state": s2,
                "next_value": v_next,
                "gamma": g,
                "alpha": alpha,
                "target": target,
                "td_error": target - old,
                "old": old,
                "new": new,
            }
            lines.append(step_line(ep, t, text, data))
    return lines, updated


def epsilon_greedy(
    q: Mapping[tuple[str, str], Value], s: str, actions: Sequence[str], epsilon: Value
) -> dict[str, Value]:
    """π(a|s) = ε/|A| + (1−ε)/|argmax| on the greedy actions (ties share the greedy mass)."""
    best = max(q[(s, a)] for a in actions)
    greedy = [a for a in actions if q[(s, a)] == best]
    n = len(actions)
    return {a: epsilon / n + ((1 - epsilon) / len(greedy) if a in greedy else 0) for a in actions}


def control(
    method: str,
    episodes: Sequence[Episode],
    setup: Setup,
    q: QTable,
    actions: Mapping[str, list[str]],
    epsilon: Value | None = None,
    policy: Mapping[str, Mapping[str, Value]] | None = None,
    coins: Sequence[int] | None = None,
) -> tuple[list[Line], set, QTable | None]:
    """SARSA, Q-learning, Expected SARSA or Double Q on the steps, in order.

    Double Q keeps two tables: coin 1 updates Q1 with Q2 evaluating Q1's argmax, coin 2 the
    reverse; the returned ``q`` is Q1 and the third value Q2.
    """
    lines: list[Line] = []
    updated: set[tuple[str, str]] = set()
    counts: dict = {}
    g = setup.gamma
    q2 = dict(q) if method == "double-q" else None
    flip = 0
    for ep in episodes:
        for t, st in enumerate(ep.steps):
            if st.action is None:
                raise UsageError(f"{method}: {ep.label} has no actions; write it as S A R S ...")
            s, a, s2 = st.state, st.action, st.next_state
            table, other, which = q, q, ""
            if q2 is not None:
                if coins is None or flip >= len(coins):
                    raise UsageError(
                        f"double-q: {len(coins or [])} coin flips given, but step "
                        f"{flip + 1} needs one (give more, or --seed)"
                    )
                c = coins[flip]
                flip += 1
                table, other, which = (q, q2, "1") if c == 1 else (q2, q, "2")
            boot, boot_txt, boot_sym = _bootstrap(
                method, st, ep, setup, table, other, actions, epsilon, policy, which
            )
            old = table[(s, a)]
            alpha, a_note = step_size(setup, counts, (which, s, a), f"({s},{a})")
            target = st.reward + g * boot
            new = toward(old, alpha, target, setup)
            table[(s, a)] = new
            updated.add((s, a))
            name = f"Q{which}({s},{a})"
            text = (
                f"{name} ← {name} + α[R + γ·{boot_sym} − {name}] = {show(old)} + "
                f"{paren(alpha)}·[{show(st.reward)} + {paren(g)}·{boot_txt} − {paren(old)}] "
                f"= {show_dec(new)}{a_note}"
            )
            if q2 is not None:
                text = f"coin {which}: " + text
            data = {
                "update": name,
                "state": s,
                "action": a,
                "reward": st.reward,
                "next_state": s2,
                "bootstrap": boot,
                "gamma": g,
                "alpha": alpha,
                "target": target,
                "old": old,
                "new": new,
            }
            lines.append(step_line(ep, t, text, data))
    return lines, updated, q2


def _bootstrap(
    method: str,
    st: Step,
    ep: Episode,
    setup: Setup,
    table: QTable,
    other: QTable,
    actions: Mapping[str, list[str]],
    epsilon: Value | None,
    policy: Mapping[str, Mapping[str, Value]] | None,
    which: str,
) -> tuple[Value, str, str]:
    """The bootstrap value of S_{t+1}, its working, and its symbol in the update rule."""
    s2 = st.next_state
    if setup.is_terminal(s2):
        sym = {
            "sarsa": f"Q({s2},A')",
            "q-learning": f"max_a Q({s2},a)",
            "expected-sarsa": f"Σ_a π(a|{s2})Q({s2},a)",
            "double-q": f"Q{'2' if which == '1' else '1'}({s2},argmax)",
        }[method]
        note = "terminal" if s2 == TERMINAL else f"{s2} terminal"
        return Fraction(0), f"0 ({note})", sym
    acts = actions.get(s2, [])
    if method == "sarsa":
        if st.next_action is None:
            raise UsageError(
                f"sarsa: {ep.label}, token {st.token + 3}: the next action after "
                f"{s2} is missing (SARSA needs A_(t+1); {s2} is not terminal)"
            )
        return (
            table[(s2, st.next_action)],
            paren(table[(s2, st.next_action)]),
            f"Q({s2},{st.next_action})",
        )
    if not acts:
        raise UsageError(
            f"{method}: {s2} has no known actions to bootstrap from "
            "(give --mdp, or declare it terminal)"
        )
    values = ", ".join(show(table[(s2, a)]) for a in acts)
    if method == "q-learning":
        best = max(table[(s2, a)] for a in acts)
        return best, f"max({values})", f"max_a Q({s2},a)"
    if method == "expected-sarsa":
        if policy is not None:
            if s2 not in policy:
                raise UsageError(f"expected-sarsa: the policy table has no row for {s2}")
            pi = {a: policy[s2].get(a, Fraction(0)) for a in acts}
        else:
            pi = epsilon_greedy(table, s2, acts, epsilon if epsilon is not None else Fraction(0))
        total = sum((pi[a] * table[(s2, a)] for a in acts), Fraction(0))
        terms = " + ".join(f"{paren(pi[a])}·{paren(table[(s2, a)])}" for a in acts)
        return total, f"[{terms}]", f"Σ_a π(a|{s2})Q({s2},a)"
    # double-q: the updated table picks the action, the other evaluates it
    best = max(table[(s2, a)] for a in acts)
    a_star = next(a for a in acts if table[(s2, a)] == best)
    o = "2" if which == "1" else "1"
    return (
        other[(s2, a_star)],
        f"{paren(other[(s2, a_star)])}",
        f"Q{o}({s2}, argmax_a Q{which}({s2},a) = {a_star})",
    )

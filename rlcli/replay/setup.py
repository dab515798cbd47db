"""The settings a replay works with: γ, α, initial values, checked against ``--mdp``.

Precedence: the command's option, then the experience file, then the MDP file; γ
defaults to 1 (said in the notes). Terminal states (declared, from the MDP, or the
implicit one after a trailing reward) have value 0 and are never updated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from rlcli.errors import Problem, UsageError
from rlcli.replay.experience import TERMINAL, Experience, ExperienceError, Step
from rlcli.replay.numbers import Value, assignments, number

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.mdp.model import MDP


@dataclass
class Setup:
    """γ, α (None = sample averages 1/N), and what counts as terminal."""

    gamma: Value
    alpha: Value | None
    terminal: set[str]
    notes: list[str]
    alpha_on_target: bool = False  # the mistake V ← V + α·target, for diagnosing answers

    def is_terminal(self, s: str) -> bool:
        return s == TERMINAL or s in self.terminal


def resolve(exp: Experience, gamma: str | None, alpha: str | None, mdp: MDP | None) -> Setup:
    notes: list[str] = []
    if gamma is not None:
        g = number(gamma, "gamma")
    elif exp.gamma is not None:
        g = exp.gamma
    elif mdp is not None:
        g = _mdp_gamma(mdp)
    else:
        g, _ = Fraction(1), notes.append("γ = 1 (no gamma given)")
    if not 0 <= g <= 1:
        raise UsageError(f"gamma: {g} is not in [0, 1]")
    a: Value | None = number(alpha, "alpha") if alpha is not None else exp.alpha
    if a is not None and not 0 < a <= 1:
        raise UsageError(f"alpha: {a} is not in (0, 1]")
    terminal = set(exp.terminal)
    if mdp is not None:
        terminal |= {s for i, s in enumerate(mdp.states) if mdp.terminal[i]}
    return Setup(g, a, terminal, notes)


def _mdp_gamma(mdp: MDP) -> Value:
    if mdp.exact is not None:
        try:
            return mdp.exact.rational()[0]
        except UsageError:
            pass
    return float(mdp.gamma)


def check_against_mdp(exp: Experience, mdp: MDP) -> None:
    """Every state, action and step must exist in the MDP with probability > 0; the first
    step of each episode that does not is reported."""
    problems: list[Problem] = []
    for ep in exp.all:
        for st in ep.steps:
            message = _step_problem(ep.label, st, mdp)
            if message is not None:
                problems.append(Problem(exp.source, None, "", message))
                break
    if problems:
        raise ExperienceError(problems)


def _step_problem(label: str, st: Step, mdp: MDP) -> str | None:
    """What is wrong with one step of episode ``label`` against the MDP, or None."""
    index = mdp.state_index
    if st.state not in index:
        return f"{label}, token {st.token}: unknown state {st.state!r} (not in {mdp.source})"
    s = index[st.state]
    if mdp.terminal[s]:
        return (
            f"{label}, token {st.token}: {st.state} is terminal in {mdp.source}, "
            "yet the episode goes on"
        )
    nxt = st.next_state
    if nxt != TERMINAL and nxt not in index:
        return (
            f"{label}, token {st.token + (3 if st.action else 2)}: unknown "
            f"state {nxt!r} (not in {mdp.source})"
        )
    if st.action is None:
        return None
    actions = mdp.actions_of(s)
    if st.action not in actions:
        return (
            f"{label}, token {st.token + 1}: {st.state} has no action {st.action!r} "
            f"in {mdp.source} (actions: {', '.join(actions)})"
        )
    k = mdp.pair(st.state, st.action)
    reachable = {mdp.states[mdp.out_next[z]] for z in mdp.outcomes(k) if mdp.out_prob[z] > 0}
    if nxt != TERMINAL and nxt not in reachable:
        return (
            f"{label}, token {st.token + 3}: {st.state} --{st.action}--> {nxt} has "
            f"probability 0 in {mdp.source}"
        )
    return None


def _parse_init_value(raw: Any, where: str) -> Value:
    return number(str(raw), where)


def initial_v(
    exp: Experience, setup: Setup, text: str | None, names: list[str] | None = None
) -> dict[str, Value]:
    """V0 per state: ``--init`` (``0.5`` or ``A=1/2,B=1``), else the file's ``init``, else 0."""
    states = names or exp.states
    v0: dict[str, Value] = {s: Fraction(0) for s in states}
    given = _init_items(exp, text)
    for key, raw in given:
        if key is None:
            v0 = {
                s: (Fraction(0) if setup.is_terminal(s) else _parse_init_value(raw, "init"))
                for s in states
            }
            continue
        if "." in key or isinstance(raw, Mapping):
            raise UsageError(f"init: {key}: a Q value, but this method learns V")
        if key not in v0:
            known = ", ".join(s for s in states if not setup.is_terminal(s))
            raise UsageError(f"init: no state {key!r} in the experience ({known})")
        if setup.is_terminal(key):
            raise UsageError(f"init: {key} is terminal; its value is 0")
        v0[key] = _parse_init_value(raw, f"init.{key}")
    return v0


def initial_q(
    exp: Experience, setup: Setup, text: str | None, actions: dict[str, list[str]], fixed: bool
) -> dict[tuple[str, str], Value]:
    """Q0 per (state, action): ``--init 0``, ``A.left=1, A.right=0`` or the file's ``init``.

    Without an MDP (``fixed`` False) an initial value may name an action the experience never
    took; it joins ``actions``, so max and expectations over actions include it.
    """
    q0 = {(s, a): Fraction(0) for s, acts in actions.items() for a in acts}
    items: list[tuple[str, Any]] = []
    for key, raw in _init_items(exp, text):
        if key is None:
            q0 = {k: _parse_init_value(raw, "init") for k in q0}
        elif isinstance(raw, Mapping):
            items += [(f"{key}.{a}", v) for a, v in raw.items()]
        else:
            items.append((key, raw))
    for key, raw in items:
        s, _, a = key.partition(".")
        if (s, a) not in q0:
            known_state = s in exp.states and not setup.is_terminal(s)
            if fixed or not known_state or not a:
                known = ", ".join(f"{x}.{y}" for x, y in q0)
                raise UsageError(f"init: no state-action pair {key!r} ({known})")
            actions.setdefault(s, []).append(a)
        q0[(s, a)] = _parse_init_value(raw, f"init.{key}")
    return {(s, a): q0[(s, a)] for s, acts in actions.items() for a in acts}


def _init_items(exp: Experience, text: str | None) -> list[tuple[str | None, Any]]:
    if text is not None:
        if "=" not in text and ":" not in text:
            return [(None, text)]
        return [(k, v) for k, v in assignments(text, "init")]
    raw = exp.init
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        return [(str(k), v) for k, v in raw.items()]
    return [(None, raw)]


def actions_table(exp: Experience, setup: Setup, mdp: MDP | None) -> dict[str, list[str]]:
    """The actions of every non-terminal state: from the MDP, else as seen in the experience."""
    if mdp is not None:
        return {s: mdp.actions_of(i) for i, s in enumerate(mdp.states) if not mdp.terminal[i]}
    return {
        s: list(exp.actions.get(s, []))
        for s in exp.states
        if not setup.is_terminal(s) and exp.actions.get(s)
    }


def states_list(exp: Experience, mdp: MDP | None) -> list[str]:
    return list(mdp.states) if mdp is not None else exp.states

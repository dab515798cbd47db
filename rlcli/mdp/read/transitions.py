"""The ``transitions`` field: each state's actions and their outcomes p(s', r | s, a).

Three forms per action: an outcome list ``[{next, p, r}, ...]``, one outcome
``{next, r}`` (p = 1), or expected-reward form ``{r, next: {state: p}}``. Problems are
reported, not raised; ``plain_transitions`` is the fast path for machine-written files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from rlcli.mdp.read.expr import ExprError, from_value
from rlcli.mdp.read.numbers import PROB_TOLERANCE, Numbers, check_probability, number_field
from rlcli.mdp.read.report import Report, bad_name, did_you_mean, kind, name_of
from rlcli.mdp.read.source import Tally, show

OUTCOME_FIELDS = ("next", "p", "r")
MAX_PAIRS = 20_000_000


class Pairs:
    """The state-action pairs in the file's order: state index, action name, first outcome
    and outcome count (lists, or NumPy arrays from the fast path)."""

    def __init__(self) -> None:
        self.state: list[int] | np.ndarray = []
        self.action: list[str] = []
        self.first: list[int] | np.ndarray = []
        self.count: list[int] | np.ndarray = []

    def add(self, s: int, action: str, first: int, count: int) -> None:
        self.state.append(s)
        self.action.append(action)
        self.first.append(first)
        self.count.append(count)


class Outcomes:
    """The growing outcome arrays (and the expressions they came from)."""

    def __init__(self) -> None:  # lists, or NumPy arrays from the fast path
        self.next: list[int] | np.ndarray = []
        self.prob: list[float] | np.ndarray = []
        self.reward: list[float] | np.ndarray = []
        self.prob_src: list[Any] = []
        self.reward_src: list[Any] = []
        self.tally: Tally | None = None  # of the transitions, when the fast path read them

    def add(self, nxt: int, p: float, r: float, p_src: Any, r_src: Any) -> None:
        self.next.append(nxt)
        self.prob.append(p)
        self.reward.append(r)
        self.prob_src.append(p_src)
        self.reward_src.append(r_src)


def _action_outcomes(
    spec: Any,
    owner: Any,
    key: Any,
    path: str,
    report: Report,
    numbers: Numbers,
    index: Mapping[str, int],
    out: Outcomes,
) -> None:
    """Parse one action's outcomes (three forms) into ``out``; report what is wrong.

    The probability sum is checked on every probability that could be read, whatever else
    is wrong with its outcome (an unknown next state's probability is still a number).
    """
    probs = Probabilities()

    def target(container: Any, k: Any, p: str) -> int | None:
        name = name_of(container.get(k)) if isinstance(container, Mapping) else None
        if name is None or name not in index:
            raw = container.get(k) if isinstance(container, Mapping) else None
            if raw is None:
                report.add(container, None, p, "missing 'next': the state this outcome leads to")
            else:
                report.add(
                    container,
                    k,
                    f"{p}.{k}",
                    report.unknown("state", raw, index),
                )
            return None
        return index[name]

    def check_fields(outcome: Mapping, p: str) -> None:
        report.duplicates(outcome, p)
        for f in outcome:
            if f not in OUTCOME_FIELDS:
                report.add(
                    outcome,
                    f,
                    f"{p}.{f}",
                    f"unknown field{did_you_mean(f, OUTCOME_FIELDS)}; an outcome has next, p, r",
                )

    def one_outcome(outcome: Mapping, o_path: str) -> None:
        """``{next, p, r}`` with p defaulting to 1 and r to 0."""
        check_fields(outcome, o_path)
        nxt = target(outcome, "next", o_path)
        prob = number_field(numbers, report, outcome, "p", f"{o_path}.p", 1)
        reward = number_field(numbers, report, outcome, "r", f"{o_path}.r", 0)
        probs.note(prob)
        if prob is not None:
            check_probability(prob[0], report, outcome, "p", f"{o_path}.p")
        if nxt is not None and prob is not None and reward is not None:
            out.add(nxt, prob[0], reward[0], prob[1], reward[1])

    if isinstance(spec, Mapping) and isinstance(spec.get("next"), Mapping):
        # expected-reward form: {r: R, next: {state: prob, ...}}
        check_fields(spec, path)
        reward = number_field(numbers, report, spec, "r", f"{path}.r", 0)
        nexts = spec["next"]
        report.duplicates(nexts, f"{path}.next")
        if reward is not None and not nexts:
            report.add(spec, "next", f"{path}.next", "no next states")
        for name in nexts:
            p_path = f"{path}.next.{name}"
            sname = name_of(name)
            known = sname is not None and sname in index
            if not known:
                report.add(nexts, name, p_path, report.unknown("state", name, index))
            prob = number_field(numbers, report, nexts, name, p_path)
            probs.note(prob)
            if prob is not None:
                check_probability(prob[0], report, nexts, name, p_path)
            if known and prob is not None and reward is not None:
                out.add(index[sname], prob[0], reward[0], prob[1], reward[1])
    elif isinstance(spec, Mapping):
        one_outcome(spec, path)  # a single outcome: p defaults to 1
    elif isinstance(spec, list):
        if not spec:
            report.add(owner, key, path, "no outcomes: give at least one {next, p, r}")
        for i, outcome in enumerate(spec):
            o_path = f"{path}[{i}]"
            if not isinstance(outcome, Mapping):
                report.add(
                    spec, i, o_path, f"expected an outcome {{next, p, r}}, got {kind(outcome)}"
                )
                probs.note(None)
                continue
            if "p" not in outcome and len(spec) > 1:
                check_fields(outcome, o_path)
                report.add(outcome, None, o_path, "missing 'p' (only a single outcome may omit it)")
                probs.note(None)
                continue
            one_outcome(outcome, o_path)
    else:
        report.add(
            owner,
            key,
            path,
            f"expected outcomes (a list of {{next, p, r}}, one {{next, r}}, "
            f"or {{r, next: {{state: p}}}}), got {kind(spec)}",
        )
        return
    probs.check_sum(report, owner, key, path)


def _plain_transitions(
    raw: Mapping,
    index: Mapping[str, int],
    terminal: set[int],
    pairs: Pairs,
    out: Outcomes,
) -> bool:
    """Fast path for machine-written (JSON) files: every action is an outcome list
    ``[{next, p, r}, ...]``, or every action is ``{r, next: {state: p}}``, with plain
    numbers; every non-terminal state has actions, every sum is 1.

    States, actions and outcomes are taken out with C-level iteration (``map``,
    ``itemgetter``, ``chain``; a list, then an array: ``np.fromiter`` is 2x slower) and
    checked as NumPy arrays: no Python bytecode runs per pair or outcome (4 million outcomes
    in about a second). Fills ``pairs`` and ``out`` and returns True, or returns False having
    changed nothing: the careful path then finds and reports what is unusual.
    """
    try:
        if set(map(type, raw.values())) != {dict}:
            return False
        given = list(map(index.__getitem__, raw))
        per_state = list(map(len, raw.values()))
        specs = list(chain.from_iterable(map(dict.values, raw.values())))
        forms = set(map(type, specs))
        if forms == {list}:
            columns = _outcome_lists(specs, index)
        elif forms == {dict}:
            columns = _expected_rewards(specs, index)
        else:
            return False
    except (KeyError, TypeError, AttributeError):
        return False
    actions = list(chain.from_iterable(raw.values()))
    if columns is None or any(type(a) is not str or not a.strip() for a in set(actions)):
        return False
    counts, nexts, probs, rewards, prob_src, reward_src = columns
    with_actions = set(given)
    if not all(per_state) or with_actions & terminal:
        return False
    if len(with_actions) != len(given) or len(given) + len(terminal) != len(index):
        return False
    if not (np.isfinite(probs).all() and np.isfinite(rewards).all()):
        return False
    if probs.min() < 0 or probs.max() > 1:
        return False
    counts = np.array(counts, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sums = np.add.reduceat(probs, starts)
    if np.any(np.abs(sums - 1) > PROB_TOLERANCE):
        return False
    pairs.state = np.repeat(np.array(given, dtype=np.int64), per_state)
    pairs.action, pairs.first, pairs.count = actions, starts, counts
    out.next, out.prob, out.reward = nexts, probs, rewards
    out.prob_src, out.reward_src = prob_src, reward_src
    fields = 3 * len(nexts) if forms == {list} else 2 * len(specs) + len(nexts)
    out.tally = _tally(raw, actions, fields, index, nexts, rewards)
    return True


def _tally(
    raw: Mapping,
    actions: list[str],
    fields: int,
    index: Mapping[str, int],
    nexts: np.ndarray,
    rewards: np.ndarray,
) -> Tally:
    """The ``Tally`` of ``orjson.dumps(raw)`` for transitions the fast path read, from what
    it took out: one ``:`` per state, per action and per outcome field (``fields``), plus
    those inside the names (states as keys and as next states, actions). The dump writes
    ``e+`` only for a float of magnitude ≥ 1e16: a probability never is, a reward may be."""
    colons = len(raw) + len(actions) + fields
    colons += "".join(raw).count(":") + "".join(actions).count(":")
    if ":" in "".join(index):
        state_colons = np.array([name.count(":") for name in index], dtype=np.int64)
        colons += int(state_colons[nexts].sum())
    return colons, bool(len(rewards) and max(rewards.max(), -rewards.min()) >= 1e16)


# (counts, next, p, r, p as written, r as written): next, p, r as NumPy arrays
Columns = tuple[list[int], np.ndarray, np.ndarray, np.ndarray, list[Any], list[Any]]


def _outcome_lists(specs: list[list], index: Mapping[str, int]) -> Columns | None:
    """The columns of actions written ``[{next, p, r}, ...]``, or None."""
    if not all(specs):
        return None
    flat = list(chain.from_iterable(specs))
    if sum(map(len, flat)) != 3 * len(flat):
        return None  # each outcome has exactly next, p, r (else KeyError or TypeError below)
    nexts = np.array(list(map(index.__getitem__, map(itemgetter("next"), flat))), np.int64)
    probs = list(map(itemgetter("p"), flat))
    rewards = list(map(itemgetter("r"), flat))
    p, r = _floats(probs), _floats(rewards)
    if p is None or r is None:
        return None
    return list(map(len, specs)), nexts, p, r, probs, rewards


def _expected_rewards(specs: list[dict], index: Mapping[str, int]) -> Columns | None:
    """The columns of actions written ``{r, next: {state: p}}``, or None; each outcome
    carries its action's reward r."""
    if set(map(len, specs)) != {2}:  # exactly r and next (else KeyError)
        return None
    maps = list(map(itemgetter("next"), specs))
    if set(map(type, maps)) != {dict} or not all(maps):
        return None
    counts = list(map(len, maps))
    nexts = np.array(list(map(index.__getitem__, chain.from_iterable(maps))), np.int64)
    probs = list(chain.from_iterable(map(dict.values, maps)))
    pair_rewards = list(map(itemgetter("r"), specs))
    p, r = _floats(probs), _floats(pair_rewards)
    if p is None or r is None:
        return None
    rewards = list(chain.from_iterable(map(repeat, pair_rewards, counts)))
    return counts, nexts, p, np.repeat(r, counts), probs, rewards


def _floats(numbers: list[Any]) -> np.ndarray | None:
    """Plain numbers (int or float, not bool or text) as a float array, or None."""
    if not _PLAIN.issuperset(map(type, numbers)):
        return None
    try:
        return np.array(numbers, dtype=np.float64)
    except OverflowError:  # an integer beyond the float range
        return None


_PLAIN = frozenset((float, int))


class Probabilities:
    """One action's probabilities as read (value and source), and whether any could not be
    read; Σ_s',r p(s', r | s, a) = 1 is checked on them."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.sources: list[Any] = []
        self.unreadable = False

    def note(self, prob: tuple[float, Any] | None) -> None:
        if prob is None:
            self.unreadable = True
        else:
            self.values.append(prob[0])
            self.sources.append(prob[1])

    def check_sum(self, report: Report, owner: Any, key: Any, path: str) -> None:
        """Report a sum other than 1; with unreadable terms (reported on their own), only
        a sum of the readable non-negative ones that is already above 1."""
        if not self.values:
            return
        total = math.fsum(self.values)
        if not self.unreadable:
            if abs(total - 1) > PROB_TOLERANCE:
                shown = show_sum(self.sources, total)
                report.add(owner, key, path, f"probabilities sum to {shown}, not 1")
            return
        positive = [(v, src) for v, src in zip(self.values, self.sources, strict=True) if v > 0]
        total = math.fsum(v for v, _ in positive)
        if total > 1 + PROB_TOLERANCE:
            shown = show_sum([src for _, src in positive], total)
            report.add(
                owner, key, path,
                f"the probabilities that could be read already sum to {shown}, above 1",
            )  # fmt: skip


def show_sum(sources: list[Any], total: float) -> str:
    """The sum as the file would write it: exact when every term is rational."""
    try:
        exact = sum((from_value(s).evaluate({}) for s in sources), Fraction(0))
        if isinstance(exact, Fraction):
            return str(exact) if exact.denominator <= 10**6 else f"{total:.10g}"
    except ExprError:
        pass
    return f"{total:.10g}"


def transitions(
    data: Mapping,
    report: Report,
    numbers: Numbers,
    states: list[str],
    index: Mapping[str, int],
    terminal: set[int],
) -> tuple[Pairs, Outcomes]:
    """The state-action pairs (each state's together, in the file's order) and their outcomes."""
    raw = data.get("transitions")
    pairs = Pairs()
    out = Outcomes()
    if raw is None:
        report.add(data, None, "transitions", "missing: what each action does in each state")
        return pairs, out
    if not isinstance(raw, Mapping):
        report.add(
            data,
            "transitions",
            "transitions",
            f"expected a mapping state: actions, got {kind(raw)}",
        )
        return pairs, out
    report.duplicates(raw, "transitions")
    if all(map(isinstance, raw.values(), repeat(dict))):
        n_pairs = sum(map(len, raw.values()))
    else:
        n_pairs = sum(len(v) for v in raw.values() if isinstance(v, Mapping))
    if n_pairs > MAX_PAIRS:
        report.add(data, "transitions", "transitions", f"more than {MAX_PAIRS} state-action pairs")
        return pairs, out
    if not getattr(raw, "duplicates", None) and _plain_transitions(
        raw, index, terminal, pairs, out
    ):
        return pairs, out
    given: set[int] = set()
    for key, actions in raw.items():
        name = name_of(key)
        path = f"transitions.{key}"
        if name is None or name not in index:
            report.add(raw, key, path, report.unknown("state", key, index))
            continue
        s = index[name]
        if s in given:
            report.add(raw, key, path, f"state {name!r} is given twice (as {show(key)} here)")
            continue
        given.add(s)
        if s in terminal:
            report.add(raw, key, path, "a terminal state has no transitions (its value is 0)")
            continue
        if not isinstance(actions, Mapping):
            report.add(raw, key, path, f"expected a mapping action: outcomes, got {kind(actions)}")
            continue
        report.duplicates(actions, path)
        if not actions:
            report.add(raw, key, path, "no actions (mark the state terminal if episodes end there)")
        seen_actions: set[str] = set()
        for action, spec in actions.items():
            a_name = name_of(action)
            a_path = f"{path}.{action}"
            if a_name is None:
                report.add(actions, action, a_path, bad_name("an action", action))
                continue
            if a_name in seen_actions:
                report.add(actions, action, a_path, f"action {a_name!r} is given twice")
                continue
            seen_actions.add(a_name)
            first = len(out.next)
            _action_outcomes(spec, actions, action, a_path, report, numbers, index, out)
            pairs.add(s, a_name, first, len(out.next) - first)
    for s, name in enumerate(states):
        if s not in given and s not in terminal:
            report.add(
                raw,
                None,
                f"transitions.{name}",
                "missing: a non-terminal state needs actions (or list it under terminal)",
            )
    return pairs, out

"""Load and validate an MDP file into an ``MDP`` model, reporting every problem at once.

The schema is the one in DESIGN.md (see ``problems/`` for examples). Validation goes
field by field, collects a ``Problem`` (file, line, field path, what is wrong) for each
mistake and keeps going, so a user fixes a file in one pass. Nothing in the file is
ever executed: numbers and expressions go through the whitelist parser of ``expr``.
"""

from __future__ import annotations

import difflib
import gc
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from rlcli.errors import MDPFileError, Problem, UsageError
from rlcli.mdp.expr import Expr, ExprError, Num, Value, from_value, parse, to_float
from rlcli.mdp.model import MDP, ExactData, GridLayout
from rlcli.mdp.source import (
    DuplicateKeyError,
    is_json,
    line_of,
    parse_json,
    parse_yaml,
    read_text,
    show,
)

FIELDS = (
    "name", "description", "gamma", "parameters", "states", "terminal", "start",
    "transitions", "policies", "grid",
)  # fmt: skip
OUTCOME_FIELDS = ("next", "p", "r")
MAX_STATES = 5_000_000
MAX_PAIRS = 20_000_000
PROB_TOLERANCE = 1e-9


def load_mdp(path: str | Path, overrides: Mapping[str, str] | None = None) -> MDP:
    """Read, validate and build the MDP in ``path`` (YAML or JSON).

    ``overrides`` replace parameter values (``--set alpha=0.7``); ``gamma`` may be
    overridden too. Raises ``MDPFileError`` listing every problem found.
    """
    path = Path(path)
    text = read_text(path)
    with _no_gc():
        return loads_mdp(text, str(path), json_format=is_json(path, text), overrides=overrides)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing builds millions of small containers
    and no cycles, and repeated collections would make large files load 1.5x slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def loads_mdp(
    text: str,
    file: str = "<string>",
    *,
    json_format: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> MDP:
    """Like ``load_mdp`` but from text; ``file`` is the name used in messages."""
    if not json_format:
        return build_mdp(parse_yaml(text, file), file, overrides)
    try:
        data = parse_json(text, file)
    except DuplicateKeyError as exc:
        try:
            located = parse_yaml(text, file)
        except MDPFileError:
            raise MDPFileError([Problem(file, None, "", str(exc))]) from None
        return build_mdp(located, file, overrides)  # reports the duplicate with its line
    try:
        return build_mdp(data, file, overrides)
    except MDPFileError as fast_error:
        # JSON carries no line numbers: read it again as YAML to find them.
        try:
            located = parse_yaml(text, file)
        except (MDPFileError, MemoryError):
            raise fast_error from None
        build_mdp(located, file, overrides)
        raise fast_error from None  # pragma: no cover - the located build raises too


class _Report:
    """Collects problems: ``add(container, key, path, message)``."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, container: Any, key: Any, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, line_of(container, key), path, message))

    def duplicates(self, mapping: Any, path: str) -> None:
        for key, line in getattr(mapping, "duplicates", ()):
            where = f"{path}.{key}" if path else str(key)
            self.problems.append(Problem(self.file, line, where, "duplicate key"))


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return show(value)


def _bad_name(what: str, value: Any) -> str:
    if isinstance(value, bool):
        return (
            f"{what} name cannot be {str(value).lower()}: YAML reads on/off/yes/no/true/false "
            "as a truth value; quote the name, e.g. 'on'"
        )
    return f"{what} name must be a word or number, got {_kind(value)}"


def _unknown(what: str, value: Any, options: Any) -> str:
    if isinstance(value, bool):
        return _bad_name(f"a {what}", value)
    return f"unknown {what} {show(value)}{_did_you_mean(value, options)}"


def _did_you_mean(word: Any, options: Any) -> str:
    if not isinstance(word, (str, int)):
        return ""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _name(value: Any) -> str | None:
    """A state/action name: strings and integers (``0`` names state "0")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int):
        return str(value)
    return None


class _Numbers:
    """Evaluates numbers and expressions against the parameters."""

    def __init__(self, env: dict[str, Value]):
        self.env = env

    def expr(self, raw: Any) -> Expr:
        expr = raw if isinstance(raw, Expr) else from_value(raw)
        unknown = expr.names() - self.env.keys()
        if unknown:
            known = ", ".join(self.env) or "none defined"
            raise ExprError(f"unknown name {sorted(unknown)[0]!r} (parameters: {known})")
        return expr

    def value(self, raw: Any) -> float:
        """The float value of a file number; fast path for plain numbers."""
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return to_float(raw)
        return to_float(self.expr(raw).evaluate(self.env))


def _parameters(
    data: Mapping, report: _Report, overrides: Mapping[str, str]
) -> tuple[dict[str, Expr], dict[str, Value]]:
    """Each parameter's expression and exact value, in file order.

    A parameter may use earlier ones (``beta: 1 - alpha``); ``--set`` replaces a
    parameter's expression in place, so later parameters see the new value.
    """
    raw = data.get("parameters")
    exprs: dict[str, Expr] = {}
    env: dict[str, Value] = {}
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        report.add(
            data, "parameters", "parameters", f"expected a mapping name: value, got {_kind(raw)}"
        )
        raw = {}
    report.duplicates(raw, "parameters")
    unknown = [n for n in overrides if n not in raw and n != "gamma"]
    if unknown:
        known = ", ".join(str(k) for k in raw) or "the file has none"
        raise UsageError(f"--set {unknown[0]}: no such parameter (parameters: {known})")
    for name, value in raw.items():
        path = f"parameters.{name}"
        if not isinstance(name, str) or not name.isidentifier():
            report.add(raw, name, path, "a parameter name must be a word (letters, digits, _)")
            continue
        try:
            if name in overrides:
                try:
                    expr = _Numbers(env).expr(parse(overrides[name]))
                    env[name] = expr.evaluate(env)
                    to_float(env[name])
                except ExprError as exc:
                    raise UsageError(f"--set {name}={overrides[name]}: {exc}") from None
            else:
                expr = _Numbers(env).expr(value)
                env[name] = expr.evaluate(env)
                to_float(env[name])
            exprs[name] = expr
        except ExprError as exc:
            env.pop(name, None)
            report.add(raw, name, path, str(exc))
    return exprs, env


def _gamma(
    data: Mapping, report: _Report, numbers: _Numbers, overrides: Mapping[str, str]
) -> tuple[Expr, float]:
    if "gamma" in overrides and "gamma" not in numbers.env:
        try:
            expr = numbers.expr(parse(overrides["gamma"]))
            value = to_float(expr.evaluate(numbers.env))
        except ExprError as exc:
            raise UsageError(f"--set gamma={overrides['gamma']}: {exc}") from None
        if not 0 <= value <= 1:
            raise UsageError(f"--set gamma={overrides['gamma']}: gamma must be in [0, 1]")
        return expr, value
    if "gamma" not in data:
        report.add(data, None, "gamma", "missing: the discount factor, a number in [0, 1]")
        return Num(Fraction(1)), 1.0
    raw = data["gamma"]
    try:
        expr = numbers.expr(raw)
        value = to_float(expr.evaluate(numbers.env))
    except ExprError as exc:
        report.add(data, "gamma", "gamma", str(exc))
        return Num(Fraction(1)), 1.0
    if not 0 <= value <= 1:
        report.add(data, "gamma", "gamma", f"must be in [0, 1], got {value:g}")
    return expr, value


def _state_list(data: Mapping, report: _Report) -> list[str]:
    """The declared states, or (if ``states`` is absent) those named anywhere in the file."""
    raw = data.get("states")
    if raw is None:
        names: dict[str, None] = {}
        transitions = data.get("transitions")
        if isinstance(transitions, Mapping):
            for key in transitions:
                if _name(key) is not None:
                    names[_name(key)] = None  # type: ignore[index]
        terminal = data.get("terminal")
        if isinstance(terminal, list):
            for t in terminal:
                if _name(t) is not None:
                    names[_name(t)] = None  # type: ignore[index]
        if not names:
            report.add(data, None, "states", "missing: list the states (or give transitions)")
        return list(names)
    if not isinstance(raw, list):
        report.add(data, "states", "states", f"expected a list of state names, got {_kind(raw)}")
        return []
    if len(raw) > MAX_STATES:
        report.add(data, "states", "states", f"more than {MAX_STATES} states")
        return []
    states: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        name = _name(item)
        if name is None:
            report.add(raw, i, f"states[{i}]", _bad_name("a state", item))
        elif name in seen:
            report.add(raw, i, f"states[{i}]", f"duplicate state {show(name)}")
        else:
            seen.add(name)
            states.append(name)
    if not states and not report.problems:
        report.add(data, "states", "states", "the list of states is empty")
    return states


def _terminal(data: Mapping, report: _Report, index: Mapping[str, int]) -> set[int]:
    raw = data.get("terminal", [])
    if raw is None:
        return set()
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list):
        report.add(data, "terminal", "terminal", f"expected a list of states, got {_kind(raw)}")
        return set()
    result = set()
    for i, item in enumerate(raw):
        name = _name(item)
        if name is None or name not in index:
            report.add(raw, i, f"terminal[{i}]", _unknown("state", item, index))
        else:
            result.add(index[name])
    return result


class _Outcomes:
    """The growing outcome arrays (and the expressions they came from)."""

    def __init__(self) -> None:
        self.next: list[int] = []
        self.prob: list[float] = []
        self.reward: list[float] = []
        self.prob_src: list[Any] = []
        self.reward_src: list[Any] = []

    def add(self, nxt: int, p: float, r: float, p_src: Any, r_src: Any) -> None:
        self.next.append(nxt)
        self.prob.append(p)
        self.reward.append(r)
        self.prob_src.append(p_src)
        self.reward_src.append(r_src)


def _number(
    numbers: _Numbers, report: _Report, container: Any, key: str, path: str, default: Any = None
) -> tuple[float, Any] | None:
    """(value, source) of ``container[key]``, or None after reporting a problem."""
    raw = container.get(key, default)
    try:
        return numbers.value(raw), raw
    except ExprError as exc:
        report.add(container, key, path, str(exc))
        return None


def _action_outcomes(
    spec: Any,
    owner: Any,
    key: Any,
    path: str,
    report: _Report,
    numbers: _Numbers,
    index: Mapping[str, int],
    out: _Outcomes,
) -> None:
    """Parse one action's outcomes (three forms) into ``out``; report what is wrong."""
    start = len(out.next)
    problems_before = len(report.problems)

    def target(container: Any, k: Any, p: str) -> int | None:
        name = _name(container.get(k)) if isinstance(container, Mapping) else None
        if name is None or name not in index:
            raw = container.get(k) if isinstance(container, Mapping) else None
            if raw is None:
                report.add(container, None, p, "missing 'next': the state this outcome leads to")
            else:
                report.add(
                    container,
                    k,
                    f"{p}.{k}",
                    _unknown("state", raw, index),
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
                    f"unknown field{_did_you_mean(f, OUTCOME_FIELDS)}; an outcome has next, p, r",
                )

    if isinstance(spec, Mapping) and isinstance(spec.get("next"), Mapping):
        # expected-reward form: {r: R, next: {state: prob, ...}}
        check_fields(spec, path)
        reward = _number(numbers, report, spec, "r", f"{path}.r", 0)
        nexts = spec["next"]
        report.duplicates(nexts, f"{path}.next")
        if reward is not None and not nexts:
            report.add(spec, "next", f"{path}.next", "no next states")
        for name in nexts:
            p_path = f"{path}.next.{name}"
            sname = _name(name)
            if sname is None or sname not in index:
                report.add(nexts, name, p_path, _unknown("state", name, index))
                continue
            prob = _number(numbers, report, nexts, name, p_path)
            if prob is not None and reward is not None:
                out.add(index[sname], prob[0], reward[0], prob[1], reward[1])
                _check_probability(prob[0], report, nexts, name, p_path)
    elif isinstance(spec, Mapping):
        # a single outcome: p defaults to 1
        check_fields(spec, path)
        nxt = target(spec, "next", path)
        prob = _number(numbers, report, spec, "p", f"{path}.p", 1)
        reward = _number(numbers, report, spec, "r", f"{path}.r", 0)
        if nxt is not None and prob is not None and reward is not None:
            out.add(nxt, prob[0], reward[0], prob[1], reward[1])
            _check_probability(prob[0], report, spec, "p", f"{path}.p")
    elif isinstance(spec, list):
        if not spec:
            report.add(owner, key, path, "no outcomes: give at least one {next, p, r}")
        for i, outcome in enumerate(spec):
            o_path = f"{path}[{i}]"
            if not isinstance(outcome, Mapping):
                report.add(
                    spec, i, o_path, f"expected an outcome {{next, p, r}}, got {_kind(outcome)}"
                )
                continue
            check_fields(outcome, o_path)
            if "p" not in outcome and len(spec) > 1:
                report.add(outcome, None, o_path, "missing 'p' (only a single outcome may omit it)")
                continue
            nxt = target(outcome, "next", o_path)
            prob = _number(numbers, report, outcome, "p", f"{o_path}.p", 1)
            reward = _number(numbers, report, outcome, "r", f"{o_path}.r", 0)
            if nxt is not None and prob is not None and reward is not None:
                out.add(nxt, prob[0], reward[0], prob[1], reward[1])
                _check_probability(prob[0], report, outcome, "p", f"{o_path}.p")
    else:
        report.add(
            owner,
            key,
            path,
            f"expected outcomes (a list of {{next, p, r}}, one {{next, r}}, "
            f"or {{r, next: {{state: p}}}}), got {_kind(spec)}",
        )
        return
    if len(report.problems) == problems_before:
        _check_sum(out, start, report, owner, key, path)


def _plain_transitions(
    raw: Mapping,
    index: Mapping[str, int],
    terminal: set[int],
    per_state: list[list[tuple[str, int, int]]],
    out: _Outcomes,
) -> bool:
    """Fast path for machine-written files: every action is ``[{next, p, r}, ...]`` with
    plain numbers, every non-terminal state has actions, every sum is 1.

    Whole-file list operations keep the per-outcome Python work to a few list
    comprehensions (4 million outcomes in about 2 s). Fills ``per_state`` and ``out`` and
    returns True, or returns False having changed nothing: the careful path then finds
    and reports what is unusual.
    """
    try:
        pairs = [
            (index[key], action, spec)
            for key, actions in raw.items()
            for action, spec in actions.items()
        ]
        if any(type(a) is not str or type(spec) is not list or not spec for _, a, spec in pairs):
            return False
        flat = [o for _, _, spec in pairs for o in spec]
        if sum(map(len, flat)) != 3 * len(flat):  # each has next, p, r (else KeyError below)
            return False
        nexts = [index[o["next"]] for o in flat]
        probs = [o["p"] for o in flat]
        rewards = [o["r"] for o in flat]
    except (KeyError, TypeError, AttributeError):
        return False
    if not pairs:
        return False
    with_actions = {s for s, _, _ in pairs}
    if with_actions & terminal or len(with_actions) + len(terminal) != len(index):
        return False
    if not _PLAIN.issuperset(map(type, probs)) or not _PLAIN.issuperset(map(type, rewards)):
        return False
    try:
        finite = all(map(math.isfinite, probs)) and all(map(math.isfinite, rewards))
    except OverflowError:  # an integer beyond the float range
        return False
    if not finite or min(probs) < 0 or max(probs) > 1:
        return False
    counts = np.fromiter((len(spec) for _, _, spec in pairs), dtype=np.int64, count=len(pairs))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sums = np.add.reduceat(np.asarray(probs, dtype=np.float64), starts)
    if np.any(np.abs(sums - 1) > PROB_TOLERANCE):
        return False
    for (s, action, _), first, count in zip(pairs, starts.tolist(), counts.tolist(), strict=True):
        per_state[s].append((action, first, count))
    out.next, out.prob, out.reward = nexts, probs, rewards
    out.prob_src, out.reward_src = probs, rewards
    return True


_PLAIN = frozenset((float, int))


def _check_sum(
    out: _Outcomes, start: int, report: _Report, owner: Any, key: Any, path: str
) -> None:
    probs = out.prob[start:]
    total = math.fsum(probs)
    if probs and abs(total - 1) > PROB_TOLERANCE:
        shown = _show_sum(out.prob_src[start:], total)
        report.add(owner, key, path, f"probabilities sum to {shown}, not 1")


def _show_sum(sources: list[Any], total: float) -> str:
    """The sum as the file would write it: exact when every term is rational."""
    try:
        exact = sum((from_value(s).evaluate({}) for s in sources), Fraction(0))
        if isinstance(exact, Fraction):
            return str(exact) if exact.denominator <= 10**6 else f"{total:.10g}"
    except ExprError:
        pass
    return f"{total:.10g}"


def _check_probability(p: float, report: _Report, container: Any, key: Any, path: str) -> None:
    if p < 0:
        report.add(container, key, path, f"probability {p:g} is negative")
    elif p > 1 + PROB_TOLERANCE:
        report.add(container, key, path, f"probability {p:g} is above 1")


def _transitions(
    data: Mapping,
    report: _Report,
    numbers: _Numbers,
    states: list[str],
    index: Mapping[str, int],
    terminal: set[int],
) -> tuple[list[list[tuple[str, int, int]]], _Outcomes]:
    """Per state, its [(action, first outcome, outcome count)]; and the outcomes."""
    raw = data.get("transitions")
    per_state: list[list[tuple[str, int, int]]] = [[] for _ in states]
    out = _Outcomes()
    if raw is None:
        report.add(data, None, "transitions", "missing: what each action does in each state")
        return per_state, out
    if not isinstance(raw, Mapping):
        report.add(
            data,
            "transitions",
            "transitions",
            f"expected a mapping state: actions, got {_kind(raw)}",
        )
        return per_state, out
    report.duplicates(raw, "transitions")
    n_pairs = sum(len(v) for v in raw.values() if isinstance(v, Mapping))
    if n_pairs > MAX_PAIRS:
        report.add(data, "transitions", "transitions", f"more than {MAX_PAIRS} state-action pairs")
        return per_state, out
    if not getattr(raw, "duplicates", None) and _plain_transitions(
        raw, index, terminal, per_state, out
    ):
        return per_state, out
    given: set[int] = set()
    for key, actions in raw.items():
        name = _name(key)
        path = f"transitions.{key}"
        if name is None or name not in index:
            report.add(raw, key, path, _unknown("state", key, index))
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
            report.add(raw, key, path, f"expected a mapping action: outcomes, got {_kind(actions)}")
            continue
        report.duplicates(actions, path)
        if not actions:
            report.add(raw, key, path, "no actions (mark the state terminal if episodes end there)")
        seen_actions: set[str] = set()
        for action, spec in actions.items():
            a_name = _name(action)
            a_path = f"{path}.{action}"
            if a_name is None:
                report.add(actions, action, a_path, _bad_name("an action", action))
                continue
            if a_name in seen_actions:
                report.add(actions, action, a_path, f"action {a_name!r} is given twice")
                continue
            seen_actions.add(a_name)
            first = len(out.next)
            _action_outcomes(spec, actions, action, a_path, report, numbers, index, out)
            per_state[s].append((a_name, first, len(out.next) - first))
    for s, name in enumerate(states):
        if s not in given and s not in terminal:
            report.add(
                raw,
                None,
                f"transitions.{name}",
                "missing: a non-terminal state needs actions (or list it under terminal)",
            )
    return per_state, out


def _distribution(
    raw: Any,
    report: _Report,
    numbers: _Numbers,
    owner: Any,
    key: Any,
    path: str,
    options: Mapping[str, int],
    what: str,
) -> dict[int, tuple[float, Any]] | None:
    """``name`` or ``{name: prob}`` over ``options`` -> {index: (prob, source)}."""
    name = _name(raw)
    if name is not None:
        if name not in options:
            report.add(owner, key, path, _unknown(what, raw, options))
            return None
        return {options[name]: (1.0, 1)}
    if not isinstance(raw, Mapping) or not raw:
        report.add(
            owner,
            key,
            path,
            f"expected a {what} or a mapping {what}: probability, got {_kind(raw)}",
        )
        return None
    report.duplicates(raw, path)
    result: dict[int, tuple[float, Any]] = {}
    ok = True
    for item in raw:
        item_name = _name(item)
        if item_name is None or item_name not in options:
            report.add(
                raw,
                item,
                f"{path}.{item}",
                _unknown(what, item, options),
            )
            ok = False
            continue
        prob = _number(numbers, report, raw, item, f"{path}.{item}")
        if prob is None:
            ok = False
            continue
        if prob[0] < 0 or prob[0] > 1 + PROB_TOLERANCE:
            _check_probability(prob[0], report, raw, item, f"{path}.{item}")
            ok = False
        result[options[item_name]] = prob
    if not ok:
        return None
    total = math.fsum(p for p, _ in result.values())
    if abs(total - 1) > PROB_TOLERANCE:
        shown = _show_sum([src for _, src in result.values()], total)
        report.add(owner, key, path, f"probabilities sum to {shown}, not 1")
        return None
    return result


def _start(
    data: Mapping, report: _Report, numbers: _Numbers, index: Mapping[str, int]
) -> np.ndarray | None:
    if data.get("start") is None:
        return None
    dist = _distribution(data["start"], report, numbers, data, "start", "start", index, "state")
    if dist is None:
        return None
    start = np.zeros(len(index))
    for s, (p, _) in dist.items():
        start[s] = p
    return start


def _policies(
    data: Mapping,
    report: _Report,
    numbers: _Numbers,
    states: list[str],
    index: Mapping[str, int],
    pair_ptr: np.ndarray,
    pair_names: list[str],
) -> dict[str, np.ndarray]:
    raw = data.get("policies")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        report.add(
            data, "policies", "policies", f"expected a mapping name: policy, got {_kind(raw)}"
        )
        return {}
    report.duplicates(raw, "policies")
    result: dict[str, np.ndarray] = {}
    for pname, spec in raw.items():
        path = f"policies.{pname}"
        if spec == "uniform":
            result[str(pname)] = (1.0 / np.maximum(np.diff(pair_ptr), 1))[
                np.repeat(np.arange(len(states)), np.diff(pair_ptr))
            ]
            continue
        if not isinstance(spec, Mapping):
            report.add(
                raw,
                pname,
                path,
                f"expected a mapping state: action (or 'uniform'), got {_kind(spec)}",
            )
            continue
        report.duplicates(spec, path)
        pi = np.zeros(len(pair_names))
        ok = True
        covered: set[int] = set()
        for sname, choice in spec.items():
            s_path = f"{path}.{sname}"
            name = _name(sname)
            if name is None or name not in index:
                report.add(spec, sname, s_path, _unknown("state", sname, index))
                ok = False
                continue
            s = index[name]
            lo, hi = int(pair_ptr[s]), int(pair_ptr[s + 1])
            if lo == hi:
                report.add(spec, sname, s_path, "a terminal state takes no action")
                ok = False
                continue
            options = {pair_names[k]: k - lo for k in range(lo, hi)}
            if choice == "uniform":
                pi[lo:hi] = 1.0 / (hi - lo)
                covered.add(s)
                continue
            dist = _distribution(choice, report, numbers, spec, sname, s_path, options, "action")
            if dist is None:
                ok = False
                continue
            for j, (p, _) in dist.items():
                pi[lo + j] = p
            covered.add(s)
        missing = [
            states[s]
            for s in range(len(states))
            if pair_ptr[s + 1] > pair_ptr[s] and s not in covered
        ]
        if ok and missing:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            report.add(raw, pname, path, f"no action given for state(s) {shown}")
            ok = False
        if ok:
            result[str(pname)] = pi
    return result


def build_mdp(data: Any, file: str, overrides: Mapping[str, str] | None = None) -> MDP:
    """Validate parsed file data and build the model (raises ``MDPFileError``)."""
    overrides = dict(overrides or {})
    report = _Report(file)
    if data is None or data == "":
        raise MDPFileError([Problem(file, None, "", "the file is empty")])
    if not isinstance(data, Mapping):
        raise MDPFileError(
            [
                Problem(
                    file,
                    line_of(data),
                    "",
                    "the top level must be a mapping of fields "
                    f"(gamma, states, transitions, ...), got {_kind(data)}",
                )
            ]
        )
    report.duplicates(data, "")
    for key in data:
        if key not in FIELDS:
            report.add(data, key, str(key), f"unknown field{_did_you_mean(key, FIELDS)}")
    for text_field in ("name", "description"):
        if text_field in data and not isinstance(data[text_field], (str, int, float)):
            report.add(
                data, text_field, text_field, f"expected text, got {_kind(data[text_field])}"
            )

    param_exprs, env = _parameters(data, report, overrides)
    numbers = _Numbers(env)
    gamma_expr, gamma = _gamma(data, report, numbers, overrides)

    layout: GridLayout | None = None
    if "grid" in data:
        from rlcli.mdp.grid import expand_grid

        clash = [f for f in ("states", "terminal", "transitions") if f in data]
        if clash:
            report.add(
                data,
                clash[0],
                clash[0],
                "the grid form builds states, terminal and transitions; "
                "give either grid or these fields",
            )
            raise MDPFileError(report.problems)
        expanded = expand_grid(data, report, numbers)
        if expanded is None:
            raise MDPFileError(report.problems)
        layout = expanded.pop("layout")
        data = {**data, **expanded}

    states = _state_list(data, report)
    index = {s: i for i, s in enumerate(states)}
    terminal = _terminal(data, report, index)
    per_state, out = _transitions(data, report, numbers, states, index, terminal)

    pair_ptr = np.zeros(len(states) + 1, dtype=np.int64)
    pair_ptr[1:] = np.cumsum([len(p) for p in per_state])
    actions: dict[str, int] = {}
    pair_names = [a for pairs in per_state for a, _, _ in pairs]
    for a in pair_names:
        actions.setdefault(a, len(actions))
    start = _start(data, report, numbers, index)
    policies = _policies(data, report, numbers, states, index, pair_ptr, pair_names)
    if report.problems:
        raise MDPFileError(report.problems)

    # outcomes were appended in the file's order of states; put pairs in state-index order
    firsts = np.array([f for pairs in per_state for _, f, _ in pairs], dtype=np.int64)
    pair_counts = np.array([c for pairs in per_state for _, _, c in pairs], dtype=np.int64)
    out_ptr = np.zeros(len(firsts) + 1, dtype=np.int64)
    out_ptr[1:] = np.cumsum(pair_counts)
    out_idx = np.repeat(firsts - out_ptr[:-1], pair_counts) + np.arange(out_ptr[-1])
    term = np.zeros(len(states), dtype=bool)
    term[list(terminal)] = True
    exact = ExactData(
        gamma=gamma_expr,
        parameters=param_exprs,
        out_prob=_reordered(out.prob_src, out_idx),
        out_reward=_reordered(out.reward_src, out_idx),
        out_ptr=out_ptr,
        pair_labels=tuple(
            f"({states[s]}, {a})" for s, pairs in enumerate(per_state) for a, _, _ in pairs
        ),
    )
    return MDP(
        states=tuple(states),
        actions=tuple(actions),
        gamma=gamma,
        terminal=term,
        pair_ptr=pair_ptr,
        pair_action=np.array([actions[a] for a in pair_names], dtype=np.int64),
        out_ptr=out_ptr,
        out_next=np.asarray(out.next, dtype=np.int64)[out_idx],
        out_prob=np.asarray(out.prob, dtype=np.float64)[out_idx],
        out_reward=np.asarray(out.reward, dtype=np.float64)[out_idx],
        start=start,
        policies=policies,
        name=str(data.get("name", Path(file).stem)),
        description=" ".join(str(data.get("description", "")).split()),
        source=file,
        layout=layout,
        exact=exact,
    )


def _reordered(items: list[Any], order: np.ndarray) -> tuple[Any, ...]:
    """``items`` in ``order`` (cheap when the file already listed states in order)."""
    if np.array_equal(order, np.arange(len(items))):
        return tuple(items)
    return tuple(items[i] for i in order.tolist())

"""Load and validate an MDP file into an ``MDP`` model, reporting every problem at once.

The schema is the one in DESIGN.md (see ``problems/`` for examples). Validation goes
field by field, collects a ``Problem`` (file, line, field path, what is wrong) for each
mistake and keeps going, so a user fixes a file in one pass. Nothing in the file is
ever executed: numbers and expressions go through the whitelist parser of ``expr``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

from rlcli.errors import MDPFileError, Problem, RlcliError
from rlcli.mdp.model import MDP, ExactData, GridLayout
from rlcli.mdp.read.numbers import OverrideError, gamma_field, parameters
from rlcli.mdp.read.policies import named_policies, start_field
from rlcli.mdp.read.report import Report, bad_name, did_you_mean, kind, name_of
from rlcli.mdp.read.source import (
    MAX_YAML_CHARS,
    DuplicateKeyError,
    Tally,
    is_json,
    line_of,
    orjson_reading_is_exact,
    parse_json_exactly,
    parse_yaml,
    read_text,
    read_with_orjson,
    show,
)
from rlcli.mdp.read.transitions import Pairs, transitions

FIELDS = (
    "name", "description", "gamma", "parameters", "states", "terminal", "start",
    "transitions", "policies", "grid",
)  # fmt: skip
MAX_STATES = 5_000_000


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
    """Like ``load_mdp`` but from text; ``file`` is the name used in messages.

    JSON is read by orjson and the model built from that reading; the reading is then proven
    to be ``json``'s (``orjson_reading_is_exact``; the transitions fast path has counted
    its part). A file it cannot prove, or one with problems to report, is read again by
    ``json`` with the duplicate-key hook, the reading every message is made from.

    Problems that only the ``overrides`` cause (the file is valid without them) are an
    ``OverrideError`` naming the overrides, not a fault of the file.
    """
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark, in JSON as in YAML
    try:
        return _loads(text, file, json_format, overrides)
    except MDPFileError as exc:
        if not overrides:
            raise
        blame_overrides(exc, text, file, json_format, overrides)
        raise


def blame_overrides(
    exc: MDPFileError, text: str, file: str, json_format: bool, overrides: Mapping[str, str]
) -> None:
    """Raise an ``OverrideError`` quoting ``exc``'s problems when the file is valid without
    ``overrides`` (read again without them: only on failure); a file with problems of its
    own keeps them as they are."""
    try:
        _loads(text, file, json_format, None)
    except RlcliError:
        return
    given = ", ".join(f"{name}={value}" for name, value in overrides.items())
    these = "this value" if len(overrides) == 1 else "these values"
    lines = "\n".join(f"  {p}" for p in exc.problems)
    raise OverrideError(
        f"{given}: with {these} the file is invalid:\n{lines}", problems=exc.problems
    ) from None


def _loads(text: str, file: str, json_format: bool, overrides: Mapping[str, str] | None) -> MDP:
    if not json_format:
        return build_mdp(parse_yaml(text, file), file, overrides, text=text)
    data = read_with_orjson(text)
    if data is not None:
        known: dict[int, Tally] = {}
        with suppress(RlcliError):  # reported from the exact reading below
            mdp = build_mdp(data, file, overrides, known, text)
            if orjson_reading_is_exact(data, text, known):
                return mdp
        del data  # before the exact reading: bounded memory
    try:
        data = parse_json_exactly(text, file)
    except DuplicateKeyError as exc:
        try:
            located = parse_yaml(text, file)
        except MDPFileError:  # e.g. too large for YAML: the repeat alone, with its line
            raise MDPFileError([Problem(file, exc.line, exc.path, "duplicate key")]) from None
        return build_mdp(located, file, overrides, text=text)  # every problem, with its line
    try:
        return build_mdp(data, file, overrides, text=text)
    except MDPFileError as fast_error:
        # JSON carries no line numbers: read it again as YAML to find them.
        try:
            located = parse_yaml(text, file)
        except (MDPFileError, MemoryError):
            raise fast_error from None
        build_mdp(located, file, overrides)
        raise fast_error from None  # pragma: no cover - the located build raises too


def state_list(data: Mapping, report: Report) -> list[str]:
    """The declared states, or (if ``states`` is absent) those named anywhere in the file."""
    raw = data.get("states")
    if raw is None:
        names: dict[str, None] = {}
        transitions = data.get("transitions")
        if isinstance(transitions, Mapping):
            for key in transitions:
                if name_of(key) is not None:
                    names[name_of(key)] = None  # type: ignore[index]
        terminal = data.get("terminal")
        if isinstance(terminal, list):
            for t in terminal:
                if name_of(t) is not None:
                    names[name_of(t)] = None  # type: ignore[index]
        if not names:
            report.add(data, None, "states", "missing: list the states (or give transitions)")
        return list(names)
    if not isinstance(raw, list):
        report.add(data, "states", "states", f"expected a list of state names, got {kind(raw)}")
        return []
    if len(raw) > MAX_STATES:
        report.add(data, "states", "states", f"more than {MAX_STATES} states")
        return []
    if set(map(type, raw)) == {str} and all(map(str.strip, raw)) and len(set(raw)) == len(raw):
        return list(raw)  # distinct names, none blank: what the loop below would keep
    states: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        name = name_of(item)
        if name is None:
            report.add(raw, i, f"states[{i}]", bad_name("a state", item))
        elif name in seen:
            report.add(raw, i, f"states[{i}]", f"duplicate state {show(name)}")
        else:
            seen.add(name)
            states.append(name)
    if not states and not report.problems:
        report.add(data, "states", "states", "the list of states is empty")
    return states


def terminal_states(data: Mapping, report: Report, index: Mapping[str, int]) -> set[int]:
    raw = data.get("terminal", [])
    if raw is None:
        return set()
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list):
        report.add(data, "terminal", "terminal", f"expected a list of states, got {kind(raw)}")
        return set()
    result = set()
    for i, item in enumerate(raw):
        name = name_of(item)
        if name is None or name not in index:
            report.add(raw, i, f"terminal[{i}]", report.unknown("state", item, index))
        else:
            result.add(index[name])
    return result


def build_mdp(
    data: Any,
    file: str,
    overrides: Mapping[str, str] | None = None,
    known: dict[int, Tally] | None = None,
    text: str | None = None,
) -> MDP:
    """Validate parsed file data and build the model (raises ``MDPFileError``). ``known``
    receives the ``Tally`` of ``data["transitions"]`` (by ``id``) when the fast path took
    it, for ``orjson_reading_is_exact``; ``text`` (kept when small) locates the numbers
    for messages made later (exact mode)."""
    overrides = dict(overrides or {})
    report = Report(file)
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
                    f"(gamma, states, transitions, ...), got {kind(data)}",
                )
            ]
        )
    report.duplicates(data, "")
    for key in data:
        if key not in FIELDS:
            report.add(data, key, str(key), f"unknown field{did_you_mean(key, FIELDS)}")
    for text_field in ("name", "description"):
        if text_field in data and not isinstance(data[text_field], (str, int, float)):
            report.add(data, text_field, text_field, f"expected text, got {kind(data[text_field])}")

    param_exprs, numbers = parameters(data, report, overrides)
    gamma_expr, gamma = gamma_field(data, report, numbers, overrides)

    layout: GridLayout | None = None
    if "grid" in data:
        from rlcli.mdp.read.grid import expand_grid

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

    states = state_list(data, report)
    index = {s: i for i, s in enumerate(states)}
    terminal = terminal_states(data, report, index)
    pairs, out = transitions(data, report, numbers, states, index, terminal)
    if known is not None and out.tally is not None and layout is None:
        known[id(data["transitions"])] = out.tally

    pair_ptr, pair_names, firsts, pair_counts = _in_state_order(pairs, len(states))
    actions = {a: i for i, a in enumerate(dict.fromkeys(pair_names))}  # first seen, first
    start = start_field(data, report, numbers, index)
    policies = named_policies(data, report, numbers, states, index, pair_ptr, pair_names)
    if report.problems:
        raise MDPFileError(report.problems)

    # outcomes were appended in the file's order of states; put pairs in state-index order
    out_ptr = np.zeros(len(firsts) + 1, dtype=np.int64)
    out_ptr[1:] = np.cumsum(pair_counts)
    given = pair_counts > 0  # in order: each pair's outcomes start where out_ptr says
    in_order = bool(np.array_equal(firsts[given], out_ptr[:-1][given]))
    if not in_order:
        out_idx = np.repeat(firsts - out_ptr[:-1], pair_counts) + np.arange(out_ptr[-1])
    term = np.zeros(len(states), dtype=bool)
    term[list(terminal)] = True

    def reordered(items: list[Any]) -> tuple[Any, ...]:
        return tuple(items) if in_order else tuple(items[i] for i in out_idx.tolist())

    def array(items: list[Any], dtype: type) -> np.ndarray:
        values = np.asarray(items, dtype=dtype)
        return values if in_order else values[out_idx]

    out_next = array(out.next, np.int64)
    kept = text if text is not None and len(text) <= MAX_YAML_CHARS else None

    def where(z: int | str, field: str) -> tuple[int | None, str]:
        """(line, path) of outcome z's field "p"/"r" ("sum": its pair), or of a name."""
        from rlcli.mdp.read import locate

        data = locate.located_data(file, kept)
        if isinstance(z, str):
            return locate.top_field(data, z, z if z == "gamma" else f"parameters.{z}")
        k = int(np.searchsorted(out_ptr, z, side="right")) - 1
        s = int(np.searchsorted(pair_ptr, k, side="right")) - 1
        i = z - int(out_ptr[k])
        return locate.outcome_field(
            data, states[s], pair_names[k], i, states[int(out_next[z])], field
        )

    exact = ExactData(
        gamma=gamma_expr,
        parameters=param_exprs,
        out_prob=reordered(out.prob_src),
        out_reward=reordered(out.reward_src),
        out_ptr=out_ptr,
        where=where,
        file=file,
    )
    return MDP(
        states=tuple(states),
        actions=tuple(actions),
        gamma=gamma,
        terminal=term,
        pair_ptr=pair_ptr,
        pair_action=np.array(list(map(actions.__getitem__, pair_names)), dtype=np.int64),
        out_ptr=out_ptr,
        out_next=out_next,
        out_prob=array(out.prob, np.float64),
        out_reward=array(out.reward, np.float64),
        start=start,
        policies=policies,
        name=str(data.get("name", Path(file).stem)),
        description=" ".join(str(data.get("description", "")).split()),
        source=file,
        layout=layout,
        exact=exact,
    )


def _in_state_order(
    pairs: Pairs, n_states: int
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """The pairs in state-index order (each state's in the file's order): the (S+1,) pointer
    to each state's first pair, and per pair its action, first outcome and outcome count."""
    state = np.asarray(pairs.state, dtype=np.int64)
    first = np.asarray(pairs.first, dtype=np.int64)
    count = np.asarray(pairs.count, dtype=np.int64)
    pair_ptr = np.zeros(n_states + 1, dtype=np.int64)
    np.cumsum(np.bincount(state, minlength=n_states), out=pair_ptr[1:])
    if np.all(state[1:] >= state[:-1]):
        return pair_ptr, pairs.action, first, count
    order = np.argsort(state, kind="stable")
    return pair_ptr, [pairs.action[k] for k in order.tolist()], first[order], count[order]

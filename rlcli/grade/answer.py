"""A student's answer: YAML (a file or inline text) keyed as the command's ``--json``, or
inline ``"A=3/4, B=-1.7"`` for ``values``; read against the truth document so that every
entry is checked to name something the exercise computes.

What a student types on one line is read leniently where it is unambiguous: items
separated by ``,`` or ``;``, each ``NAME=value`` or ``NAME: value``, NAME a state of
``values`` (also written ``V(A)``), ``Q(A, left)`` for ``q``, or a top-level number
(``ordinary=32/9, weighted=2``); a YAML mapping of states (``{A: 3/4, B: 1}``,
``{A: {left: 1}}``) means ``values`` (or ``q``).

The truth document is a tree of dicts (and lists, indexed from 0) whose leaves are
Fractions (number cells; ``Inexact`` for a number known only as a float) or ``Choice``s
(a set of right names among the options, e.g. the optimal actions of a state).
``labels`` says what each level's keys are, for messages:
``{"values": ("state",), "q": ("state", "action"), "sweeps": ("sweep", "state")}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import yaml

from rlcli.errors import RlcliError
from rlcli.grade.numbers import Given, Inexact, parse_given

MAX_ANSWER_BYTES = 1_000_000
Key = tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    """A cell whose answer is a set of names: right when the given names are among ``right``
    (any of tied optimal actions will do), and every given name must be an ``option``."""

    right: frozenset[str]
    options: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One cell of an answer: where it is in the tree, what was given, its line (if a file)."""

    path: Key
    given: Given | frozenset[str]
    line: int | None


class AnswerError(RlcliError):
    """A malformed answer: ``FILE:LINE: field.path: what is wrong`` (exit 2)."""


def read_answer(
    spec: str, truth: Mapping[str, Any], labels: Mapping[str, Sequence[str]]
) -> list[Entry]:
    """The entries of ``spec``: an existing file's YAML, inline YAML, or ``A=3/4, B=-1.7``."""
    path = Path(spec)
    if len(spec) < 4096 and "\n" not in spec and path.is_file():
        if path.stat().st_size > MAX_ANSWER_BYTES:
            raise AnswerError(
                f"{spec}: {path.stat().st_size:,} bytes is too long for an answer "
                f"(limit {MAX_ANSWER_BYTES:,})"
            )
        return parse_answer(path.read_text(encoding="utf-8", errors="replace"), spec, truth, labels)
    if len(spec) < 4096 and re.fullmatch(r"\S+\.(ya?ml|json|txt)", spec.strip()):
        raise AnswerError(f"{spec.strip()}: no such file (an answer file, or inline 'A=3/4')")
    if len(spec) > MAX_ANSWER_BYTES:
        raise AnswerError(
            f"answer: {len(spec):,} characters is too long (limit {MAX_ANSWER_BYTES:,})"
        )
    return parse_answer(spec, "answer", truth, labels)


def parse_answer(
    text: str, name: str, truth: Mapping[str, Any], labels: Mapping[str, Sequence[str]]
) -> list[Entry]:
    """Answer text → its entries, checked against the truth document's shape."""
    if _is_inline(text):
        return _inline(text, name, truth, labels)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        if _is_inline(text, yaml_failed=True):
            return _inline(text, name, truth, labels)
        node = _braced(text)
        if node is None:
            _yaml_error(exc, name)
    except (yaml.YAMLError, RecursionError) as exc:
        raise AnswerError(f"{name}: not readable as YAML ({type(exc).__name__})") from None
    if node is None:
        raise AnswerError(f"{name}: the answer is empty; give at least one value")
    if not isinstance(node, yaml.MappingNode):
        raise AnswerError(
            f"{name}:{node.start_mark.line + 1}: expected a mapping such as "
            f"'values: {{A: 3/4}}' or inline 'A=3/4, B=-1.7'"
        )
    entries: list[Entry] = []
    implicit = _implicit_key(node, truth)
    if implicit is not None:
        _walk(node, truth[implicit], (implicit,), name, labels, entries)
    else:
        _walk(node, truth, (), name, labels, entries)
    if not entries:
        raise AnswerError(f"{name}: the answer is empty; give at least one value")
    return entries


def _yaml_error(exc: yaml.MarkedYAMLError, name: str) -> NoReturn:
    mark = exc.problem_mark or exc.context_mark
    line = f":{mark.line + 1}" if mark is not None else ""
    raise AnswerError(f"{name}{line}: YAML syntax error: {exc.problem}") from None


def _braced(text: str) -> yaml.Node | None:
    """One line of ``key: value`` pairs that is not YAML, ``deltas: [1, 2], advantages:
    [3, 4]``, read as the flow mapping it means (None: not that either)."""
    if "\n" in text.strip():
        return None
    try:
        node = yaml.compose("{" + text.strip() + "}", Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return node if isinstance(node, yaml.MappingNode) else None


_ITEM = re.compile(
    r"^\s*(?:([VQ])\(\s*([^\s(),]+)\s*(?:,\s*([^\s(),]+)\s*)?\)|([^\s=:{}\[\](),;]+))"
    r"\s*[=:]\s*([^=:{}\[\](),;]*?)\s*$"
)
_SEPARATOR = re.compile(r"\n|[,;](?![^()]*\))")  # a comma inside Q(A, left) separates nothing


def _items(line: str) -> list[str]:
    return _SEPARATOR.split(line.strip())


def _is_inline(text: str, yaml_failed: bool = False) -> bool:
    """``NAME=value`` items (on one line or one a line; or, when it is not YAML, one line
    of ``NAME: value`` items); NAME may be written ``V(A)`` or ``Q(A, left)``."""
    line = text.strip()
    if any(c in line for c in "{}[]"):
        return False
    if "=" in line and ":" not in line:
        return True
    return yaml_failed and "\n" not in line and all(_ITEM.match(item) for item in _items(line))


def _implicit_key(node: yaml.Node, truth: Mapping[str, Any]) -> str | None:
    """``values`` (or ``q``) for a mapping of states (``{A: 3/4}``, ``{A: {left: 1}}``)
    whose keys are all states of that answer and none a key of the truth."""
    if not isinstance(node, yaml.MappingNode):
        return None
    keys = [k.value if isinstance(k, yaml.ScalarNode) else None for k, _ in node.value]
    if any(k in truth for k in keys):
        return None
    fits = [
        name
        for name in ("values", "q")
        if isinstance(truth.get(name), Mapping) and all(k in truth[name] for k in keys)
    ]
    return fits[0] if len(fits) == 1 else None


def _inline(
    text: str, name: str, truth: Mapping[str, Any], labels: Mapping[str, Sequence[str]]
) -> list[Entry]:
    """``A=3/4, B=-1.7`` (or ``V(A)=3/4``) → values.A, values.B; ``Q(A, left)=1`` →
    q.A.left; ``ordinary=32/9`` → ordinary, a top-level number (item i named by its
    position)."""
    entries = []
    seen: set[Key] = set()
    for i, item in enumerate(_items(text)):
        match = _ITEM.match(item)
        where = f"{name}: item {i + 1} ({item.strip()!r})"
        if not match:
            raise AnswerError(f"{where}: expected STATE=VALUE")
        letter, state, action, key, value = match.groups()
        inner = state if action is None else f"{state}, {action}"
        shown = key if letter is None else f"{letter}({inner})"
        if letter == "Q" and action is None:
            raise AnswerError(f"{where}: expected Q(STATE, ACTION)=VALUE")
        path: Key = ("q", state, action) if letter == "Q" else ("values", state or key)
        if letter is None and isinstance(truth.get(key), (Fraction, Inexact)):
            path = (key,)
        if path in seen:
            raise AnswerError(f"{where}: {'.'.join(path)} is given twice")
        seen.add(path)
        if path == (key,):
            entries.append(_leaf(value, truth[key], (key,), f"{name}: {key}", None))
            continue
        if path[0] not in truth or (letter == "V" and action is not None):
            raise AnswerError(f"{where}: this exercise computes {', '.join(truth)}; "
                              f"'{shown}' is none of them")  # fmt: skip
        node: Any = truth
        for depth, part in enumerate(path):
            _check_key(node, part, path[:depth], f"{name}: {'.'.join(path[: depth + 1])}", labels)
            node = node[part]
        entries.append(_leaf(value, node, path, f"{name}: {'.'.join(path)}", None))
    return entries


def _where(name: str, node: yaml.Node, path: Key) -> str:
    return f"{name}:{node.start_mark.line + 1}: {'.'.join(path)}"


def _check_key(
    truth: Any, key: str, path: Key, where: str, labels: Mapping[str, Sequence[str]]
) -> None:
    if key in truth:
        return
    if not path:
        known = ", ".join(truth)
        raise AnswerError(f"{where}: this exercise computes {known}; '{key}' is none of them")
    level = labels.get(path[0], ())
    label = level[len(path) - 1] if len(path) - 1 < len(level) else "entry"
    known = ", ".join(list(truth)[:12]) + (", ..." if len(truth) > 12 else "")
    what = "was not asked for" if label == "sweep" else "does not exist here"
    raise AnswerError(f"{where}: {label} '{key}' {what} (this exercise has {known})")


def _walk(node: yaml.Node, truth: Any, path: Key, name: str,
          labels: Mapping[str, Sequence[str]], entries: list[Entry]) -> None:  # fmt: skip
    if isinstance(truth, (Fraction, Inexact, Choice)):
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        if isinstance(truth, Choice) and isinstance(node, yaml.SequenceNode):
            value = [n.value if isinstance(n, yaml.ScalarNode) else None for n in node.value]
        entries.append(
            _leaf(value, truth, path, _where(name, node, path), node.start_mark.line + 1)
        )
        return
    if isinstance(truth, list):
        if isinstance(node, yaml.ScalarNode) and "," in node.value:
            _listed(node, truth, path, name, entries)  # a list written without brackets
            return
        if not isinstance(node, yaml.SequenceNode):
            raise AnswerError(f"{_where(name, node, path)}: expected a list such as [1/2, -1]")
        if len(node.value) > len(truth):
            raise AnswerError(
                f"{_where(name, node, path)}: {len(node.value)} items given, "
                f"the exercise has {len(truth)}"
            )
        for i, child in enumerate(node.value):
            _walk(child, truth[i], (*path, str(i)), name, labels, entries)
        return
    if not isinstance(node, yaml.MappingNode):
        raise AnswerError(f"{_where(name, node, path)}: expected a mapping of names to values")
    seen: set[str] = set()
    for key_node, child in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        here = f"{name}:{key_node.start_mark.line + 1}: {'.'.join((*path, key))}"
        if key in seen:
            raise AnswerError(f"{here}: given twice")
        seen.add(key)
        _check_key(truth, key, path, here, labels)
        _walk(child, truth[key], (*path, key), name, labels, entries)


def _listed(node: yaml.ScalarNode, truth: list[Any], path: Key, name: str,
            entries: list[Entry]) -> None:  # fmt: skip
    """``advantages: 1/2, -1, 3/4``: the items of a list, comma-separated."""
    items = [item.strip() for item in node.value.split(",")]
    where = _where(name, node, path)
    if len(items) > len(truth):
        raise AnswerError(f"{where}: {len(items)} items given, the exercise has {len(truth)}")
    for i, item in enumerate(items):
        if isinstance(truth[i], (list, Mapping)):
            raise AnswerError(f"{where}: item {i + 1} is not a single value here")
        entries.append(_leaf(item, truth[i], (*path, str(i)), f"{where}.{i}",
                             node.start_mark.line + 1))  # fmt: skip


def _leaf(
    value: Any, truth: Fraction | Inexact | Choice, path: Key, where: str, line: int | None
) -> Entry:
    if isinstance(truth, Choice):
        names = value if isinstance(value, list) else [value]
        if not names or any(not isinstance(n, str) or not n.strip() for n in names):
            raise AnswerError(f"{where}: expected an action or a list of actions")
        names = [n.strip() for n in names]
        for n in names:
            if n not in truth.options:
                raise AnswerError(
                    f"{where}: no action '{n}' here (actions: {', '.join(truth.options)})"
                )
        return Entry(path, frozenset(names), line)
    given = parse_given(value) if isinstance(value, str) else None
    if given is None:
        shown = "a list or mapping" if not isinstance(value, str) else repr(value)
        raise AnswerError(f"{where}: {shown} is not a number (write 3/4, -1.75 or 2)")
    return Entry(path, given, line)

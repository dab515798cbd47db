"""Reading MDP files: YAML or JSON text -> plain data that remembers its line numbers.

Mappings become ``LDict`` and sequences ``LList``: ordinary dicts and lists carrying
the line of the node itself and of each key / item, so validation can say
``robot.yaml:14: transitions.low.search``. JSON is read with orjson, or Python's
``json`` where orjson would read it differently (no lines either way); when a JSON file
turns out to be invalid it is read again as YAML (JSON is YAML) to find the lines for the
messages.

Hostile input stays harmless: libyaml's C composer would overflow the C stack on very
deep nesting, so the Python composer is used (its recursion ends in a clean
RecursionError); aliases are shared, never expanded, by the constructor.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson
import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from rlcli.errors import MDPFileError, Problem

try:  # the C parser is much faster; the composition stays in Python (see above)
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _PyParser.__init__(self)


class LDict(dict):
    """A dict with ``line`` (of the mapping) and ``lines`` (of each key), 1-based;
    ``literal`` the line of the ``|`` of each value written as a literal block scalar
    (its text's line i is on line ``literal[key] + 1 + i``)."""

    line: int | None = None
    lines: dict[Any, int]
    duplicates: list[tuple[Any, int]]
    literal: Mapping[Any, int] = MappingProxyType({})  # replaced, never changed: rarely set

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lines = {}
        self.duplicates = []


class LList(list):
    """A list with ``line`` (of the sequence) and ``lines`` (of each item), 1-based."""

    line: int | None = None
    lines: list[int]

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.lines = []


def show(value: Any, depth: int = 0) -> str:
    """A short repr for messages, bounded even for a huge (alias-bombed) value."""
    if isinstance(value, dict):
        if depth >= 2:
            return "{...}"
        items = [f"{show(k, 2)}: {show(v, depth + 1)}" for k, v in islice(value.items(), 3)]
        return "{" + ", ".join(items) + (", ...}" if len(value) > 3 else "}")
    if isinstance(value, list):
        if depth >= 2:
            return "[...]"
        items = [show(v, depth + 1) for v in islice(value, 3)]
        return "[" + ", ".join(items) + (", ...]" if len(value) > 3 else "]")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def kind(value: Any) -> str:
    """What a file value is, for messages: "a mapping", "the number 3", "'abc'"."""
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


def text_line(container: Any, key: Any, i: int) -> int | None:
    """The file line of line ``i`` (from 0) of the text ``container[key]``: known for a
    literal block scalar (``|``), else the line of the key."""
    start = getattr(container, "literal", {}).get(key)
    return line_of(container, key) if start is None else start + 1 + i


def line_of(container: Any, key: Any = None) -> int | None:
    """The line of ``container[key]`` (or of the container itself), if known."""
    if key is None:
        return getattr(container, "line", None)
    if isinstance(container, LDict):
        return container.lines.get(key, container.line)
    if isinstance(container, LList) and isinstance(key, int) and 0 <= key < len(container.lines):
        return container.lines[key]
    return getattr(container, "line", None)


class _LineLoader(_Parser, Composer, SafeConstructor, Resolver):  # type: ignore[misc]
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document

    def __init__(self, stream: str):
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Any:
    data = LDict()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                None,
                None,
                "a mapping key must be a name, not a list or mapping",
                key_node.start_mark,
            ) from None
        if key in data:
            data.duplicates.append((key, line))
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line
        if value_node.tag == "tag:yaml.org,2002:str" and value_node.style == "|":
            data.literal = {**data.literal, key: value_node.start_mark.line + 1}


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> Any:
    data = LList()
    data.line = node.start_mark.line + 1
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=True))
        data.lines.append(child.start_mark.line + 1)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


MAX_YAML_CHARS = 2_000_000  # YAML is composed as a node tree: ~70 bytes of memory per character
MAX_JSON_BYTES = 256_000_000  # JSON: about 11 bytes of memory per byte (100,000 states: 207 MB)
MB = 1_000_000


def parse_yaml(text: str, file: str) -> Any:
    """YAML text -> LDict/LList data; syntax errors become an ``MDPFileError``."""
    if len(text) > MAX_YAML_CHARS:
        raise MDPFileError([Problem(file, None, "", yaml_too_large(len(text)))])
    loader = _LineLoader(text)
    try:
        return loader.get_single_data()
    except yaml.reader.ReaderError as exc:  # a control character: no mark, only a position
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise MDPFileError(
            [Problem(file, line, "", f"YAML syntax error, column {column}: {exc.reason}")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = f", column {mark.column + 1}" if mark is not None else ""
        what = exc.problem or str(exc)
        raise MDPFileError([Problem(file, line, "", f"YAML syntax error{col}: {what}")]) from None
    except yaml.YAMLError as exc:
        raise MDPFileError([Problem(file, None, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise MDPFileError(
            [Problem(file, None, "", "nested too deeply to be an MDP file")]
        ) from None
    except ValueError as exc:  # e.g. an integer literal of more than 4300 digits
        raise MDPFileError([Problem(file, None, "", f"unreadable number: {exc}")]) from None
    finally:
        loader.dispose()


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key (plain JSON readers silently keep the last); ``line`` and
    ``path`` (``transitions.a.go[0].p``) say where the repeat is."""

    def __init__(self, key: Any, line: int | None = None, path: str = ""):
        super().__init__(f"duplicate key {show(key)}")
        self.key, self.line, self.path = key, line, path


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise DuplicateKeyError(key)
    return data


def parse_json(text: str, file: str) -> Any:
    """JSON text -> plain data (no lines), as Python's ``json`` reads it; syntax errors and
    lone surrogates become an ``MDPFileError``, a repeated key a ``DuplicateKeyError``.

    orjson reads it (2-4x faster than ``json`` on large files) whenever
    ``orjson_reading_is_exact`` shows its result is the one ``json`` would give with every
    key unique. Otherwise (a syntax error, NaN or Infinity, a lone surrogate, an integer
    beyond 64 bits, a repeated key, ...) ``parse_json_exactly`` reads it.
    """
    data = read_with_orjson(text)
    if data is not None and orjson_reading_is_exact(data, text):
        return data
    return parse_json_exactly(text, file)


def read_with_orjson(text: str) -> Any | None:
    """orjson's reading of ``text`` (to be proven with ``orjson_reading_is_exact``), or None
    where orjson refuses it (invalid JSON, NaN, Infinity, a lone surrogate, too deep)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


# A subtree's count of ':' and whether an 'e+' may appear in ``orjson.dumps`` of it
Tally = tuple[int, bool]


def orjson_reading_is_exact(data: Any, text: str, known: Mapping[int, Tally] | None = None) -> bool:
    r"""Whether orjson's ``data`` is what ``json`` reads from ``text``, with no repeated key.

    orjson and ``json`` differ on valid JSON in two ways: orjson keeps the last of repeated
    keys, and it reads an integer beyond 64 bits as a float. Both show in ``orjson.dumps(data)``
    (dumped in pieces: bounded memory), which (orjson ≥ 3.11.7) writes every float of
    magnitude 1e16 or more with an exponent ``e+``:

    - no repeated key ⇔ ``text`` and the dump hold as many ``:``. Each ``:`` outside strings
      separates one key from its value; a dropped repeat takes at least its own ``:`` away,
      while the colons inside strings are the same on both sides. Only an escaped colon
      ``\u003a`` (a ``:`` in the data but not in the text) breaks the count: such text is
      judged inexact.
    - no integer beyond 64 bits ⇐ no ``e+`` in the dump (such an integer has magnitude
      ≥ 2^63 ≈ 9.2e18). A float ≥ 1e16 (or ``e+`` in a string) also says "inexact": the
      exact reading is then slower, never different.

    ``known`` gives the ``Tally`` of subtrees (by ``id``) that the caller has counted from
    what it took out of them (the transitions fast path), instead of dumping them again.
    """
    if "\\" in text and ("\\u003a" in text or "\\u003A" in text):
        return False
    colons = 0
    try:
        for count, exponent in _tallies(data, known or {}, top=True):
            if exponent:
                return False
            colons += count
    except orjson.JSONEncodeError:  # nested deeper than orjson writes (254 levels)
        return False
    return colons == text.count(":")


def _tallies(value: Any, known: Mapping[int, Tally], top: bool = False) -> Iterator[Tally]:
    """The ``Tally`` of ``orjson.dumps(value)`` in pieces: the top mapping and large ones
    are dumped entry by entry (their keys as one piece), ``known`` subtrees not at all."""
    if id(value) in known:
        yield known[id(value)]
    elif isinstance(value, dict) and (top or len(value) > 64):
        keys = orjson.dumps(list(value))
        yield keys.count(b":") + len(value), b"e+" in keys
        for item in value.values():
            yield from _tallies(item, known)
    else:
        piece = orjson.dumps(value)
        yield piece.count(b":"), b"e+" in piece


def parse_json_exactly(text: str, file: str) -> Any:
    """The exact, slower reading: ``json`` with a hook refusing repeated keys (located:
    ``DuplicateKeyError`` carries its line and path)."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise MDPFileError(
            [Problem(file, exc.lineno, "", f"JSON syntax error, column {exc.colno}: {exc.msg}")]
        ) from None
    except RecursionError:
        raise MDPFileError(
            [Problem(file, None, "", "nested too deeply to be an MDP file")]
        ) from None
    except DuplicateKeyError as exc:
        raise _located(exc, text) from None
    except ValueError as exc:  # e.g. an integer literal of more than 4300 digits
        raise MDPFileError([Problem(file, None, "", f"unreadable number: {exc}")]) from None
    check_unicode(data, text, file)
    return data


_BLANK = re.compile(r"[ \t\n\r]*")


def _located(error: DuplicateKeyError, text: str) -> DuplicateKeyError:
    """The repeated key's line and path in JSON ``text`` (which ``json`` reads, but for the
    repeat): walk down from the top, reading each value with the refusing hook and going
    into the one that fails, so the text is read about twice, at C speed."""
    plain = json.JSONDecoder()
    refusing = json.JSONDecoder(object_pairs_hook=_unique_keys)
    path, i = "", _BLANK.match(text, 0).end()
    while True:
        close = "}" if text[i] == "{" else "]"
        i, seen, n = _BLANK.match(text, i + 1).end(), set(), 0
        while text[i] != close:
            if close == "}":
                key, j = plain.raw_decode(text, i)
                where = f"{path}.{key}" if path else str(key)
                if key in seen:
                    return DuplicateKeyError(key, text.count("\n", 0, i) + 1, where)
                seen.add(key)
                j = _BLANK.match(text, _BLANK.match(text, j).end() + 1).end()  # past ':'
            else:
                where, j, n = f"{path}[{n}]", i, n + 1
            try:
                _, end = refusing.raw_decode(text, j)
            except DuplicateKeyError:
                path, i = where, j
                break
            i = _BLANK.match(text, end).end()
            if text[i] == ",":
                i = _BLANK.match(text, i + 1).end()
        else:  # pragma: no cover - json found the repeat inside this value
            return error


def yaml_too_large(size: int) -> str:
    return (
        f"a YAML file of {size / MB:.1f} MB is over the {MAX_YAML_CHARS // MB} MB limit for "
        f"YAML (reading it would need about {size * 100 / 1e9:.1f} GB); "
        f"write large models as JSON (up to {MAX_JSON_BYTES // MB} MB)"
    )


def read_text(path: Path) -> str:
    """The text of a regular file or a pipe (``cat f.yaml | rlcli mdp check /dev/stdin``) of
    bounded size (a UTF-8 BOM is dropped); anything else (a device, a socket, input over the
    limits) becomes an ``MDPFileError``. A pipe is read only up to the limit."""

    def refuse(message: str) -> MDPFileError:
        return MDPFileError([Problem(str(path), None, "", message)])

    try:
        with open(path, "rb", opener=_open_nonblocking) as f:
            info = os.fstat(f.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise refuse("is a directory, not a file")
            if stat.S_ISFIFO(info.st_mode):
                os.set_blocking(f.fileno(), True)  # wait for the writer's data
            elif not stat.S_ISREG(info.st_mode):
                raise refuse("not a regular file or a pipe (a device or socket); give an MDP file")
            if info.st_size > MAX_JSON_BYTES:
                raise refuse(
                    f"{info.st_size / MB:.0f} MB is over the {MAX_JSON_BYTES // MB} MB limit "
                    "for an MDP file"
                )
            if path.suffix.lower() in (".yaml", ".yml") and info.st_size > MAX_YAML_CHARS:
                raise refuse(yaml_too_large(info.st_size))
            data = f.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        raise refuse("no such file") from None
    except IsADirectoryError:
        raise refuse("is a directory, not a file") from None
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if len(data) > MAX_JSON_BYTES:  # a pipe, or a file that grew while it was read
        raise refuse(f"over the {MAX_JSON_BYTES // MB} MB limit for an MDP file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(f"not UTF-8 text (byte {exc.start})") from None


def _open_nonblocking(path: str, flags: int) -> int:
    """Open without waiting for a writer (a FIFO would block forever)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([dD][89a-fA-F][0-9a-fA-F]{2})")


def check_unicode(data: Any, text: str, file: str) -> None:
    """Refuse JSON strings holding a lone surrogate (``"\\ud800"``): such text cannot be
    printed or written as UTF-8. Costs a regular-expression search unless one is there."""
    if _SURROGATE_HINT.search(text) is None:
        return
    lines = _lone_escape_lines(text)
    problems, used = [], 0
    for path, value in _strings(data):
        count = sum(0xD800 <= ord(c) <= 0xDFFF for c in value)
        if count:
            line = lines[used] if used < len(lines) else None
            used += count
            message = "holds a lone surrogate (\\uD800-\\uDFFF without its pair): not Unicode text"
            printable = path.encode("utf-8", "backslashreplace").decode("utf-8")
            problems.append(Problem(file, line, printable, message))
    if problems:
        raise MDPFileError(problems)


def _lone_escape_lines(text: str) -> list[int]:
    """The line of each surrogate escape in JSON text that is not half of a pair."""
    matches = list(_SURROGATE_ESCAPE.finditer(text))
    lines, i = [], 0
    while i < len(matches):
        m, nxt = matches[i], matches[i + 1] if i + 1 < len(matches) else None
        if (
            m.group(2)[1].lower() in "89ab"
            and nxt is not None
            and nxt.start() == m.end()
            and not nxt.group(1)
            and nxt.group(2)[1].lower() in "cdef"
        ):
            i += 2
            continue
        lines.append(text.count("\n", 0, m.start()) + 1)
        i += 1
    return lines


def _strings(data: Any) -> Iterator[tuple[str, str]]:
    """(path, text) of every string, key or value, in document order (iteratively: any
    depth the JSON reader accepted is safe)."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            yield path, node
            continue
        items = node.items() if isinstance(node, Mapping) else enumerate(node)
        children = []
        for key, value in items:
            if isinstance(node, Mapping):
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str):
                    children.append((key, where))
            else:
                where = f"{path}[{key}]"
            if isinstance(value, (str, Mapping, list)):
                children.append((value, where))
        stack.extend(reversed(children))


def is_json(path: Path, text: str) -> bool:
    return path.suffix.lower() == ".json" or (
        path.suffix.lower() not in (".yaml", ".yml") and text.lstrip().startswith("{")
    )

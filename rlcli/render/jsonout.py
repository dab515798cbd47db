"""``--json`` output: one JSON document on stdout, written without rich.

Rich wraps long lines when stdout is a pipe, so JSON never goes through it.
"""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
from json.encoder import encode_basestring  # json.dumps's own, for ensure_ascii=False
from typing import Any


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, fractions and non-finite floats to JSON values."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, Fraction):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy array or scalar
        return to_jsonable(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return str(obj)


def _default(obj: Any) -> Any:
    """Types json does not know: numpy scalars/arrays, fractions, anything else as text."""
    if isinstance(obj, Fraction):
        return str(obj)
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


PRETTY_LIMIT = 100_000  # characters; larger documents put each top-level key on one line


def dumps(obj: Any) -> str:
    """JSON text, indented by 2; non-finite floats become null (the fast path fails on them).

    Python indents with its pure-Python encoder, which took longer than the solve itself on
    a 10,000-state answer; a document over ``PRETTY_LIMIT`` characters (written by the C
    encoder) therefore keeps each top-level key on a line of its own, and its value compact.
    """
    try:
        return _dumps(obj)
    except (ValueError, TypeError):  # NaN or infinity, or odd dict keys: walk the document
        return _dumps(to_jsonable(obj))


def _dumps(obj: Any) -> str:
    if isinstance(obj, dict) and all(type(k) is str for k in obj):
        members = [f"{_encode(k)}: {_encode(v)}" for k, v in obj.items()]
        if sum(map(len, members)) > PRETTY_LIMIT:
            return "{\n  " + ",\n  ".join(members) + "\n}"
    elif len(compact := _encode(obj)) > PRETTY_LIMIT:
        return compact
    return _encode(obj, indent=2)


def _encode(obj: Any, indent: int | None = None) -> str:
    if indent is None and isinstance(obj, dict) and len(obj) >= FAST_MAP:
        fast = _number_map(obj)
        if fast is not None:
            return fast
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False, default=_default)


FAST_MAP = 1_000  # entries; smaller maps are written by json alone


def _number_map(obj: dict) -> str | None:
    """``json.dumps(obj, ensure_ascii=False)`` of a large ``{str: float}`` or
    ``{str: {str: float}}`` map (the values and Q tables of a 100,000-state answer), or None
    for any other map or one with a non-finite number.

    ``json`` spends about 1 µs per float in ``repr``; the numbers are written by orjson
    instead, 10x faster, except where the two differ: ``repr`` switches to exponent form
    below 1e-4 and from 1e16 (``1e-05``, ``1e+16``; orjson writes ``0.00001``, ``1e16``), so
    those numbers are written by ``repr``. In between, both write the shortest digits that
    read back as the same float (``tests/test_json_output_numbers.py``)."""
    if set(map(type, obj)) != {str}:
        return None
    inner = list(obj.values())
    kinds = set(map(type, inner))
    if kinds == {float}:
        texts = _float_texts(inner)
        if texts is None:
            return None
        keys = map(encode_basestring, obj)
        return "{" + ", ".join([k + ": " + v for k, v in zip(keys, texts, strict=True)]) + "}"
    if kinds != {dict}:
        return None
    names = {name for d in inner for name in d}
    if set(map(type, names)) != {str}:
        return None
    numbers = [v for d in inner for v in d.values()]
    if set(map(type, numbers)) != {float} or (texts := _float_texts(numbers)) is None:
        return None
    encoded = {name: encode_basestring(name) for name in names}
    keys = [encoded[n] for d in inner for n in d]
    members = [k + ": " + v for k, v in zip(keys, texts, strict=True)]
    rows, first = [], 0
    for key, d in zip(map(encode_basestring, obj), inner, strict=True):
        rows.append(f"{key}: {{{', '.join(members[first : first + len(d)])}}}")
        first += len(d)
    return "{" + ", ".join(rows) + "}"


def _float_texts(values: list[float]) -> list[str] | None:
    """Each float as ``repr`` writes it, or None if one is not finite (see ``_number_map``)."""
    import numpy as np  # here, not at start-up: most documents are small
    import orjson

    if not values:
        return []
    array = np.array(values)
    if not np.isfinite(array).all():
        return None
    texts = orjson.dumps(values)[1:-1].decode().split(",")
    size = np.abs(array)
    for i in np.flatnonzero(((size < 1e-4) & (size > 0)) | (size >= 1e16)).tolist():
        texts[i] = repr(values[i])
    return texts


_documents = [0]  # how many documents emit() wrote in this process


def emit(obj: Any) -> None:
    """Write ``obj`` as one JSON document to stdout."""
    _documents[0] += 1
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def documents_written() -> int:
    """How many documents :func:`emit` wrote so far (the CLI adds no error document after one)."""
    return _documents[0]

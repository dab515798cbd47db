"""``--json`` output: one JSON document on stdout, written without rich.

Rich wraps long lines when stdout is a pipe, so JSON never goes through it.
"""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
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
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False, default=_default)


_documents = [0]  # how many documents emit() wrote in this process


def emit(obj: Any) -> None:
    """Write ``obj`` as one JSON document to stdout."""
    _documents[0] += 1
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def documents_written() -> int:
    """How many documents :func:`emit` wrote so far (the CLI adds no error document after one)."""
    return _documents[0]

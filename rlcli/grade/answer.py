"""Reading an answer: a YAML file or inline text, numbers kept as written.

``values: {A: 3/4, B: -1.7}``, ``q: {A: {left: 0}}``, ``returns: [1, 2]`` — any subset of
a command's ``--json`` keys; inline ``"A=3/4, B=-1.7"`` means ``values``. Scalars are read
as strings (YAML's BaseLoader), so ``0.10`` keeps its two digits.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rlcli.errors import RlcliError
from rlcli.replay.numbers import NAME

MAX_ANSWER_BYTES = 200_000


class AnswerError(RlcliError):
    """A malformed answer (exit 2)."""


def read_answer(spec: str) -> dict[str, Any]:
    """The answer in ``spec``: a file path, YAML text, or ``A=3/4, B=1``."""
    path = Path(spec)
    where = "--answer"
    if len(spec) < 4096 and path.suffix in (".yaml", ".yml", ".json", ".txt") and path.exists():
        if path.stat().st_size > MAX_ANSWER_BYTES:
            raise AnswerError(f"{spec}: larger than {MAX_ANSWER_BYTES} bytes")
        spec, where = path.read_text(encoding="utf-8"), spec
    if len(spec) > MAX_ANSWER_BYTES:
        raise AnswerError(f"{where}: longer than {MAX_ANSWER_BYTES} characters")
    if re.fullmatch(
        r"\s*[A-Za-z_][\w]*\s*=[^:{}\[\]]*(,\s*[A-Za-z_][\w]*\s*=[^:{}\[\]]*)*\s*", spec
    ):
        return {"values": _inline(spec, where)}
    import yaml

    try:
        data = yaml.load(spec, Loader=yaml.BaseLoader)  # every scalar a string
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise AnswerError(f"{where}{line}: not YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise AnswerError(f"{where}: expected keys as in --json (values: {{A: 3/4}}) or 'A=3/4'")
    return data


def _inline(text: str, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (p for p in text.split(",") if p.strip()):
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not NAME.match(name) or not value:
            raise AnswerError(f"{where}: {part.strip()!r}: expected STATE=NUMBER")
        out[name] = value
    return out

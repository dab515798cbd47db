"""Where a number of a loaded model was written: the line and field path of an outcome's
``p`` or ``r``, of ``gamma`` or of a parameter, for messages raised after loading (exact
mode). The file is read again, only when such a message is made; a file that cannot be read
again (standard input, JSON over the YAML size limit) gives the path without a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rlcli.errors import RlcliError
from rlcli.mdp.read.report import name_of
from rlcli.mdp.read.source import MAX_YAML_CHARS, line_of, parse_yaml


def located_data(file: str, text: str | None = None) -> Any:
    """The file (or its ``text``, if kept) parsed with lines, or None."""
    try:
        if text is None:
            path = Path(file)
            if not path.is_file() or path.stat().st_size > MAX_YAML_CHARS:
                return None
            text = path.read_text(encoding="utf-8-sig")
        return parse_yaml(text, file)
    except (OSError, UnicodeDecodeError, RlcliError):
        return None


def _entry(mapping: Any, name: str) -> tuple[Any, Any]:
    """(key, value) of the entry of ``mapping`` named ``name`` (keys may be numbers)."""
    if isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if name_of(key) == name:
                return key, value
    return None, None


def top_field(data: Any, key: str, path: str) -> tuple[int | None, str]:
    """The line of ``data[key]`` (``gamma``, or ``name`` under ``parameters``)."""
    if key == "gamma":
        return line_of(data, "gamma") if isinstance(data, Mapping) else None, path
    params = data.get("parameters") if isinstance(data, Mapping) else None
    return (line_of(params, key) if isinstance(params, Mapping) else None), path


def outcome_field(
    data: Any, state: str, action: str, i: int, next_state: str, field: str
) -> tuple[int | None, str]:
    """(line, path) of ``field`` ("p" or "r") of outcome ``i`` of (state, action)."""
    base = f"transitions.{state}.{action}"
    if isinstance(data, Mapping) and "grid" in data and "transitions" not in data:
        return line_of(data, "grid"), f"grid (transitions.{state}.{action})"
    _, actions = _entry(data.get("transitions") if isinstance(data, Mapping) else None, state)
    a_key, spec = _entry(actions, action)
    if field == "sum":
        return line_of(actions, a_key) if a_key is not None else None, base
    if isinstance(spec, list) and 0 <= i < len(spec):
        outcome = spec[i]
        line = line_of(outcome, field) if field in outcome else line_of(spec, i)
        return line, f"{base}[{i}].{field}"
    if isinstance(spec, Mapping) and isinstance(spec.get("next"), Mapping):
        if field == "r":
            return line_of(spec, "r"), f"{base}.r"
        key, _ = _entry(spec["next"], next_state)
        return line_of(spec["next"], key), f"{base}.next.{next_state}"
    if isinstance(spec, Mapping):
        return line_of(spec, field) if field in spec else line_of(actions, a_key), f"{base}.{field}"
    return None, f"{base}[{i}].{field}"

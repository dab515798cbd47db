"""Constructor arguments for ``gymnasium.make``: ``k=v,...`` text, checked against the env.

Values are YAML scalars or flow sequences (nothing runs): ``is_slippery=false``,
``success_rate=0.8``, ``map_name=8x8``, ``desc=[SFFF, FHFH, FFFH, HFFG]`` (commas inside
brackets belong to the value). Plain scalars follow YAML 1.2's core schema, not PyYAML's
YAML 1.1: only true/false are booleans (``yes``, ``on``, ``n`` stay text), ``010`` is ten,
and ``1:30`` or ``2024-01-01`` are text, not sexagesimal numbers or dates.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, ClassVar

import yaml

from rlcli.errors import UsageError


class CoreLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema plain scalars (see the module doc)."""

    yaml_implicit_resolvers: ClassVar[dict] = {}  # none of SafeLoader's (YAML 1.1) ones

    def construct_core_int(self, node: yaml.ScalarNode) -> int:
        text = self.construct_scalar(node)
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)


_CORE = {
    "bool": (r"true|True|TRUE|false|False|FALSE", "tTfF"),
    "int": (r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    "float": (
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    "null": (r"~|null|Null|NULL|", ["~", "n", "N", ""]),
}
for _tag, (_pattern, _first) in _CORE.items():
    CoreLoader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"), list(_first)
    )
CoreLoader.add_constructor("tag:yaml.org,2002:int", CoreLoader.construct_core_int)


def parse_kwargs(text: str | None) -> dict[str, Any]:
    """``"a=1,b=[x, y]"`` -> ``{"a": 1, "b": ["x", "y"]}``; malformed items name their position."""
    if text is None or not text.strip():
        return {}
    result: dict[str, Any] = {}
    for i, item in enumerate(_split_top_level(text)):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier() or not raw.strip():
            raise UsageError(f"kwargs item {i + 1}: expected name=value, got {item.strip()!r}")
        if key in result:
            raise UsageError(f"kwargs.{key}: given twice")
        try:
            result[key] = yaml.load(raw, Loader=CoreLoader)  # a SafeLoader: nothing runs
        except yaml.YAMLError:
            raise UsageError(f"kwargs.{key}: cannot read the value {raw.strip()!r}") from None
    return result


def _split_top_level(text: str) -> list[str]:
    """Split at commas that are not inside [...] or {...}."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    if depth != 0:
        raise UsageError(f"kwargs: unbalanced brackets in {text!r}")
    return [item for item in items if item.strip()]


def constructor_defaults(spec: Any) -> dict[str, inspect.Parameter]:
    """The keyword parameters of the env class behind ``spec`` (``render_mode`` left out), or
    an empty dict if the constructor takes ``**kwargs`` (then nothing can be checked)."""
    from gymnasium.envs.registration import load_env_creator

    creator = spec.entry_point
    creator = load_env_creator(creator) if isinstance(creator, str) else creator
    try:
        params = inspect.signature(creator).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return {}
    return {n: p for n, p in params.items() if n not in ("self", "render_mode")}


def check_kwargs(env_id: str, spec: Any, kwargs: dict[str, Any]) -> None:
    """Unknown names and values of the wrong type are a ``UsageError`` naming the field.

    The expected type is that of the parameter's default (``True`` → true/false, ``0.8`` →
    a number, ``"4x4"`` → text, ``(1, 0, 0)`` → a list); a ``None`` default takes a list
    when the annotation says so (``desc: list[str] | None``), anything otherwise.
    """
    params = constructor_defaults(spec)
    if not params:
        return
    for key, value in kwargs.items():
        if key == "render_mode":
            raise UsageError("kwargs.render_mode: rendering has nothing to do with the model")
        if key not in params:
            raise UsageError(
                f"kwargs.{key}: {env_id} has no argument {key!r}; it takes {', '.join(params)}"
            )
        expected = _expected_type(params[key])
        if expected is not None and not _matches(value, expected):
            raise UsageError(f"kwargs.{key}: expected {expected}, got {value!r}")


def _expected_type(param: inspect.Parameter) -> str | None:
    default = param.default
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (int, float)):
        return "a number"
    if isinstance(default, str):
        return "text"
    if isinstance(default, (list, tuple)) or "list" in str(param.annotation):
        return "a list such as [a, b]"
    return None


def _matches(value: Any, expected: str) -> bool:
    if expected == "true or false":
        return isinstance(value, bool)
    if expected == "a number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "text":
        return isinstance(value, str)
    return isinstance(value, list)

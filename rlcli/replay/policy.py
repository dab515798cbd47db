"""Policy tables given inline (``A=right; B=left:1/2|right:1/2``) or in the experience file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from rlcli.errors import UsageError
from rlcli.replay.numbers import NAME, Value, number

PolicyTable = dict[str, dict[str, Value]]


def parse_policy(raw: Any, where: str) -> PolicyTable:
    """A policy per state: an action (probability 1) or {action: probability}; each row
    must sum to 1."""
    table: PolicyTable = {}
    if isinstance(raw, str):
        items: list[tuple[str, Any]] = []
        for part in (
            p for p in re.split(r"[;,]\s*(?=[A-Za-z_][A-Za-z_0-9]*\s*=)", raw) if p.strip()
        ):
            s, sep, rest = part.partition("=")
            if not sep:
                raise UsageError(
                    f"{where}: {part.strip()!r}: expected STATE=ACTION or STATE=a:p|b:q"
                )
            dist: dict[str, str] = {}
            for choice in rest.split("|"):
                a, colon, p = choice.partition(":")
                dist[a.strip()] = p.strip() if colon else "1"
            items.append((s.strip(), dist))
    elif isinstance(raw, Mapping):
        items = [(str(k), v if isinstance(v, Mapping) else {str(v): "1"}) for k, v in raw.items()]
    else:
        raise UsageError(
            f"{where}: expected a policy table such as 'A=right; B=left:1/2|right:1/2'"
        )
    for s, dist in items:
        if not NAME.match(s):
            raise UsageError(f"{where}: {s!r} is not a state name")
        row: dict[str, Value] = {}
        for a, p in dist.items():
            if not NAME.match(str(a)):
                raise UsageError(f"{where}.{s}: {a!r} is not an action name")
            row[str(a)] = number(str(p), f"{where}.{s}.{a}")
            if not 0 <= row[str(a)] <= 1:
                raise UsageError(f"{where}.{s}.{a}: probability {row[str(a)]} is not in [0, 1]")
        total = sum(row.values(), Fraction(0))
        if abs(total - 1) > 1e-9:
            raise UsageError(f"{where}.{s}: probabilities sum to {total}, not 1")
        table[s] = row
    return table


def prob(table: PolicyTable, s: str, a: str, where: str) -> Value:
    if s not in table:
        raise UsageError(f"{where}: no row for state {s}")
    return table[s].get(a, Fraction(0))

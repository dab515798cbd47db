"""Numbers in exam data: exact ``Fraction``s read with the MDP files' whitelist parser.

``1/2``, ``-3``, ``0.9`` (= 9/10) and ``2**-1`` parse exactly as they do in MDP files;
nothing is ever handed to ``eval``. A value is a ``Fraction`` when the input was exact,
else a ``float`` (``ln(3)``-style logits, logarithms in KL).
"""

from __future__ import annotations

import re
from fractions import Fraction

from rlcli.errors import UsageError
from rlcli.mdp.read.expr import ExprError, parse, to_float

Value = Fraction | float

# A name (state, action): a letter (any alphabet: é, α) or _ first, then letters, digits, _,
# - and primes (S&B's A′, or A'): ``s-1``, ``A′``, ``état``. A token that starts with a digit,
# a sign, a point or a parenthesis is a number, so ``s-1`` is a name and ``-1`` a reward.
NAME = re.compile(r"[^\W\d][\w\-'′″]*\Z")
NAME_RULE = "a letter or _ first, then letters, digits, _, - or primes ′ '"
MAX_ITEMS = 100_000  # numbers in one list option


def number(text: str, where: str) -> Value:
    """One number or arithmetic expression (no names); ``where`` prefixes the error."""
    try:
        expr = parse(text)
        if expr.names():
            raise ExprError(f"expected a number, got the name {sorted(expr.names())[0]!r}")
        value = expr.evaluate({})
        to_float(value)
    except ExprError as exc:
        raise UsageError(f"{where}: {text!r}: {exc}") from None
    return value


def number_list(text: str, where: str, limit: int = MAX_ITEMS) -> list[Value]:
    """A comma- or space-separated list of numbers, at most ``limit`` of them."""
    items = split_items(text, where, limit)
    if not items:
        raise UsageError(f"{where}: expected a list of numbers, got nothing")
    return [number(item, f"{where} item {i + 1}") for i, item in enumerate(items)]


def split_items(text: str, where: str, limit: int = MAX_ITEMS) -> list[str]:
    """Tokens separated by commas or whitespace; refuses more than ``limit`` before splitting."""
    if text.count(",") + text.count(" ") > 2 * limit + 10 or len(text) > 40 * limit:
        raise UsageError(f"{where}: more than {limit} items")
    items = [t for t in re.split(r"[,\s]+", text.strip()) if t]
    if len(items) > limit:
        raise UsageError(f"{where}: {len(items)} items; at most {limit} are accepted")
    return items


def assignments(text: str, where: str) -> list[tuple[str, str]]:
    """``"A=1/2, B=1"`` (or ``A: 1/2``) -> [("A", "1/2"), ("B", "1")], names checked."""
    out: list[tuple[str, str]] = []
    for i, part in enumerate(p for p in re.split(r"[,;]", text) if p.strip()):
        name, sep, value = part.partition("=")
        if not sep:
            name, sep, value = part.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise UsageError(f"{where}: item {i + 1} {part.strip()!r}: expected NAME=VALUE")
        if not all(NAME.match(n) for n in name.split(".")):
            raise UsageError(f"{where}: item {i + 1}: {name!r} is not a name")
        out.append((name, value))
    return out

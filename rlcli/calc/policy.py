"""A tabular softmax policy given as logits (``s1: L=0, R=ln(3)``) or probabilities.

A logit is c + ln(q) with c and q exact; e^θ is then rational when c = 0, so
π(a|s) = e^{θ_a} / Σ_b e^{θ_b} is exact (``ln(3)`` and ``0`` give 3/4 and 1/4).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from rlcli.errors import UsageError
from rlcli.replay.numbers import NAME, Value, number
from rlcli.replay.worked import show

MAX_ACTIONS = 1000


@dataclass(frozen=True)
class Logit:
    """θ = const + ln(log_arg) (``log_arg`` None: no log part)."""

    const: Value
    log_arg: Fraction | None = None

    @property
    def value(self) -> float:
        return float(self.const) + (math.log(self.log_arg) if self.log_arg is not None else 0.0)

    @property
    def exp_exact(self) -> Fraction | None:
        """e^θ as a Fraction when it is rational, else None."""
        if not isinstance(self.const, Fraction) or self.const != 0:
            return None
        return self.log_arg if self.log_arg is not None else Fraction(1)

    def plus(self, step: Value) -> Logit:
        return Logit(self.const + step, self.log_arg)

    def __str__(self) -> str:
        if self.log_arg is None:
            return show(self.const)
        log = f"ln({self.log_arg})"
        if self.const == 0:
            return log
        sign = "−" if self.const < 0 else "+"
        return f"{log} {sign} {show(abs(self.const))}"


Table = dict[str, dict[str, Logit]]


def parse_table(text: str, where: str, probs: bool) -> Table:
    """``"s1: L=0, R=ln(3); s2: L=0, R=0"`` -> {state: {action: Logit}}; with ``probs``
    the numbers are π(a|s) (each row summing to 1) and θ = ln π."""
    table: Table = {}
    for i, part in enumerate(p for p in text.split(";") if p.strip()):
        state, colon, rest = part.partition(":")
        state = state.strip()
        if not colon or not NAME.match(state):
            raise UsageError(f"{where}: item {i + 1} {part.strip()!r}: expected 'STATE: a=θ, b=θ'")
        row: dict[str, Logit] = {}
        for item in (x for x in re.split(r",(?![^()]*\))", rest) if x.strip()):
            a, eq, v = item.partition("=")
            a = a.strip()
            if not eq or not NAME.match(a):
                raise UsageError(f"{where}.{state}: {item.strip()!r}: expected ACTION=VALUE")
            if a in row:
                raise UsageError(f"{where}.{state}: action {a} given twice")
            row[a] = (
                _prob(v, f"{where}.{state}.{a}") if probs else _logit(v, f"{where}.{state}.{a}")
            )
        if not row or len(row) > MAX_ACTIONS:
            raise UsageError(f"{where}.{state}: between 1 and {MAX_ACTIONS} actions")
        if probs:
            total = sum((x.log_arg or 0 for x in row.values()), Fraction(0))
            if total != 1:
                raise UsageError(f"{where}.{state}: probabilities sum to {total}, not 1")
        if state in table:
            raise UsageError(f"{where}: state {state} given twice")
        table[state] = row
    if not table:
        raise UsageError(f"{where}: no states given")
    return table


def _logit(text: str, where: str) -> Logit:
    m = re.fullmatch(r"\s*(?:ln|log)\s*\((.*)\)\s*", text)
    if m is None:
        return Logit(number(text, where))
    q = number(m.group(1), where)
    if q <= 0:
        raise UsageError(f"{where}: ln({m.group(1).strip()}) needs a positive argument")
    if not isinstance(q, Fraction):
        return Logit(math.log(q))
    return Logit(Fraction(0), q)


def _prob(text: str, where: str) -> Logit:
    p = number(text, where)
    if not 0 < p <= 1:
        raise UsageError(f"{where}: probability {show(p)} is not in (0, 1] (θ = ln π needs π > 0)")
    if not isinstance(p, Fraction):
        return Logit(math.log(p))
    return Logit(Fraction(0), p)


def softmax(row: dict[str, Logit]) -> dict[str, Value]:
    """π(a|s) = e^{θ_a} / Σ_b e^{θ_b}; exact when every e^θ is rational."""
    exps = [x.exp_exact for x in row.values()]
    if all(e is not None for e in exps):
        total = sum(exps, Fraction(0))  # type: ignore[arg-type]
        return {a: e / total for a, e in zip(row, exps, strict=True)}  # type: ignore[operator]
    vals = [x.value for x in row.values()]
    top = max(vals)
    e = [math.exp(v - top) for v in vals]
    total_f = sum(e)
    return {a: x / total_f for a, x in zip(row, e, strict=True)}

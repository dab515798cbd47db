"""Numbers in MDP files: parameters, gamma, and any ``p``/``r`` value or expression."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from rlcli.errors import Problem, UsageError
from rlcli.mdp.read.expr import (
    KEYWORDS,
    Expr,
    ExprError,
    Num,
    UsesInvalidName,
    Value,
    from_value,
    parse,
    to_float,
)
from rlcli.mdp.read.report import Report, kind

PROB_TOLERANCE = 1e-9
LISTED_NAMES = 10  # parameter names listed in an "unknown name" message


class OverrideError(UsageError):
    """A bad parameter override; ``detail`` is ``NAME=VALUE: what is wrong`` (the CLI
    prefixes the flag that gave it)."""

    def __init__(self, detail: str, problems: list[Problem] | None = None):
        self.detail = detail
        super().__init__(f"parameter override {detail}", problems=problems)


class Numbers:
    """Evaluates numbers and expressions against the parameters.

    While the parameters are read, ``later`` holds the position of each parameter in the
    file and ``here`` the position of the one being read (a parameter refers only to
    earlier ones)."""

    def __init__(
        self,
        env: dict[str, Value],
        invalid: frozenset[str] = frozenset(),
        later: Mapping[str, int] | None = None,
        here: int = 0,
    ):
        self.env = env
        self.invalid = invalid
        self.later = later or {}
        self.here = here
        self._values: dict[str, float] = {}  # texts already evaluated (env never changes)

    def expr(self, raw: Any) -> Expr:
        expr = raw if isinstance(raw, Expr) else from_value(raw)
        unknown = expr.names() - self.env.keys()
        if unknown & self.invalid:
            raise UsesInvalidName(f"uses the invalid parameter {sorted(unknown)[0]!r}")
        ahead = sorted(n for n in unknown if self.later.get(n, -1) >= self.here)
        if ahead and self.later[ahead[0]] == self.here:
            raise ExprError(f"{ahead[0]!r} refers to itself")
        if ahead:
            raise ExprError(
                f"{ahead[0]!r} is defined later (parameters refer only to earlier ones)"
            )
        if unknown:
            names = list(self.env)
            known = ", ".join(names[:LISTED_NAMES]) or "none defined"
            if len(names) > LISTED_NAMES:
                known += f" and {len(names) - LISTED_NAMES} more"
            raise ExprError(f"unknown name {sorted(unknown)[0]!r} (parameters: {known})")
        return expr

    def value(self, raw: Any) -> float:
        """The float value of a file number; fast paths for plain numbers, constants and a
        text seen before (a file of fractions repeats "1/600" thousands of times)."""
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return to_float(raw)
        if type(raw) is Num:  # a constant (grids build them): no names to look up
            return to_float(raw.value)
        if type(raw) is str:
            known = self._values.get(raw)
            if known is None:
                known = self._values[raw] = to_float(self.expr(raw).evaluate(self.env))
            return known
        return to_float(self.expr(raw).evaluate(self.env))


def parameters(
    data: Mapping, report: Report, overrides: Mapping[str, str]
) -> tuple[dict[str, Expr], Numbers]:
    """Each parameter's expression, and the ``Numbers`` holding their exact values.

    A parameter may use earlier ones (``beta: 1 - alpha``), never later ones or itself (the
    file reads top to bottom, so no cycle can arise); an override replaces a
    parameter's expression in place, so later parameters see the new value. A parameter
    that is reported invalid is remembered, so its uses are not reported again.
    """
    raw = data.get("parameters")
    exprs: dict[str, Expr] = {}
    env: dict[str, Value] = {}
    invalid: set[str] = set()
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        report.add(
            data, "parameters", "parameters", f"expected a mapping name: value, got {kind(raw)}"
        )
        raw = {}
    report.duplicates(raw, "parameters")
    unknown = [n for n in overrides if n not in raw and n != "gamma"]
    if unknown:
        known = ", ".join(str(k) for k in raw) or "the file has none"
        raise OverrideError(f"{unknown[0]}: no such parameter (parameters: {known})")
    position = {name: i for i, name in enumerate(raw) if isinstance(name, str)}
    for i, (name, value) in enumerate(raw.items()):
        path = f"parameters.{name}"
        if isinstance(name, str) and name in KEYWORDS:
            report.add(raw, name, path, f"{name!r} is a reserved word; choose another name")
            invalid.add(name)
            continue
        if not isinstance(name, str) or not name.isidentifier():
            report.add(raw, name, path, "a parameter name must be a word (letters, digits, _)")
            continue
        numbers = Numbers(env, frozenset(invalid), position, i)
        try:
            if name in overrides:
                try:
                    expr = numbers.expr(parse(overrides[name]))
                    env[name] = expr.evaluate(env)
                    to_float(env[name])
                except ExprError as exc:
                    raise OverrideError(f"{name}={overrides[name]}: {exc}") from None
            else:
                expr = numbers.expr(value)
                env[name] = expr.evaluate(env)
                to_float(env[name])
            exprs[name] = expr
        except ExprError as exc:
            env.pop(name, None)
            invalid.add(name)
            report.expr_error(raw, name, path, exc)
    return exprs, Numbers(env, frozenset(invalid))


def gamma_field(
    data: Mapping, report: Report, numbers: Numbers, overrides: Mapping[str, str]
) -> tuple[Expr, float]:
    if "gamma" in overrides and "gamma" not in numbers.env:
        try:
            expr = numbers.expr(parse(overrides["gamma"]))
            value = to_float(expr.evaluate(numbers.env))
        except ExprError as exc:
            raise OverrideError(f"gamma={overrides['gamma']}: {exc}") from None
        if not 0 <= value <= 1:
            raise OverrideError(f"gamma={overrides['gamma']}: gamma must be in [0, 1]")
        return expr, value
    if "gamma" not in data:
        report.add(data, None, "gamma", "missing: the discount factor, a number in [0, 1]")
        return Num(Fraction(1)), 1.0
    raw = data["gamma"]
    try:
        expr = numbers.expr(raw)
        value = to_float(expr.evaluate(numbers.env))
    except ExprError as exc:
        report.expr_error(data, "gamma", "gamma", exc)
        return Num(Fraction(1)), 1.0
    if not 0 <= value <= 1:
        report.add(data, "gamma", "gamma", f"must be in [0, 1], got {shown(value)}")
    return expr, value


def number_field(
    numbers: Numbers, report: Report, container: Any, key: str, path: str, default: Any = None
) -> tuple[float, Any] | None:
    """(value, source) of ``container[key]``, or None after reporting a problem."""
    raw = container.get(key, default)
    try:
        return numbers.value(raw), raw
    except ExprError as exc:
        report.expr_error(container, key, path, exc)
        return None


def shown(x: float) -> str:
    """A float for messages: short, yet never rounded to look valid (1.0000000001)."""
    return f"{x:.15g}"


def check_probability(p: float, report: Report, container: Any, key: Any, path: str) -> None:
    if p < 0:
        report.add(container, key, path, f"probability {shown(p)} is negative")
    elif p > 1 + PROB_TOLERANCE:
        report.add(container, key, path, f"probability {shown(p)} is above 1")

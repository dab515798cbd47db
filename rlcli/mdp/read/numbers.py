"""Numbers in MDP files: parameters, gamma, and any ``p``/``r`` value or expression."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from rlcli.errors import UsageError
from rlcli.mdp.read.expr import KEYWORDS, Expr, ExprError, Num, Value, from_value, parse, to_float
from rlcli.mdp.read.report import Report, kind

PROB_TOLERANCE = 1e-9


class Numbers:
    """Evaluates numbers and expressions against the parameters."""

    def __init__(self, env: dict[str, Value]):
        self.env = env

    def expr(self, raw: Any) -> Expr:
        expr = raw if isinstance(raw, Expr) else from_value(raw)
        unknown = expr.names() - self.env.keys()
        if unknown:
            known = ", ".join(self.env) or "none defined"
            raise ExprError(f"unknown name {sorted(unknown)[0]!r} (parameters: {known})")
        return expr

    def value(self, raw: Any) -> float:
        """The float value of a file number; fast path for plain numbers."""
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return to_float(raw)
        return to_float(self.expr(raw).evaluate(self.env))


def parameters(
    data: Mapping, report: Report, overrides: Mapping[str, str]
) -> tuple[dict[str, Expr], dict[str, Value]]:
    """Each parameter's expression and exact value, in file order.

    A parameter may use earlier ones (``beta: 1 - alpha``); ``--set`` replaces a
    parameter's expression in place, so later parameters see the new value.
    """
    raw = data.get("parameters")
    exprs: dict[str, Expr] = {}
    env: dict[str, Value] = {}
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
        raise UsageError(f"--set {unknown[0]}: no such parameter (parameters: {known})")
    for name, value in raw.items():
        path = f"parameters.{name}"
        if isinstance(name, str) and name in KEYWORDS:
            report.add(raw, name, path, f"{name!r} is a reserved word; choose another name")
            continue
        if not isinstance(name, str) or not name.isidentifier():
            report.add(raw, name, path, "a parameter name must be a word (letters, digits, _)")
            continue
        try:
            if name in overrides:
                try:
                    expr = Numbers(env).expr(parse(overrides[name]))
                    env[name] = expr.evaluate(env)
                    to_float(env[name])
                except ExprError as exc:
                    raise UsageError(f"--set {name}={overrides[name]}: {exc}") from None
            else:
                expr = Numbers(env).expr(value)
                env[name] = expr.evaluate(env)
                to_float(env[name])
            exprs[name] = expr
        except ExprError as exc:
            env.pop(name, None)
            report.add(raw, name, path, str(exc))
    return exprs, env


def gamma_field(
    data: Mapping, report: Report, numbers: Numbers, overrides: Mapping[str, str]
) -> tuple[Expr, float]:
    if "gamma" in overrides and "gamma" not in numbers.env:
        try:
            expr = numbers.expr(parse(overrides["gamma"]))
            value = to_float(expr.evaluate(numbers.env))
        except ExprError as exc:
            raise UsageError(f"--set gamma={overrides['gamma']}: {exc}") from None
        if not 0 <= value <= 1:
            raise UsageError(f"--set gamma={overrides['gamma']}: gamma must be in [0, 1]")
        return expr, value
    if "gamma" not in data:
        report.add(data, None, "gamma", "missing: the discount factor, a number in [0, 1]")
        return Num(Fraction(1)), 1.0
    raw = data["gamma"]
    try:
        expr = numbers.expr(raw)
        value = to_float(expr.evaluate(numbers.env))
    except ExprError as exc:
        report.add(data, "gamma", "gamma", str(exc))
        return Num(Fraction(1)), 1.0
    if not 0 <= value <= 1:
        report.add(data, "gamma", "gamma", f"must be in [0, 1], got {value:g}")
    return expr, value


def number_field(
    numbers: Numbers, report: Report, container: Any, key: str, path: str, default: Any = None
) -> tuple[float, Any] | None:
    """(value, source) of ``container[key]``, or None after reporting a problem."""
    raw = container.get(key, default)
    try:
        return numbers.value(raw), raw
    except ExprError as exc:
        report.add(container, key, path, str(exc))
        return None


def check_probability(p: float, report: Report, container: Any, key: Any, path: str) -> None:
    if p < 0:
        report.add(container, key, path, f"probability {p:g} is negative")
    elif p > 1 + PROB_TOLERANCE:
        report.add(container, key, path, f"probability {p:g} is above 1")

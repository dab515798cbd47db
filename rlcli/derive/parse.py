"""A whitelist parser for user expressions in derivations (``f``, ``density``, ``p``).

Allowed: numbers (kept exact: ``0.5`` is 1/2), the names the caller declares, the constants
``pi`` and ``e``, ``+ - * / **`` (``^`` reads as ``**``), unary minus, parentheses, and calls
of exactly these functions: exp, log, sqrt, sin, cos, tan, tanh, abs. Nothing else. The
text is never handed to ``eval`` or ``sympify``; sympy Symbols are built from the declared
names, so ``gamma`` or ``beta`` stay plain symbols, never sympy's special functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy as sp

from rlcli.errors import FieldError

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_EXPONENT = 64  # largest integer power accepted (keeps expand() fast)
MAX_DEGREE = 12  # largest total polynomial degree, e.g. of (x+1)**6*(x-1)**6
MAX_DIGITS = 300  # numbers (literals and exact results) beyond 10^±300 are refused
MAX_MAGNITUDE = Fraction(10) ** MAX_DIGITS
OUTSIDE = f"outside the float range (10^±{MAX_DIGITS})"

FUNCTIONS = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "tanh": sp.tanh,
    "abs": sp.Abs,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/^(),])|(?P<other>\S))"
)


def parse_expr(text: str, names: Mapping[str, Any], what: str = "expression") -> Any:
    """Parse ``text`` into a sympy expression over the Symbols in ``names``.

    Raises :class:`FieldError` naming the field ``what`` (e.g. ``f``) and the reason.
    """
    try:
        expr = _Parser(text, names).parse()
    except _ParseError as exc:
        raise FieldError(what, str(exc), repr(text)) from None
    _real_and_finite(expr, text, what)
    degree = _degree(expr)
    if degree > MAX_DEGREE:
        raise FieldError(
            what,
            f"degree about {degree}, above {MAX_DEGREE} (expanding it would take too long)",
            repr(text),
        )
    return expr


def _real_and_finite(expr: Any, text: str, what: str) -> None:
    """Refuse ``log(0)`` (zoo), ``nan``, ``sqrt(-1)*x`` (complex): f must be real and finite."""
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        why = "it is infinite or undefined, e.g. log(0)"
    elif expr.has(sp.I) or expr.is_real is False:
        why = f"it is complex: {expr}"
    else:
        return
    raise FieldError(what, f"must be a real, finite expression ({why})", repr(text))


def _degree(expr: Any) -> int:
    """An upper bound on the polynomial degree of ``expr`` without expanding it."""
    if expr.is_Symbol:
        return 1
    if expr.is_Pow:
        base, exponent = expr.args
        return _degree(base) * (abs(int(exponent)) if exponent.is_Integer else 1)
    if expr.is_Mul:
        return sum(_degree(a) for a in expr.args)
    if expr.args:
        return max(_degree(a) for a in expr.args)
    return 0


def parse_call(text: str, what: str) -> tuple[str, list[Any]]:
    """Parse ``name(arg, arg, ...)`` with numeric arguments, e.g. ``normal(0, 1)``."""
    m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z_0-9]*)\s*\((.*)\)\s*", text)
    if not m:
        raise FieldError(what, "expected NAME(ARG, ...), e.g. normal(0,1)", repr(text))
    args = m.group(2).split(",") if m.group(2).strip() else []
    values = [parse_expr(a, {}, what) for a in args]
    for v in values:
        if not v.is_number or not v.is_real:
            raise FieldError(what, "arguments must be real numbers", repr(text))
    return m.group(1).lower(), values


class _ParseError(ValueError):
    pass


_NUMBER = re.compile(r"(?P<int>\d*)\.?(?P<frac>\d*)(?:[eE](?P<exp>[+-]?\d+))?")


def _number(tok: str) -> Fraction:
    """An exact literal, refused before it is built if it lies beyond 10^±300.

    ``1e999999999`` would otherwise be a billion-digit integer: the exponent is read first.
    """
    m = _NUMBER.fullmatch(tok)
    assert m is not None  # the tokenizer only passes numbers
    digits = (m.group("int") + m.group("frac")).lstrip("0")
    exp = m.group("exp") or "0"
    if len(exp.lstrip("+-").lstrip("0")) > 4:  # |exponent| ≥ 10^4: far outside either way
        if not digits:
            return Fraction(0)
        raise _ParseError(f"the number {tok[:20]} is {OUTSIDE}")
    if digits:
        whole, frac = m.group("int").lstrip("0"), m.group("frac")
        leading = len(whole) - 1 if whole else -(len(frac) - len(frac.lstrip("0")) + 1)
        magnitude = int(exp) + leading  # the leading digit's power of ten
        if not -MAX_DIGITS <= magnitude <= MAX_DIGITS or len(digits) > 2 * MAX_DIGITS:
            raise _ParseError(f"the number {tok[:20]} is {OUTSIDE}")
    return Fraction(tok)


def _digits(value: Any) -> float:
    """log10 |value| of a nonzero sympy Rational, from bit lengths (no big arithmetic)."""
    p, q = abs(int(value.p)), int(value.q)
    return (p.bit_length() - q.bit_length()) * 0.30103


def _bounded(node: Any) -> Any:
    """``node``, unless it is an exact number beyond 10^±300."""
    if node.is_Rational and node != 0 and abs(_digits(node)) > MAX_DIGITS + 1:
        raise _ParseError(f"a value of about 10^{_digits(node):.0f} is {OUTSIDE}")
    return node


class _Parser:
    def __init__(self, text: str, names: Mapping[str, Any]):
        if len(text) > MAX_LENGTH:
            raise _ParseError(f"longer than {MAX_LENGTH} characters")
        self.names = names
        self.tokens = self._tokenize(text)
        self.i = 0
        self.depth = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens, pos, text = [], 0, text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                break
            pos = m.end()
            kind = m.lastgroup or ""
            tok = m.group(kind)
            if kind == "other":
                raise _ParseError(f"character {tok!r} is not allowed (only + - * / ** and calls)")
            tokens.append((kind, "**" if tok == "^" else tok))
        if not tokens:
            raise _ParseError("empty expression")
        return tokens

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise _ParseError("ends too early")
        self.i += 1
        return self.tokens[self.i - 1]

    def parse(self) -> Any:
        node = self.expr()
        if self.peek() is not None:
            raise _ParseError(f"unexpected {self.peek()!r}")
        return node

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _ParseError(f"nested more than {MAX_DEPTH} deep")

    def expr(self) -> Any:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            rhs = self.term()
            node = _bounded(node + rhs if op == "+" else node - rhs)
        return node

    def term(self) -> Any:
        node = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            rhs = self.unary()
            if op == "/" and rhs == 0:
                raise _ParseError("division by zero")
            node = _bounded(node * rhs if op == "*" else node / rhs)
        return node

    def unary(self) -> Any:
        if self.peek() in ("-", "+"):
            op = self.take()[1]
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return -operand if op == "-" else operand
        return self.power()

    def power(self) -> Any:
        base = self.atom()
        if self.peek() == "**":
            self.take()
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            if exponent.is_number and (not exponent.is_real or abs(exponent) > MAX_EXPONENT):
                raise _ParseError(
                    f"exponent {exponent} is outside [-{MAX_EXPONENT}, {MAX_EXPONENT}]"
                )
            if base.is_Rational and exponent.is_Integer and base != 0:
                digits = _digits(base) * int(exponent)
                if abs(digits) > MAX_DIGITS:  # decided before building a 10^digits integer
                    raise _ParseError(f"a power of about 10^{digits:.0f} is {OUTSIDE}")
            return base**exponent
        return base

    def atom(self) -> Any:
        kind, tok = self.take()
        if kind == "num":
            return sp.Rational(_number(tok))
        if kind == "name":
            if self.peek() == "(":
                if tok not in FUNCTIONS:
                    allowed = ", ".join(FUNCTIONS)
                    raise _ParseError(f"function {tok!r} is not allowed (allowed: {allowed})")
                self.take()
                self.nest()
                arg = self.expr()
                self.depth -= 1
                if self.peek() != ")":
                    raise _ParseError(f"{tok}() takes one argument; missing ')'")
                self.take()
                return FUNCTIONS[tok](arg)
            if tok in self.names:
                return self.names[tok]
            if tok in CONSTANTS:
                return CONSTANTS[tok]
            known = ", ".join([*self.names, *CONSTANTS]) or "none"
            raise _ParseError(f"unknown name {tok!r} (allowed names: {known})")
        if tok == "(":
            self.nest()
            node = self.expr()
            self.depth -= 1
            if self.peek() != ")":
                raise _ParseError("missing closing parenthesis")
            self.take()
            return node
        raise _ParseError(f"unexpected {tok!r}")

"""A whitelist parser for the arithmetic in MDP files (``p``, ``r``, ``gamma``, parameters).

Allowed: numbers (``3``, ``0.9``, ``1e-3``), parameter names, ``+ - * / **`` (``^`` is
read as ``**``), unary minus and parentheses. Nothing else: no calls, attributes,
subscripts, strings or keywords. The text is never handed to ``eval`` or ``sympify``,
so a shared exercise file cannot run code. Numbers are kept as exact ``Fraction``\\s
(``0.9`` is 9/10), so exact mode sees exactly what the file says.
"""

from __future__ import annotations

import functools
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rlcli.mdp.read.source import kind

Value = Fraction | float

MAX_LENGTH = 2000  # characters in one expression
MAX_DEPTH = 60  # nesting of parentheses / unary operators
MAX_TREE_DEPTH = 200  # operators on the longest path of the expression tree (1+1+...+1)
MAX_BITS = 4096  # bits of an exact number's numerator, and of its denominator
TOO_LARGE_HINT = "fractions this large are not exam numbers: round to a decimal"


class ExprError(ValueError):
    """An expression that is malformed, refers to an unknown name, or cannot be evaluated."""


class UsesInvalidName(ExprError):
    """An expression uses a name whose definition was already reported invalid."""


class Expr(ABC):
    """Base class of expression nodes."""

    @abstractmethod
    def evaluate(self, env: Mapping[str, Value]) -> Value: ...

    @abstractmethod
    def to_sympy(self, symbols: Mapping[str, Any]) -> Any: ...

    @abstractmethod
    def names(self) -> set[str]: ...

    def precedence(self) -> int:
        return 9


@dataclass(frozen=True)
class Num(Expr):
    value: Fraction

    def evaluate(self, env: Mapping[str, Value]) -> Value:
        return self.value

    def to_sympy(self, symbols: Mapping[str, Any]) -> Any:
        import sympy as sp

        return sp.Rational(self.value.numerator, self.value.denominator)

    def names(self) -> set[str]:
        return set()

    def precedence(self) -> int:
        return 9 if self.value.denominator == 1 and self.value >= 0 else 5

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Name(Expr):
    id: str

    def evaluate(self, env: Mapping[str, Value]) -> Value:
        try:
            return env[self.id]
        except KeyError:
            known = ", ".join(sorted(env)) or "none defined"
            raise ExprError(f"unknown name {self.id!r} (parameters: {known})") from None

    def to_sympy(self, symbols: Mapping[str, Any]) -> Any:
        return symbols[self.id]

    def names(self) -> set[str]:
        return {self.id}

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr

    def evaluate(self, env: Mapping[str, Value]) -> Value:
        return -self.operand.evaluate(env)

    def to_sympy(self, symbols: Mapping[str, Any]) -> Any:
        return -self.operand.to_sympy(symbols)

    def names(self) -> set[str]:
        return self.operand.names()

    def precedence(self) -> int:
        return 6

    def __str__(self) -> str:
        inner = str(self.operand)
        return f"-({inner})" if self.operand.precedence() < 7 else f"-{inner}"


_PRECEDENCE = {"+": 4, "-": 4, "*": 5, "/": 5, "**": 7}


@dataclass(frozen=True)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr

    def evaluate(self, env: Mapping[str, Value]) -> Value:
        a, b = self.left.evaluate(env), self.right.evaluate(env)
        return _apply(self.op, a, b)

    def to_sympy(self, symbols: Mapping[str, Any]) -> Any:
        a, b = self.left.to_sympy(symbols), self.right.to_sympy(symbols)
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        if self.op == "/":
            return a / b
        return a**b

    def names(self) -> set[str]:
        return self.left.names() | self.right.names()

    def precedence(self) -> int:
        return _PRECEDENCE[self.op]

    def __str__(self) -> str:
        p = self.precedence()
        left, right = str(self.left), str(self.right)
        if self.op == "**":  # right-associative
            if self.left.precedence() <= p:
                left = f"({left})"
            if self.right.precedence() < p:
                right = f"({right})"
            return f"{left}**{right}"
        if self.left.precedence() < p:
            left = f"({left})"
        if self.right.precedence() <= p:
            right = f"({right})"
        if self.op in ("*", "/"):
            return f"{left}{self.op}{right}"
        return f"{left} {self.op} {right}"


def _apply(op: str, a: Value, b: Value) -> Value:
    try:
        return bounded(_arithmetic(op, a, b))
    except OverflowError:
        raise ExprError("number too large") from None


def bounded(value: Value) -> Value:
    """``value``, refusing an exact number whose numerator or denominator exceeds
    ``MAX_BITS`` bits: every operation on bounded operands stays fast."""
    if isinstance(value, Fraction):
        bits = max(value.numerator.bit_length(), value.denominator.bit_length())
        if bits > MAX_BITS:
            raise ExprError(
                f"exact number too large: {bits} bits (limit {MAX_BITS}); {TOO_LARGE_HINT}"
            )
    return value


def to_float(value: Value) -> float:
    """A value as a float, refusing values beyond the float range."""
    try:
        result = float(value)
    except OverflowError:
        if isinstance(value, Fraction):
            digits = int(math.log10(abs(value.numerator))) - int(math.log10(value.denominator))
        else:
            digits = int(math.log10(abs(value)))
        raise ExprError(
            f"number too large: about 10**{digits}, beyond the float range (10**308)"
        ) from None
    if not math.isfinite(result):
        raise ExprError(f"{result} is not a finite number")
    return result


def _arithmetic(op: str, a: Value, b: Value) -> Value:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            raise ExprError("division by zero")
        return a / b
    return _power(a, b)


def _power(a: Value, b: Value) -> Value:
    """a ** b, exact where possible, refusing absurd sizes (``9**9**9``)."""
    if isinstance(a, Fraction) and isinstance(b, Fraction) and b.denominator == 1:
        e = b.numerator
        if a == 0 and e < 0:
            raise ExprError("division by zero (0 to a negative power)")
        if a in (0, 1) or e == 0:
            return a**e
        if a == -1:
            return Fraction(1 if e % 2 == 0 else -1)
        # a b-bit number to the e-th power has at least (b - 1) * e + 1 bits (at most b * e)
        widest = max(abs(a.numerator).bit_length(), a.denominator.bit_length())
        bits = (widest - 1) * abs(e) + 1
        if bits > MAX_BITS:
            raise ExprError(f"number too large: {a}**{e} has about {bits} bits")
        return a**e
    fa, fb = to_float(a), to_float(b)
    if fa < 0:
        raise ExprError(f"{_power_text(a, b)} is not a real number")
    if fa == 0 and fb < 0:
        raise ExprError("division by zero (0 to a negative power)")
    try:
        result = math.pow(fa, fb)
    except OverflowError:
        raise ExprError(f"number too large: {_power_text(a, b)}") from None
    if not math.isfinite(result):
        raise ExprError(f"number too large: {_power_text(a, b)}")
    return result


_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?")


def _power_text(a: Value, b: Value) -> str:
    """``a**b`` for messages, a negative or fractional value in parentheses: (-8)**(1/3)."""

    def operand(x: Value) -> str:
        text = str(x)
        return text if _PLAIN_NUMBER.fullmatch(text) else f"({text})"

    return f"{operand(a)}**{operand(b)}"


# ---- tokenizer and parser ---------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/^()])"
    r"|(?P<other>\S)"
    r")"
)
KEYWORDS = {"lambda", "for", "if", "else", "import", "in", "not", "and", "or", "is", "def"}
_FORBIDDEN = {
    '"': "strings are not allowed",
    "'": "strings are not allowed",
    "[": "lists, subscripts and comprehensions are not allowed",
    "]": "lists, subscripts and comprehensions are not allowed",
    "{": "sets and dicts are not allowed",
    "}": "sets and dicts are not allowed",
    ".": "attribute access is not allowed",
    ",": "commas (tuples, argument lists) are not allowed",
    "=": "assignment and comparison are not allowed",
    "<": "comparisons are not allowed",
    ">": "comparisons are not allowed",
    "%": "only + - * / ** are allowed",
    "@": "only + - * / ** are allowed",
    ":": "only + - * / ** are allowed",
}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing whitespace can fail to match
            break
        pos = m.end()
        kind = m.lastgroup
        tok = m.group(kind)  # type: ignore[arg-type]
        if kind == "other":
            raise ExprError(_FORBIDDEN.get(tok, f"unexpected character {tok!r}"))
        if kind == "name" and tok in KEYWORDS:
            raise ExprError(f"keyword {tok!r} is not allowed")
        if kind == "op" and tok == "^":
            tok = "**"
        tokens.append((kind, tok))  # type: ignore[arg-type]
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ExprError("expression ends too early")
        self.i += 1
        return tok

    def nested(self, parse: Callable[[], Expr]) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested more than {MAX_DEPTH} deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    # expr := term (('+' | '-') term)*
    def expr(self) -> Expr:
        node = self.term()
        while (tok := self.peek()) is not None and tok[1] in ("+", "-"):
            self.take()
            node = BinOp(tok[1], node, self.term())
        return node

    # term := unary (('*' | '/') unary)*
    def term(self) -> Expr:
        node = self.unary()
        while (tok := self.peek()) is not None and tok[1] in ("*", "/"):
            self.take()
            node = BinOp(tok[1], node, self.unary())
        return node

    # unary := ('-' | '+') unary | power
    def unary(self) -> Expr:
        tok = self.peek()
        if tok is not None and tok[1] in ("-", "+"):
            self.take()
            operand = self.nested(self.unary)
            return Neg(operand) if tok[1] == "-" else operand
        return self.power()

    # power := atom ('**' unary)?
    def power(self) -> Expr:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok[1] == "**":
            self.take()
            return BinOp("**", base, self.nested(self.unary))
        return base

    # atom := NUMBER | NAME | '(' expr ')'
    def atom(self) -> Expr:
        kind, tok = self.take()
        if kind == "num":
            return Num(literal(tok))
        if kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                raise ExprError(f"function calls are not allowed ({tok}(...))")
            return Name(tok)
        if tok == "(":
            node = self.nested(self.expr)
            if self.peek() != ("op", ")"):
                raise ExprError("missing closing parenthesis")
            self.take()
            return node
        raise ExprError(f"unexpected {tok!r}")


def literal(text: str) -> Fraction:
    """The exact value of a number token (``12``, ``0.9``, ``1e-3``), its size bounded
    before it is built: ``Fraction("1e999999999")`` would compute 10**999999999."""
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, decimals = mantissa.partition(".")
    digits = (whole + decimals).lstrip("0")
    if not digits:
        return Fraction(0)
    if len(exponent.lstrip("+-").lstrip("0")) > 6:
        raise ExprError(f"number too large: the exponent of {_short(text)} has more than 6 digits")
    shift = int(exponent or "0") - len(decimals)
    bits = math.ceil((len(digits) + abs(shift)) * math.log2(10))
    if bits > MAX_BITS:
        raise ExprError(
            f"exact number too large: {_short(text)} needs about {bits} bits "
            f"(limit {MAX_BITS}); {TOO_LARGE_HINT}"
        )
    return Fraction(int(whole + decimals) * 10 ** max(shift, 0), 10 ** max(-shift, 0))


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:17] + "..."


def tree_depth(node: Expr) -> int:
    """Operators on the longest path from ``node`` to a leaf (iterative: no recursion)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, BinOp):
            stack += [(item.left, depth + 1), (item.right, depth + 1)]
        elif isinstance(item, Neg):
            stack.append((item.operand, depth + 1))
    return deepest - 1


# "p/q" and "-p/q" with at most 300 digits each (far inside MAX_BITS), as files of
# machine-written fractions hold them by the million
_FRACTION = re.compile(r"\s*(-?)\s*([0-9]{1,300})\s*/\s*([0-9]{1,300})\s*")


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """Parse an arithmetic expression; raise ``ExprError`` with a reason if not allowed.

    A plain fraction ``p/q`` (or ``-p/q``) takes a fast path to the tree the parser would
    build; the trees of recent texts are reused (they are immutable): a file repeats its
    few numbers many times.
    """
    fraction = _FRACTION.fullmatch(text)
    if fraction is not None:
        sign, p, q = fraction.groups()
        num: Expr = Num(Fraction(int(p)))
        return BinOp("/", Neg(num) if sign else num, Num(Fraction(int(q))))
    return _parse(text)


def _parse(text: str) -> Expr:
    """The whitelist parser behind ``parse``."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    tokens = _tokenize(text)
    if not tokens:
        raise ExprError("empty expression")
    parser = _Parser(tokens)
    node = parser.expr()
    if parser.peek() is not None:
        kind, tok = parser.peek()  # type: ignore[misc]
        if kind in ("num", "name") or tok == "(":
            raise ExprError(f"missing operator before {tok!r}")
        raise ExprError(f"unexpected {tok!r}")
    if tree_depth(node) > MAX_TREE_DEPTH:
        raise ExprError(
            f"expression more than {MAX_TREE_DEPTH} operators deep; split it into parameters"
        )
    return node


def from_value(value: Any) -> Expr:
    """An expression from a YAML/JSON scalar: a number or a string to parse."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        raise ExprError(f"expected a number or an expression, got {kind(value)}")
    if isinstance(value, int):
        if value.bit_length() > MAX_BITS:
            raise ExprError(f"number too large ({value.bit_length()} bits)")
        return Num(Fraction(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExprError(f"{value} is not a finite number")
        return Num(Fraction(repr(value)))
    if isinstance(value, str):
        return parse(value)
    raise ExprError(f"expected a number or an expression, got {kind(value)}")

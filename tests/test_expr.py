"""The whitelist expression parser: grammar, exact values, printing, refusals, sympy."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from rlcli.mdp.read.expr import ExprError, from_value, parse


def ev(text: str, **env):
    return parse(text).evaluate(env)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2**3**2", 512),  # right-associative
        ("2^3^2", 512),  # ^ is **
        ("-2**2", -4),  # ** binds tighter than unary minus
        ("(-2)**2", 4),
        ("2**-1", Fraction(1, 2)),
        ("1-2-3", -4),  # left-associative
        ("8/4/2", 1),
        ("2*3+4*5", 26),
        ("2*(3+4)*5", 70),
        ("--3", 3),
        ("+3", 3),
        ("-(-(1))", 1),
        ("1 - -1", 2),
        ("3 * -2", -6),
        ("2**3*2", 16),
        ("1/2/2", Fraction(1, 4)),
        ("  7  ", 7),
        ("1e-3", Fraction(1, 1000)),
        ("2.5E2", 250),
        (".5", Fraction(1, 2)),
        ("5.", 5),
    ],
)
def test_precedence_and_associativity(text: str, value) -> None:
    result = ev(text)
    assert result == value
    assert isinstance(result, Fraction)


def test_decimals_are_exact_fractions() -> None:
    assert ev("0.1+0.2") == Fraction(3, 10)
    assert ev("0.9") == Fraction(9, 10)
    assert ev("1/3 + 1/3 + 1/3") == 1


def test_names_and_environment() -> None:
    assert ev("1 - alpha", alpha=Fraction(4, 5)) == Fraction(1, 5)
    assert ev("r_search*2 + x1", r_search=Fraction(2), x1=Fraction(1)) == 5
    assert parse("a*b + a").names() == {"a", "b"}
    with pytest.raises(ExprError, match="unknown name 'c'"):
        ev("a + c", a=Fraction(1))


def test_irrational_power_falls_back_to_float() -> None:
    value = ev("2**0.5")
    assert isinstance(value, float) and value == pytest.approx(2**0.5)
    assert ev("4**(1/2)") == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty expression"),
        ("   ", "empty expression"),
        ("abs(1)", "function calls are not allowed"),
        ("x.y", "attribute access is not allowed"),
        ("(1).real", "attribute access is not allowed"),
        ("x[0]", "subscripts"),
        ("[1, 2]", "lists"),
        ("[x for x in y]", "comprehensions"),
        ("{1: 2}", "dicts are not allowed"),
        ("lambda: 1", "keyword 'lambda' is not allowed"),
        ("1 if x else 2", "keyword 'if' is not allowed"),
        ("not x", "keyword 'not' is not allowed"),
        ("'a'", "strings are not allowed"),
        ('"a"', "strings are not allowed"),
        ("1, 2", "commas"),
        ("x = 1", "assignment"),
        ("1 < 2", "comparisons are not allowed"),
        ("7 % 2", "only + - * / ** are allowed"),
        ("a @ b", "only + - * / ** are allowed"),
        ("1 // 2", "unexpected"),
        ("1/0", "division by zero"),
        ("1/(2-2)", "division by zero"),
        ("0**-1", "division by zero"),
        ("9**9**9", "number too large"),
        ("10**10**10", "number too large"),
        ("(-8)**(1/3)", "(-8)**(1/3) is not a real number"),  # parenthesised, not -8**1/3
        ("(1", "missing closing parenthesis"),
        ("1)", "unexpected ')'"),
        ("1 +", "ends too early"),
        ("2 3", "missing operator before '3'"),
        ("2 x", "missing operator before 'x'"),
        ("x $ y", "unexpected character '$'"),
        ("(" * 100 + "1" + ")" * 100, "nested more than"),
        ("-" * 100 + "1", "nested more than"),
        ("1+" * 1500 + "1", "longer than"),
    ],
)
def test_forbidden_constructs_rejected_with_reason(text: str, reason: str) -> None:
    with pytest.raises(ExprError) as info:
        parse(text).evaluate({"x": Fraction(1), "y": Fraction(2), "a": 1, "b": 2})
    assert reason in str(info.value)


def test_from_value() -> None:
    assert from_value(3).evaluate({}) == 3
    assert from_value(0.1).evaluate({}) == Fraction(1, 10)  # the decimal the file wrote
    assert from_value("1/3").evaluate({}) == Fraction(1, 3)
    for bad, reason in [
        (True, "got true"),
        (None, "got nothing"),
        ([1], "got a list"),
        ({"a": 1}, "got a mapping"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
    ]:
        with pytest.raises(ExprError, match=reason):
            from_value(bad)


ROUND_TRIP = [
    "2**3**2",
    "(2**3)**2",
    "-2**2",
    "(-2)**2",
    "1-2-3",
    "1-(2-3)",
    "8/4/2",
    "8/(4/2)",
    "a*(b+c)",
    "-(a+b)*c",
    "a/b/c",
    "a/(b*c)",
    "a-(-b)",
    "-a**-b",
    "(a-b)**(c-a)",
    "1/2*a",
    "a**(1/2)",
    "(1/2)**a",
    "(-1/2)**b",
    "-(1/3)",
    "0.25*a - 3/4",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_str_round_trips(text: str) -> None:
    env = {"a": Fraction(3), "b": Fraction(2), "c": Fraction(5, 7)}
    expr = parse(text)
    again = parse(str(expr))
    assert again.evaluate(env) == expr.evaluate(env)
    assert str(again) == str(expr)


def _random_expr(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["a", "b", "c", "2", "3", "1/2", "0.5", "7"])
    op = rng.choice(["+", "-", "*", "/", "**", "neg"])
    if op == "neg":
        return f"-({_random_expr(rng, depth - 1)})"
    if op == "**":
        return f"({_random_expr(rng, depth - 1)})**{rng.choice(['2', '3', '-1', '(-2)'])}"
    return f"({_random_expr(rng, depth - 1)}){op}({_random_expr(rng, depth - 1)})"


def test_str_round_trips_random_expressions() -> None:
    rng = random.Random(7)
    env = {"a": Fraction(3), "b": Fraction(-2), "c": Fraction(5, 7)}
    checked = 0
    for _ in range(400):
        text = _random_expr(rng, 4)
        try:
            value = parse(text).evaluate(env)
        except ExprError:
            continue
        printed = str(parse(text))
        assert parse(printed).evaluate(env) == value, (text, printed)
        checked += 1
    assert checked > 200


@pytest.mark.parametrize(
    "text", ["1 - alpha", "alpha**2 / (1 - beta)", "-alpha**2", "2**3**2 - beta", "3/4*beta - 0.1"]
)
def test_sympy_conversion_equals_numeric_evaluation(text: str) -> None:
    import sympy as sp

    env = {"alpha": Fraction(4, 5), "beta": Fraction(3, 5)}
    symbols = {n: sp.Symbol(n) for n in env}
    sym = parse(text).to_sympy(symbols)
    substituted = sym.subs(
        {symbols[n]: sp.Rational(v.numerator, v.denominator) for n, v in env.items()}
    )
    value = parse(text).evaluate(env)
    assert sp.Rational(value.numerator, value.denominator) == sp.nsimplify(substituted)
    assert sp.simplify(substituted - sp.Rational(value.numerator, value.denominator)) == 0


def test_sympy_keeps_decimals_exact() -> None:
    import sympy as sp

    assert parse("0.1 + 0.2").to_sympy({}) == sp.Rational(3, 10)


@pytest.mark.parametrize(
    "text", ["1/600", "-1/3", " 2 / 3 ", "01/600", "- 7/9", "0/5", "-0/5", "1/0", "9" * 300 + "/7"]
)
def test_fraction_fast_path_builds_the_parsers_tree(text: str) -> None:
    from rlcli.mdp.read.expr import _parse

    assert parse(text) == _parse(text)  # the same tree, so the same value, text and errors


def test_texts_outside_the_fraction_fast_path_still_parse() -> None:
    from rlcli.mdp.read.expr import _parse

    for text in ["1/2/3", "1/-2", "0.5/2", "9" * 301 + "/7", "(1)/2", "1/2 + 1"]:
        assert parse(text) == _parse(text)
    assert parse("1/2/3").evaluate({}) == Fraction(1, 6)  # (1/2)/3, left to right

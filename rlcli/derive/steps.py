"""Derivations as lists of steps, and the verifier that checks every "=" with sympy.

A :class:`Derivation` is one or more chains of :class:`Step`\\s. Each step holds a sympy
expression and a one-line reason; the "=" between a step and the one before it is checked
by the step's ``check`` (by default :func:`sympy_equal`). ``verified`` is ``None`` only for
the first step of a chain (nothing to compare with), else ``True``/``False`` as sympy found.

Symbolic objects used by the derivations live here too: :class:`Expect` (an expectation,
printed ``E_{x∼p}[g]``, that unfolds to an integral or a sum) and :func:`param_function`
(an undefined function ``p(x, θ)`` printed ``p_θ(x)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from rlcli.derive.timelimit import attempt

SIMPLIFY_SECONDS = 2.0  # limit on one simplify() inside a check

Checker = Callable[[Any, Any], bool]


@dataclass
class Step:
    """One line of a derivation: ``expr`` and why it equals the line before."""

    expr: Any
    reason: str
    start: bool = False  # first line of a new chain: compared with nothing
    check: Checker | None = None  # how "=" with the previous line is verified
    method: str = "sympy"  # named in the output: "sympy", "enumeration", ...
    verified: bool | None = None


@dataclass
class Check:
    """A side check: a number or statement computed two independent ways."""

    name: str
    ok: bool | None  # None: shown for information, no pass/fail (e.g. an infinite variance)
    detail: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Derivation:
    """A named identity, the steps that prove it and the checks beside them."""

    name: str
    identity_latex: str
    identity_text: str
    steps: list[Step]
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    @property
    def all_verified(self) -> bool:
        return all(s.verified is not False for s in self.steps) and all(
            c.ok is not False for c in self.checks
        )


@dataclass
class Table:
    """A small table of sympy expressions (e.g. the six PPO-clip regions)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]  # cells: sympy expressions or plain strings


def verify(derivation: Derivation) -> Derivation:
    """Check every "=" of every chain; set each step's ``verified``. Returns the derivation."""
    previous = None
    for step in derivation.steps:
        if step.start or previous is None:
            step.verified = None
        else:
            checker = step.check or sympy_equal
            try:
                step.verified = bool(checker(previous.expr, step.expr))
            except GaveUp:  # neither proved nor refuted: shown as such, not counted as ✗
                step.verified = None
                step.reason += " (not checked: sympy gave up within the time limit)"
                step.method = "gave up"
            except CouldNotCheck as why:  # the numeric cross-check itself broke down
                step.verified = None
                step.reason += f" (could not check: {why})"
                step.method = "could not check"
        previous = step
    return derivation


# ---- symbolic building blocks --------------------------------------------------------


class Expect(sp.Expr):
    """E_{x∼p}[g] = ∫ p(x) g(x) dx (or Σ_x p(x) g(x) when ``discrete``).

    args: (g, x, density, lo, hi, discrete, label_latex, label_text); the labels are
    Symbols that only carry the printed name of the distribution.
    """

    is_commutative = True

    def __new__(cls, g, x, density, lo, hi, discrete, label_latex, label_text):
        args = (
            sp.sympify(g),
            x,
            sp.sympify(density),
            sp.sympify(lo),
            sp.sympify(hi),
            sp.true if discrete in (True, sp.true) else sp.false,
            *(n if isinstance(n, sp.Symbol) else sp.Symbol(n) for n in (label_latex, label_text)),
        )
        return sp.Expr.__new__(cls, *args)

    @property
    def integrand(self) -> Any:
        return self.args[0]

    @property
    def var(self) -> Any:
        return self.args[1]

    def unfold(self) -> Any:
        """The integral (or sum) this expectation stands for."""
        g, x, density, lo, hi, discrete = self.args[:6]
        body = density * g
        return sp.Sum(body, (x, lo, hi)) if discrete == sp.true else sp.Integral(body, (x, lo, hi))

    def with_integrand(self, g: Any) -> Expect:
        return Expect(g, *self.args[1:5], self.args[5] == sp.true, *(a.name for a in self.args[6:]))

    def _eval_derivative(self, s: Any) -> Any:
        return sp.diff(self.unfold(), s)

    def _latex(self, printer: Any) -> str:
        x, label = printer._print(self.var), self.args[6].name
        return rf"\mathbb{{E}}_{{{x} \sim {label}}}\left[{printer._print(self.integrand)}\right]"

    def _sympystr(self, printer: Any) -> str:
        x, g = printer._print(self.var), printer._print(self.integrand)
        return f"E_{{{x}~{self.args[7].name}}}[{g}]"


class ParamFunction(sp.Function):
    """An undefined function whose last argument is a parameter: ``p(x, θ)`` prints ``p_θ(x)``."""

    latex_name = "p"
    text_name = "p"

    def _latex(self, printer: Any) -> str:
        *inputs, param = self.args
        inner = ", ".join(printer._print(a) for a in inputs)
        return rf"{self.latex_name}_{{{printer._print(param)}}}\left({inner}\right)"

    def _sympystr(self, printer: Any) -> str:
        *inputs, param = self.args
        inner = ", ".join(printer._print(a) for a in inputs)
        return f"{self.text_name}_{printer._print(param)}({inner})"


class ConditionalFunction(sp.Function):
    """An undefined conditional ``π(a, s, θ)`` printed ``π_θ(a | s)``; no parameter if 2 args."""

    latex_name = r"\pi"
    text_name = "π"

    def _parts(self, printer: Any) -> tuple[str, str, str]:
        first, given, *param = (printer._print(a) for a in self.args)
        return first, given, param[0] if param else ""

    def _latex(self, printer: Any) -> str:
        first, given, param = self._parts(printer)
        sub = f"_{{{param}}}" if param else ""
        return rf"{self.latex_name}{sub}\left({first} \mid {given}\right)"

    def _sympystr(self, printer: Any) -> str:
        first, given, param = self._parts(printer)
        return f"{self.text_name}{'_' + param if param else ''}({first}|{given})"


def param_function(name: str, latex_name: str, text_name: str) -> type:
    """A fresh :class:`ParamFunction` class named ``name``."""
    return type(name, (ParamFunction,), {"latex_name": latex_name, "text_name": text_name})


def conditional_function(name: str, latex_name: str, text_name: str) -> type:
    """A fresh :class:`ConditionalFunction` class named ``name``."""
    return type(name, (ConditionalFunction,), {"latex_name": latex_name, "text_name": text_name})


def product(*factors: Any) -> Any:
    """A product kept as written (no cancellation), for "multiply and divide by p" steps."""
    return sp.Mul(*factors, evaluate=False)


def ratio(num: Any, den: Any) -> Any:
    """``num/den`` kept as written."""
    return sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False)


# ---- the verifier --------------------------------------------------------------------


def canonical(expr: Any) -> Any:
    """Unfold expectations, carry out derivatives (Leibniz rule under ∫ and Σ), expand logs.

    Integrals are left in place; :func:`sympy_equal` compares them at the integrand level.
    """
    expr = expr.replace(lambda e: isinstance(e, Expect), lambda e: e.unfold())
    # ∂f/∂θ of an undefined f is already done: skipping it saves most of the time on big sums
    expr = expr.replace(
        lambda e: isinstance(e, sp.Derivative) and not _already_done(e),
        lambda e: sp.diff(e.expr, *e.variable_count),
    )
    # a sum over a small finite set is written out: equality is needed on those points only
    return expr.replace(lambda e: isinstance(e, sp.Sum) and _short(e), _write_out)


_UNDEFINED = (AppliedUndef, ParamFunction, ConditionalFunction)  # no formula to differentiate


def _already_done(e: Any) -> bool:
    """∂f(…θ…)/∂θ of an undefined f: diff() would return it unchanged."""
    return isinstance(e.expr, _UNDEFINED) and e.expr.free_symbols.issuperset(e.variables)


def _short(e: Any) -> bool:
    (_, lo, hi) = e.limits[0]
    return len(e.limits) == 1 and lo.is_Integer and hi.is_Integer and hi - lo < 50


def _write_out(e: Any) -> Any:
    (x, lo, hi) = e.limits[0]
    return sp.Add(*[e.function.subs(x, k) for k in range(int(lo), int(hi) + 1)])


def integrand_level(expr: Any, markers: dict[tuple, tuple[Any, Any]] | None = None) -> Any:
    """Replace each ∫ g dx (Σ_x g) by M_L · g(t_L): one marker M_L and variable t_L per range L.

    Sound for expressions linear in the integrals (checked by :func:`sympy_equal`): integrals
    over the same range are linear, Σ cᵢ ∫ gᵢ = ∫ Σ cᵢ gᵢ (cᵢ free of the variable), so a
    difference that vanishes for every t_L and M_L is identically zero.
    """
    markers = {} if markers is None else markers

    def fold(e: Any) -> Any:
        (x, lo, hi) = e.limits[0]
        key = (type(e).__name__, lo, hi)
        if key not in markers:
            n = len(markers)
            markers[key] = (sp.Symbol(f"_M{n}"), sp.Dummy(f"t{n}", real=True))
        marker, t = markers[key]
        return marker * e.function.xreplace({x: t})

    return expr.replace(lambda e: isinstance(e, (sp.Integral, sp.Sum)) and len(e.limits) == 1, fold)


class GaveUp(Exception):
    """sympy ran out of time before it could prove or refute an "=" (not a failed check)."""


class CouldNotCheck(Exception):
    """A numeric cross-check could not be computed (overflow beyond float range, a complex
    intermediate): the "=" is neither confirmed nor refuted, so it is not a failed check."""


def is_zero(expr: Any, seconds: float = SIMPLIFY_SECONDS) -> bool:
    """True if sympy proves ``expr`` ≡ 0 (expand, then simplify under a time limit), False
    if simplify ends with something else; :class:`GaveUp` if it ran out of time."""
    expr = sp.expand(expr)
    if expr == 0:
        return True
    expr = sp.expand_log(expr)
    if sp.expand(expr) == 0:
        return True
    if not expr.has(sp.Piecewise, sp.Integral, sp.Sum) and attempt(sp.cancel, seconds, expr) == 0:
        return True
    result = attempt(sp.simplify, seconds, expr)
    if result is None:
        raise GaveUp
    return result == 0


def tidy(expr: Any, seconds: float = 1.0) -> Any:
    """A readable form for display: cancel and factor (cheap; branch by branch for piecewise
    forms)."""
    if expr.has(sp.Piecewise):
        folded = sp.piecewise_fold(expr)
        if isinstance(folded, sp.Piecewise):  # branch by branch: simplify() takes seconds
            pieces = [(tidy(e, seconds), c) for e, c in folded.args]
            return sp.Piecewise(*pieces)
        return attempt(sp.simplify, seconds, expr) or expr
    return attempt(lambda e: sp.factor(sp.cancel(e)), seconds, expr) or expr


def sympy_equal(a: Any, b: Any) -> bool:
    """Whether sympy proves a = b (integrand level for integrals and sums).

    The integrand level is used only where the difference is linear in the integrals;
    products of integrals are compared as opaque terms instead.
    """
    ca, cb = canonical(a), canonical(b)
    markers: dict[tuple, tuple[Any, Any]] = {}
    sides = [integrand_level(ca, markers), integrand_level(cb, markers)]
    symbols = [m for m, _ in markers.values()]
    linear = True
    for side in sides:
        if symbols:
            try:
                linear &= sp.Poly(side, *symbols).total_degree() <= 1
            except sp.PolynomialError:
                linear = False
    return is_zero(sides[0] - sides[1] if linear else ca - cb)


def normalized(*densities: Any) -> Any:
    """A checker that also uses ∫ p dx = 1 for each of ``densities``."""

    def check(a: Any, b: Any) -> bool:
        def norm(e: Any) -> Any:
            return e.replace(
                lambda t: isinstance(t, (sp.Integral, sp.Sum)) and t.function in densities,
                lambda t: sp.Integer(1),
            )

        return sympy_equal(norm(a), norm(b))

    return check

"""Distribution families with closed-form expectations, samplers and score functions.

A :class:`Family` knows its density pθ(x), support, which parameter θ is differentiated,
and how to compute E[g(x)] in closed form: exact sums on a finite support, raw moments for
polynomials g (Gaussian, exponential, Poisson), otherwise ``integrate``/``summation`` under a
time limit (``None`` when sympy gives up).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.pretty.pretty_symbology import pretty_symbol

from rlcli.derive.steps import Expect, canonical, tidy
from rlcli.derive.timelimit import search
from rlcli.errors import FieldError

INTEGRATE_SECONDS = 1.0  # limit on one integrate()/summation() call

Sampler = Callable[[np.random.Generator, dict[str, float], int], np.ndarray]


@dataclass
class Family:
    """A parametric density pθ(x) on [lo, hi] (integers in it when ``discrete``)."""

    name: str
    x: Any
    theta: Any
    density: Any
    lo: Any
    hi: Any
    discrete: bool
    label_latex: str
    label_text: str
    values: dict[Any, Any]  # default numeric values of every parameter, θ included
    default_f: str
    moment: Callable[[int], Any] | None = None  # n -> E[x^n]
    sampler: Sampler | None = None
    # (A, n) -> E[x^n e^{A x}] for any complex A (a closed form for f = poly · e^{linear})
    tilted: Callable[[Any, int], Any] | None = None
    notes: list[str] = field(default_factory=list)
    cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def params(self) -> list[Any]:
        return list(self.values)

    def expectation(self, g: Any) -> Expect:
        """The unevaluated E_{x∼pθ}[g]."""
        return Expect(
            g,
            self.x,
            self.density,
            self.lo,
            self.hi,
            self.discrete,
            self.label_latex,
            self.label_text,
        )

    def expect(self, g: Any, seconds: float = INTEGRATE_SECONDS) -> Any | None:
        """E[g(x)] in closed form, or ``None`` if sympy cannot do it within ``seconds``."""
        g = canonical(sp.sympify(g))
        if g not in self.cache:  # the same E[g] is asked for by several steps
            self.cache[g] = self._expect(g, seconds)
        return self.cache[g]

    def _expect(self, g: Any, seconds: float) -> Any | None:
        if self.discrete and self.hi.is_finite:
            return tidy(
                sum(
                    (self.density * g).subs(self.x, k)
                    for k in range(int(self.lo), int(self.hi) + 1)
                )
            )
        poly = _as_polynomial(g, self.x)
        if poly is not None and self.moment is not None:
            return tidy(sum(c * self.moment(n) for (n,), c in poly.terms()))
        if self.tilted is not None:  # sin, cos, exp of linear arguments: no integrate()
            value = _exp_linear_terms(g, self.x, self.tilted)
            if value is not None:
                return value
        body = self.density * g
        if self.discrete:
            result = search(sp.summation, seconds, body, (self.x, self.lo, self.hi))
        else:
            result = search(sp.integrate, seconds, body, (self.x, self.lo, self.hi), conds="none")
        if result is None or result.has(sp.Integral, sp.Sum) or result.has(sp.nan):
            return None
        return tidy(result)

    def by_integrate(self, g: Any) -> bool:
        """Whether :meth:`expect` falls back on ``integrate``/``summation`` for ``g``."""
        finite = self.discrete and self.hi.is_finite
        return not finite and (self.moment is None or _as_polynomial(g, self.x) is None)

    def score(self) -> Any:
        """∇θ log pθ(x), simplified."""
        raw = sp.diff(sp.expand_log(sp.log(self.density)), self.theta)
        return tidy(raw)

    def numeric(self, overrides: dict[str, float]) -> dict[Any, float]:
        """Parameter values for numeric checks: defaults, overridden by name."""
        by_name = {str(s): s for s in self.values}
        values = {s: float(v) for s, v in self.values.items()}
        for name, value in overrides.items():
            if name not in by_name:
                known = ", ".join(by_name)
                message = f"{self.name} has no parameter {name!r} (parameters: {known})"
                raise FieldError("at", message)
            symbol = by_name[name]
            if not math.isfinite(value):
                raise FieldError("at", "must be a finite number", f"{name}={value}")
            if symbol.is_positive and value <= 0:
                raise FieldError("at", f"{name} must be positive", f"{name}={value}")
            if self.name == "bernoulli" and name == "p" and not value < 1:
                raise FieldError("at", "p must be in (0, 1)", f"p={value}")
            values[symbol] = value
        return values


def _exp_linear_terms(g: Any, x: Any, tilted: Callable[[Any, int], Any]) -> Any | None:
    """E[g] for g a sum of c·xⁿ·e^{A x} once sin, cos, … are written as exponentials."""
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(g.rewrite(sp.exp))):
        factors = sp.Mul.make_args(sp.powsimp(term))
        exps = [t for t in factors if isinstance(t, sp.exp) and t.has(x)]
        rest = sp.Mul(*[t for t in factors if t not in exps])
        rate = sp.expand(sum(t.args[0] for t in exps)) if exps else sp.Integer(0)
        if not rest.is_polynomial(x) or not rate.is_polynomial(x) or sp.degree(rate, x) > 1:
            return None
        a = rate.coeff(x, 1)
        total += sum(c * tilted(a, n) for (n,), c in sp.Poly(rest, x).terms())
    return tidy(sp.expand_complex(sp.expand(total)))


def _gaussian_tilted(mu: Any, sigma: Any) -> Callable[[Any, int], Any]:
    # E[xⁿ e^{A x}] = e^{Aμ + A²σ²/2} E_{N(μ + Aσ², σ²)}[xⁿ] (completing the square)
    def tilted(a: Any, n: int) -> Any:
        return sp.exp(a * mu + a**2 * sigma**2 / 2) * _gaussian_moment(mu + a * sigma**2, sigma)(n)

    return tilted


def _as_polynomial(g: Any, x: Any) -> Any | None:
    expanded = sp.expand(g)
    if not expanded.is_polynomial(x):
        simpler = search(sp.cancel, 1.0, expanded)
        if simpler is None or not sp.expand(simpler).is_polynomial(x):
            return None
        expanded = sp.expand(simpler)
    return sp.Poly(expanded, x)


def _gaussian_moment(mu: Any, sigma: Any) -> Callable[[int], Any]:
    # E[x^n] = Σ_{k even} C(n,k) μ^{n-k} σ^k (k-1)!!
    def moment(n: int) -> Any:
        return sum(
            sp.binomial(n, k) * mu ** (n - k) * sigma**k * sp.factorial2(k - 1)
            for k in range(0, n + 1, 2)
        )

    return moment


def _names(values: dict[Any, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in values.items()}


def gaussian(scale: bool = False) -> Family:
    """N(μ, σ²); θ = μ, or θ = σ with ``scale``."""
    x = sp.Symbol("x", real=True)
    mu = sp.Symbol("mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    density = sp.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)
    return Family(
        name="gaussian-scale" if scale else "gaussian",
        x=x,
        theta=sigma if scale else mu,
        density=density,
        lo=-sp.oo,
        hi=sp.oo,
        discrete=False,
        label_latex=r"\mathcal{N}(\mu, \sigma^{2})",
        label_text="N(μ,σ²)",
        values={mu: sp.Rational(1, 2), sigma: sp.Rational(3, 2)},
        default_f="x**2",
        moment=_gaussian_moment(mu, sigma),
        tilted=_gaussian_tilted(mu, sigma),
        sampler=lambda rng, v, n: rng.normal(v["mu"], v["sigma"], n),
    )


def bernoulli() -> Family:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p = sp.Symbol("p", positive=True)
    return Family(
        name="bernoulli",
        x=x,
        theta=p,
        density=p**x * (1 - p) ** (1 - x),
        lo=sp.Integer(0),
        hi=sp.Integer(1),
        discrete=True,
        label_latex=r"\mathrm{Bernoulli}(p)",
        label_text="Bernoulli(p)",
        values={p: sp.Rational(3, 10)},
        default_f="3*x + 1",
        sampler=lambda rng, v, n: (rng.random(n) < v["p"]).astype(float),
    )


def categorical(k: int = 3) -> Family:
    """Softmax over k categories with logits θ_0..θ_{k-1}; θ = θ_0."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    logits = [sp.Symbol(f"theta_{i}", real=True) for i in range(k)]
    z = sum(sp.exp(t) for t in logits)
    density = sp.Piecewise(
        *[(sp.exp(t) / z, sp.Eq(x, i)) for i, t in enumerate(logits[:-1])],
        (sp.exp(logits[-1]) / z, True),
    )

    def sample(rng: np.random.Generator, v: dict[str, float], n: int) -> np.ndarray:
        w = np.exp([v[f"theta_{i}"] for i in range(k)])
        return rng.choice(k, size=n, p=w / w.sum()).astype(float)

    return Family(
        name="categorical",
        x=x,
        theta=logits[0],
        density=density,
        lo=sp.Integer(0),
        hi=sp.Integer(k - 1),
        discrete=True,
        label_latex=r"\mathrm{softmax}(\theta)",
        label_text="softmax(θ)",
        values={t: sp.Rational(i, 2) for i, t in enumerate(logits)},
        default_f="x**2",
        sampler=sample,
        notes=[
            f"categorical: softmax over {k} categories x = 0..{k - 1}; θ is the logit θ_0 "
            "(the other logits are held fixed)"
        ],
    )


def exponential() -> Family:
    x = sp.Symbol("x", nonnegative=True)
    lam = sp.Symbol("lambda", positive=True)
    return Family(
        name="exponential",
        x=x,
        theta=lam,
        density=lam * sp.exp(-lam * x),
        lo=sp.Integer(0),
        hi=sp.oo,
        discrete=False,
        label_latex=r"\mathrm{Exp}(\lambda)",
        label_text="Exp(λ)",
        values={lam: sp.Integer(2)},
        default_f="x**2",
        moment=lambda n: sp.factorial(n) / lam**n,  # E[x^n] = n!/λ^n
        sampler=lambda rng, v, n: rng.exponential(1 / v["lambda"], n),
    )


def poisson() -> Family:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    lam = sp.Symbol("lambda", positive=True)
    return Family(
        name="poisson",
        x=x,
        theta=lam,
        density=lam**x * sp.exp(-lam) / sp.factorial(x),
        lo=sp.Integer(0),
        hi=sp.oo,
        discrete=True,
        label_latex=r"\mathrm{Poisson}(\lambda)",
        label_text="Poisson(λ)",
        values={lam: sp.Integer(3)},
        default_f="x**2",
        # Touchard: E[x^n] = Σ_j S(n, j) λ^j
        moment=lambda n: sum(
            sp.functions.combinatorial.numbers.stirling(n, j) * lam**j for j in range(n + 1)
        ),
        sampler=lambda rng, v, n: rng.poisson(v["lambda"], n).astype(float),
    )


FAMILIES: dict[str, Callable[[], Family]] = {
    "gaussian": gaussian,
    "gaussian-scale": lambda: gaussian(scale=True),
    "bernoulli": bernoulli,
    "categorical": categorical,
    "exponential": exponential,
    "poisson": poisson,
}


def family(name: str) -> Family:
    try:
        return FAMILIES[name]()
    except KeyError:
        raise FieldError(
            "family", f"unknown family {name!r} (choose from {', '.join(FAMILIES)})"
        ) from None


def user_family(density_text: str, var: str, param: str, support: str) -> Family:
    """A family from a density expression in ``var`` with parameter ``param`` on ``support``
    (``LO,HI``; continuous)."""
    from rlcli.derive.parse import parse_expr

    for which, name in (("var", var), ("param", param)):
        if not name.isidentifier() or name in ("pi", "e"):
            raise FieldError(which, f"{name!r} is not a valid variable name")
    if var == param:
        raise FieldError("param", f"must differ from the variable ({var!r})")
    x = sp.Symbol(var, real=True)
    theta = sp.Symbol(param, positive=True)
    density = parse_expr(density_text, {var: x, param: theta}, "density")
    lo, hi = _support(support)
    fam = Family(
        name="user",
        x=x,
        theta=theta,
        density=density,
        lo=lo,
        hi=hi,
        discrete=False,
        label_latex=rf"p_{{{sp.latex(theta)}}}",
        label_text=f"p_{pretty_symbol(param)}",
        values={theta: sp.Integer(1)},
        default_f=var,
        sampler=_grid_sampler(density, x, theta, lo, hi),
        notes=[f"user density: {param} is taken as positive for sympy's integrals"],
    )
    return fam


def _support(text: str) -> tuple[Any, Any]:
    from rlcli.derive.parse import parse_expr

    parts = text.split(",")
    if len(parts) != 2:
        raise FieldError("support", "expected LO,HI (e.g. 0,inf or -inf,inf)", repr(text))
    inf = {"inf": sp.oo, "+inf": sp.oo, "-inf": -sp.oo, "oo": sp.oo, "-oo": -sp.oo}
    bounds = [inf[p.strip()] if p.strip() in inf else parse_expr(p, {}, "support") for p in parts]
    if not all(b.is_real or b.is_infinite for b in bounds) or not bool(bounds[0] < bounds[1]):
        raise FieldError("support", "need real LO < HI", repr(text))
    return bounds[0], bounds[1]


def check_normalized(fam: Family) -> None:
    """Raise if a user density does not integrate to 1; note it if sympy cannot tell."""
    from rlcli.derive.steps import GaveUp, is_zero

    total = fam.expect(sp.Integer(1))
    try:
        normalised = total is None or is_zero(total - 1)
    except GaveUp:
        total = None
    if total is None:
        fam.notes.append(
            "sympy could not integrate the density within the time limit: "
            "normalisation not checked, closed forms skipped"
        )
    elif not normalised:
        raise FieldError("density", f"integrates to {total} over the support, not 1")


def check_nonnegative(fam: Family, at: dict[str, float]) -> None:
    """Raise if a user density is negative somewhere on the support, at the parameter values
    the derivation uses (``at`` or the defaults, and the checks' 0.7× and 1.3× of θ)."""
    point = {**fam.values, **{s: at[str(s)] for s in fam.values if str(s) in at}}
    a, b = float(fam.lo), float(fam.hi)
    grid = np.sinh(np.linspace(-12.0, 12.0, 4001))
    grid = np.concatenate([grid[(grid > a) & (grid < b)], [a, b], np.linspace(
        max(a, -50.0), min(b, 50.0), 2001)])  # fmt: skip
    grid = grid[np.isfinite(grid)]
    for scale in (1.0, 0.7, 1.3):
        values = {**point, fam.theta: point[fam.theta] * scale}
        pdf = sp.lambdify(fam.x, fam.density.subs(values), "numpy")
        with np.errstate(all="ignore"):
            d = np.broadcast_to(np.asarray(pdf(grid), dtype=float), grid.shape)
        bad = np.flatnonzero(d < -1e-12)
        if len(bad):
            x0 = grid[bad[np.argmin(np.abs(grid[bad]))]]
            raise FieldError(
                "density",
                f"is negative at {fam.x} = {x0:.4g} with {fam.theta} = "
                f"{values[fam.theta]:.4g}: not a probability density",
            )


def _grid_sampler(density: Any, x: Any, theta: Any, lo: Any, hi: Any) -> Sampler:
    """Inverse-CDF sampling on a fine grid (user densities; tails beyond 1e-12 cut)."""

    def sample(rng: np.random.Generator, v: dict[str, float], n: int) -> np.ndarray:
        pdf = sp.lambdify(x, density.subs(theta, v[str(theta)]), "numpy")

        def dens(t: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                d = np.broadcast_to(np.asarray(pdf(t), dtype=float), t.shape)
            return np.nan_to_num(d, nan=0.0, posinf=0.0)

        a, b = float(lo), float(hi)
        for side in ("a", "b"):
            if not np.isfinite(a if side == "a" else b):
                reach = 1.0
                while reach < 1e6 and dens(np.array([reach if side == "b" else -reach]))[0] > 1e-12:
                    reach *= 2
                a, b = (-reach, b) if side == "a" else (a, reach)
        grid = np.linspace(a, b, 200_001)
        cdf = np.concatenate([[0.0], np.cumsum((dens(grid[1:]) + dens(grid[:-1])) / 2)])
        if cdf[-1] <= 0:
            raise FieldError("density", "is zero on the support at these parameter values")
        return np.interp(rng.random(n) * cdf[-1], cdf, grid)

    return sample

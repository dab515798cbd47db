"""PPO's clipped surrogate: from rₜ(θ) = πθ(a|s)/πθ_old(a|s) to L = min(rA, clip(r, 1−ε, 1+ε)A).

The importance-sampling identity gives the surrogate E_old[r A] (whose gradient at θ = θ_old
is the vanilla policy gradient); clipping then keeps r near 1. The six regions (sign of A ×
r below / inside / above [1−ε, 1+ε]) are worked out by sympy, symbolic in ε: which branch of
the min is taken, the objective and its derivative in r, and L ≤ rA in each.
(Schulman et al. 2017, eq. 7.)
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from rlcli.derive.steps import (
    Check,
    Derivation,
    Expect,
    Step,
    Table,
    conditional_function,
    product,
    ratio,
    sympy_equal,
    verify,
)

IDENTITY_LATEX = (
    r"L^{\mathrm{CLIP}}(\theta) = \mathbb{E}_t\left[\min\left(r_t(\theta) A_t,\ "
    r"\mathrm{clip}(r_t(\theta), 1-\epsilon, 1+\epsilon) A_t\right)\right],\quad "
    r"r_t(\theta) = \frac{\pi_\theta(a_t \mid s_t)}{\pi_{\theta_{\mathrm{old}}}(a_t \mid s_t)}"
)
IDENTITY_TEXT = "L = E_t[min(r A, clip(r, 1−ε, 1+ε) A)],  r = πθ(a|s)/πθ_old(a|s)"


def surrogate_steps() -> list[Step]:
    """E_{a∼πθ}[A] = E_{a∼π_old}[r A]; its gradient at θ_old is E[∇ log π A]."""
    a = sp.Symbol("a", integer=True, nonnegative=True)
    s = sp.Symbol("s")
    theta = sp.Symbol("theta", real=True)
    pi = conditional_function("pi", r"\pi", "π")(a, s, theta)
    old = conditional_function("pi_old", r"\pi_{\mathrm{old}}", "π_old")(a, s)
    A = sp.Function("A")(s, a)
    n = sp.Symbol("n_A", integer=True, positive=True)
    over = lambda g: sp.Sum(g, (a, 0, n - 1))  # noqa: E731
    E_new = lambda g: Expect(g, a, pi, 0, n - 1, True, r"\pi_\theta", "π_θ")  # noqa: E731
    E_old = lambda g: Expect(g, a, old, 0, n - 1, True, r"\pi_{\mathrm{old}}", "π_old")  # noqa: E731
    r = ratio(pi, old)

    def at_old(x: Any, y: Any) -> bool:  # evaluate both sides at θ = θ_old
        same = {old: pi}
        return sympy_equal(x.xreplace(same), y.xreplace(same))

    grad = lambda e: sp.Derivative(e, theta)  # noqa: E731
    return [
        Step(E_new(A), "expected advantage under the new policy (one state s)", start=True),
        Step(over(product(pi, A)), "expectation as a sum over actions"),
        Step(over(product(old, r, A)), "multiply and divide by π_old (needs π_old > 0)"),
        Step(E_old(product(r, A)), "importance sampling: the surrogate L^CPI = E_old[r A]"),
        Step(grad(E_old(product(r, A))), "gradient of the surrogate", start=True),
        Step(E_old(product(ratio(grad(pi), old), A)), "π_old does not depend on θ"),
        Step(
            E_new(product(grad(sp.log(pi)), A)),
            "at θ = θ_old (r = 1): ∇r = ∇ log π, the vanilla policy gradient",
            check=at_old,
            method="sympy at θ = θ_old",
        ),
    ]


EPS_GRID = (0.05, 0.1, 0.2, 0.3)  # ε values at which the table is compared with the definition
ADV_GRID = (0.7, 2.5)  # |A| values for that comparison


def regions() -> tuple[Table, list[Check]]:
    """The six regions: branch of the min, L, ∂L/∂r, and L ≤ rA, all symbolic in ε.

    The checks read the L and ∂L/∂r cells of the table itself, so a wrong entry fails one.
    """
    eps = sp.Symbol("epsilon", positive=True)
    delta = sp.Symbol("delta", positive=True)  # distance outside the clip range
    u = sp.Symbol("u", positive=True)  # position inside: r = 1 − ε + u, 0 < u < 2ε
    r = sp.Symbol("r", positive=True)
    adv = sp.Symbol("A_abs", positive=True)
    A = sp.Symbol("A", real=True)
    rows: list[list[Any]] = []
    where: list[tuple[int, str, Any]] = []  # per row: sign of A, region, r there
    places = {
        "r < 1−ε": (1 - eps - delta, 1 - eps),
        "1−ε ≤ r ≤ 1+ε": (1 - eps + u, None),
        "r > 1+ε": (1 + eps + delta, 1 + eps),
    }
    for sign_name, sign in (("A > 0", 1), ("A < 0", -1)):
        for place, (r_here, clipped_value) in places.items():
            a_here = sign * adv
            clip_r = r_here if clipped_value is None else clipped_value
            gap = sp.expand(r_here * a_here - clip_r * a_here)  # sign decides the min
            takes_clip = bool(gap.is_positive)
            # back to r and A: the branch in closed form
            L_r = (clip_r if takes_clip else r) * A
            rows.append(
                [
                    sign_name,
                    place,
                    L_r,
                    sp.diff(L_r, r),
                    "clipped: no gradient" if takes_clip else "unclipped: gradient A·∇r",
                ]
            )
            where.append((sign, place, r_here))
    table = Table(
        "the six regions of L^CLIP (symbolic in ε)",
        ["advantage", "ratio r", "L^CLIP", "∂L/∂r", "gradient"],
        rows,
    )
    symbols = (r, A, eps)
    checks = [
        _matches_definition(rows, where, symbols),
        _pessimistic(rows, where, symbols, adv),
        _vanilla_at_one(rows, where, symbols),
    ]
    return table, checks


def _matches_definition(rows: list[list[Any]], where: list[Any], symbols: tuple) -> Check:
    """Each row's L and ∂L/∂r vs min(rA, clip(r, 1−ε, 1+ε)A) and its central difference (numpy)."""
    import numpy as np

    h = 1e-7
    worst = 0.0
    for row, (sign, place, _) in zip(rows, where, strict=True):
        if not (sp.sympify(row[2]).free_symbols | sp.sympify(row[3]).free_symbols) <= set(symbols):
            worst = float("inf")  # an entry in symbols other than r, A, ε is not a function of r
            continue
        L = sp.lambdify(symbols, row[2], "numpy")
        dL = sp.lambdify(symbols, row[3], "numpy")
        for e in EPS_GRID:
            lo, hi = {"r < 1−ε": (0.02, 1 - e), "r > 1+ε": (1 + e, 3.0)}.get(place, (1 - e, 1 + e))
            rs = np.linspace(lo + 1e-3, hi - 1e-3, 41)
            for a in (sign * m for m in ADV_GRID):

                def definition(t: np.ndarray, a: float = a, e: float = e) -> np.ndarray:
                    return np.minimum(t * a, np.clip(t, 1 - e, 1 + e) * a)

                slope = (definition(rs + h) - definition(rs - h)) / (2 * h)
                shown = np.broadcast_to(L(rs, a, e), rs.shape)
                shown_slope = np.broadcast_to(dL(rs, a, e), rs.shape)
                worst = max(
                    worst,
                    float(np.max(np.abs(shown - definition(rs)))),
                    float(np.max(np.abs(shown_slope - slope))),
                )
    return Check(
        "table = min(rA, clip(r, 1−ε, 1+ε)A) and its slope",
        worst <= 1e-6,
        f"every row's L^CLIP and ∂L/∂r evaluated on 41 ratios inside its region at ε ∈ "
        f"{list(EPS_GRID)}, |A| ∈ {list(ADV_GRID)}, against numpy's min/clip of the definition "
        f"and its central difference: largest difference {worst:.2g} (pass if ≤ 1e-6)",
        {"max_abs_difference": worst},
    )


def _pessimistic(rows: list[list[Any]], where: list[Any], symbols: tuple, adv: Any) -> Check:
    """L ≤ rA in each region, for the L shown in the table (sympy, r and A put in the region)."""
    r, A, _ = symbols
    failing = []
    for row, (sign, place, r_here) in zip(rows, where, strict=True):
        excess = sp.expand(
            sp.sympify(row[2]).subs({r: r_here, A: sign * adv}) - r_here * sign * adv
        )
        if not excess.is_nonpositive:
            failing.append(f"{row[0]}, {place}")
    return Check(
        "L^CLIP ≤ r·A in all six regions",
        not failing,
        "sympy: the table's L^CLIP − rA is ≤ 0 in each region, with r = 1−ε−δ, 1−ε+u or 1+ε+δ "
        "and A = ±|A| (ε, δ, u > 0): the clipped objective is a pessimistic (lower) bound on the "
        "unclipped surrogate" + (f"; FAILS in {'; '.join(failing)}" if failing else ""),
    )


def _vanilla_at_one(rows: list[list[Any]], where: list[Any], symbols: tuple) -> Check:
    """At r = 1 (inside the clip range) the table's L and ∂L/∂r equal rA = A and A."""
    r, A, _ = symbols
    inside = [row for row, (_, place, _) in zip(rows, where, strict=True) if "≤ r ≤" in place]
    ok = bool(inside) and all(
        sp.expand(sp.sympify(row[2]).subs(r, 1) - A) == 0
        and sp.expand(sp.sympify(row[3]).subs(r, 1) - A) == 0
        for row in inside
    )
    return Check(
        "at r = 1: value and gradient of the vanilla policy gradient",
        ok,
        "r = 1 is inside [1−ε, 1+ε] for every ε > 0; the table's rows there give L(1) = A = rA "
        "and ∂L/∂r(1) = A (sympy, both signs of A), so ∇θL = A ∇θ r = A ∇θ log πθ(a|s) at "
        "θ = θ_old (REINFORCE with advantage)",
    )


def derive() -> Derivation:
    table, checks = regions()
    d = Derivation(
        "ppo-clip",
        IDENTITY_LATEX,
        IDENTITY_TEXT,
        surrogate_steps(),
        checks,
        notes=[
            "A > 0 and r > 1+ε, or A < 0 and r < 1−ε: the clip removes the "
            "incentive to move r further; in the other two outer regions the "
            "min picks the unclipped rA, so the gradient remains (pessimism)."
        ],
        tables=[table],
    )
    return verify(d)

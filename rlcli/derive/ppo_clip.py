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


def regions() -> tuple[Table, list[Check]]:
    """The six regions: branch of the min, L, ∂L/∂r, and L ≤ rA, all symbolic in ε."""
    eps = sp.Symbol("epsilon", positive=True)
    delta = sp.Symbol("delta", positive=True)  # distance outside the clip range
    u = sp.Symbol("u", positive=True)  # position inside: r = 1 − ε + u, 0 < u < 2ε
    r = sp.Symbol("r", positive=True)
    adv = sp.Symbol("A_abs", positive=True)
    A = sp.Symbol("A", real=True)
    rows: list[list[Any]] = []
    checks: list[Check] = []
    places = {
        "r < 1−ε": (1 - eps - delta, 1 - eps),
        "1−ε ≤ r ≤ 1+ε": (1 - eps + u, None),
        "r > 1+ε": (1 + eps + delta, 1 + eps),
    }
    ok_all = True
    for sign_name, sign in (("A > 0", 1), ("A < 0", -1)):
        for place, (r_here, clipped_value) in places.items():
            a_here = sign * adv
            clip_r = r_here if clipped_value is None else clipped_value
            unclipped, clipped = r_here * a_here, clip_r * a_here
            gap = sp.expand(unclipped - clipped)  # sign decides the min
            takes_clip = bool(gap.is_positive)
            L_here = clipped if takes_clip else unclipped
            # back to r and A: the branch in closed form
            L_r = (clip_r if takes_clip else r) * A
            dL_dr = sp.diff(L_r, r)
            below = sp.expand(L_here - unclipped)
            ok = bool(below.is_nonpositive)
            ok_all &= ok
            rows.append(
                [
                    sign_name,
                    place,
                    L_r,
                    dL_dr,
                    "clipped: no gradient" if takes_clip else "unclipped: gradient A·∇r",
                ]
            )
    # r = 1 lies inside the range: L = rA and ∂L/∂r = A there, as for the surrogate r·A
    L_inside, dL_inside = A * r, A
    checks.append(
        Check(
            "L^CLIP ≤ r·A in all six regions",
            ok_all,
            "sympy: min(rA, clip(r)A) − rA is ≤ 0 in each region (ε, δ > 0): the clipped objective "
            "is a pessimistic (lower) bound on the unclipped surrogate",
        )
    )
    value_ok = L_inside.subs(r, 1) == A and sp.diff(L_inside, r).subs(r, 1) == dL_inside
    checks.append(
        Check(
            "at r = 1: value and gradient of the vanilla policy gradient",
            bool(value_ok),
            "r = 1 is inside [1−ε, 1+ε] for every ε > 0, where L = rA: L(1) = A and "
            "∂L/∂r(1) = A, so ∇θL = A ∇θ r = A ∇θ log πθ(a|s) at θ = θ_old "
            "(REINFORCE with advantage)",
        )
    )
    table = Table(
        "the six regions of L^CLIP (symbolic in ε)",
        ["advantage", "ratio r", "L^CLIP", "∂L/∂r", "gradient"],
        rows,
    )
    return table, checks


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

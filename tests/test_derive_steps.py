"""Every derivation verifies, and corrupting any one step makes that step's "=" fail."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from rlcli.derive import (
    baseline,
    importance_sampling,
    kl,
    log_derivative,
    policy_gradient,
    ppo_clip,
)
from rlcli.derive.families import FAMILIES, family
from rlcli.derive.numeric import close, quadrature
from rlcli.derive.steps import Derivation, Step, sympy_equal


def _log_derivative(name: str) -> Derivation:
    fam = family(name)
    return log_derivative.derive(fam, fam.x**2)


DERIVATIONS = {
    "log-derivative": lambda: log_derivative.derive(),
    **{f"log-derivative-{n}": (lambda n=n: _log_derivative(n)) for n in FAMILIES},
    "importance-sampling": lambda: importance_sampling.derive("normal(0,1)", "normal(1,2)", "x**2"),
    "importance-sampling-exp": lambda: importance_sampling.derive(
        "exponential(1)", "exponential(3/2)", "x + 1"
    ),
    "kl": lambda: kl.derive(None, None),
    "ppo-clip": ppo_clip.derive,
    "policy-gradient": lambda: policy_gradient.derive(2),
    "baseline": lambda: baseline.derive(2),
}

_CACHE: dict[str, Derivation] = {}


def get(name: str) -> Derivation:
    if name not in _CACHE:
        _CACHE[name] = DERIVATIONS[name]()
    return _CACHE[name]


def _holds(prev: Step, step: Step) -> bool:
    return bool((step.check or sympy_equal)(prev.expr, step.expr))


@pytest.mark.parametrize("name", sorted(DERIVATIONS))
def test_every_step_verifies(name: str) -> None:
    d = get(name)
    assert d.steps and all(s.verified is not False for s in d.steps), [
        (i + 1, s.reason) for i, s in enumerate(d.steps) if s.verified is False
    ]
    assert sum(s.verified is True for s in d.steps) >= len(d.steps) // 2
    assert all(c.ok for c in d.checks), [c.detail for c in d.checks if not c.ok]
    assert d.all_verified


@pytest.mark.parametrize("name", sorted(DERIVATIONS))
def test_corrupting_any_step_fails_its_check(name: str) -> None:
    """Add 1 to one step at a time: the "=" into it (and out of it) must no longer verify."""
    steps = get(name).steps
    for k, step in enumerate(steps):
        bad = Step(step.expr + 1, step.reason, step.start, step.check, step.method)
        if not step.start:
            assert not _holds(steps[k - 1], bad), f"step {k + 1} ({step.reason}) still verifies"
        if k + 1 < len(steps) and not steps[k + 1].start:
            nxt = steps[k + 1]
            assert not _holds(bad, nxt), f"step {k + 2} ({nxt.reason}) verifies after corruption"


def test_log_derivative_subtle_corruptions_fail() -> None:
    """Wrong identities a student might write: dropping the log, dropping p, p·∇p."""
    steps = log_derivative.generic_steps(discrete=False)
    last, before = steps[-1], steps[-2]
    # E[f ∇ log p] -> E[f ∇ p]: ∇p instead of ∇ log p
    logs = [e for e in sp.preorder_traversal(last.expr) if isinstance(e, sp.log)]
    wrong = last.expr.xreplace({logs[0]: logs[0].args[0]})
    assert not sympy_equal(before.expr, wrong)
    # ∫ f ∇p dx -> ∫ p f ∇p dx  (forgot to divide by p)
    p = logs[0].args[0]
    integral = steps[4].expr
    assert not sympy_equal(
        integral,
        integral.xreplace({sp.Derivative(p, p.args[-1]): p * sp.Derivative(p, p.args[-1])}),
    )


def test_closed_form_step_rejects_a_wrong_moment() -> None:
    """E_{N(μ,σ²)}[x²] = μ² + σ (not σ²) must fail the closed-form check."""
    fam = family("gaussian")
    mu, sigma = fam.params
    check = log_derivative.family_equal(fam)
    assert check(fam.expectation(fam.x**2), mu**2 + sigma**2)
    assert not check(fam.expectation(fam.x**2), mu**2 + sigma)


def test_enumeration_rejects_dropping_past_rewards_wrongly() -> None:
    """Dropping *future* rewards (instead of past ones) changes the expectation."""
    h = policy_gradient.Horizon(2)
    check = h.equal()
    scores = policy_gradient.score_terms(h)
    right = sp.Add(scores[0] * h.ret(0), scores[1] * h.ret(1))
    wrong = sp.Add(scores[0] * h.reward(0), scores[1] * h.ret(0))
    TE = policy_gradient.TrajExpect
    assert check(TE(right), sp.Derivative(TE(h.ret()), policy_gradient.THETA))
    assert not check(TE(wrong), TE(right))


def test_integrand_level_is_not_fooled_by_products_of_integrals() -> None:
    """(∫ x² p)(∫ p) ≠ (∫ x p)² in general: products are not compared pointwise."""
    x = sp.Symbol("x", real=True)
    p = sp.Function("p")(x)

    def integral(g):
        return sp.Integral(g, (x, 0, 1))

    assert not sympy_equal(integral(x**2 * p) * integral(p), integral(x * p) ** 2)
    assert sympy_equal(integral(2 * x * p) + integral(p), integral((2 * x + 1) * p))


def test_close_is_relative_so_small_wrong_values_differ() -> None:
    assert not close(2e-8, 3e-8)  # a wrong E[x⁴]/10⁸ is not "close" to the right one
    assert close(3e-8, 3e-8 * (1 + 1e-9))
    assert close(0.0, 1e-17)  # an odd moment by quadrature
    assert not close(math.inf, math.inf)


def test_quadrature_resolves_high_moments_without_a_fallback() -> None:
    x = sp.Symbol("x")
    body = x**12 * sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)
    assert quadrature(body, x, -math.inf, math.inf) == pytest.approx(10395.0, rel=1e-10)  # 11!!


def test_log_identities_need_positivity() -> None:
    """log(x²) = 2 log x and log(xy) = log x + log y hold for x, y > 0 only."""
    from rlcli.derive.steps import sympy_equal

    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    assert not sympy_equal(sp.log(x**2), 2 * sp.log(x))
    assert not sympy_equal(sp.log(x * y), sp.log(x) + sp.log(y))
    assert not sympy_equal(sp.sqrt(x**2), x)
    u, v = sp.Symbol("u", positive=True), sp.Symbol("v", positive=True)
    assert sympy_equal(sp.log(u**2), 2 * sp.log(u))
    assert sympy_equal(sp.log(u * v), sp.log(u) + sp.log(v))


def test_a_mutated_step_using_log_of_a_square_does_not_verify() -> None:
    from rlcli.derive.steps import Derivation, Step, verify

    x = sp.Symbol("x", real=True)
    d = verify(
        Derivation(
            "t", "", "", [Step(sp.log(x**2) + x, "", start=True), Step(2 * sp.log(x) + x, "")]
        )
    )
    assert d.steps[1].verified is False


def test_a_check_that_runs_out_of_time_is_gave_up_not_failed(monkeypatch) -> None:
    from rlcli.derive import steps

    monkeypatch.setattr(steps, "attempt", lambda *a, **k: None)  # every simplify times out
    x = sp.Symbol("x", positive=True)
    d = steps.verify(
        steps.Derivation(
            "t",
            "",
            "",
            [steps.Step(sp.sin(x) ** 2, "", start=True), steps.Step(1 - sp.cos(x) ** 2, "why")],
        )
    )
    assert d.steps[1].verified is None and d.steps[1].method == "gave up"
    assert "gave up" in d.steps[1].reason and d.all_verified


def test_quadrature_agrees_with_scipy_on_hard_integrands() -> None:
    """mpmath's tanh-sinh (with scipy as fallback) on a far narrow peak, a half line, a kink."""
    import math

    from scipy import integrate

    from rlcli.derive.numeric import quadrature

    x = sp.Symbol("x", real=True)
    cases = [
        (sp.exp(-((x - 40) ** 2) / (2 * sp.Rational(1, 100))) * x**2, -math.inf, math.inf),
        (3 * sp.exp(-3 * x) * sp.sqrt(x), 0.0, math.inf),
        (sp.Abs(x - sp.Rational(1, 3)) * sp.exp(-(x**2)), -math.inf, math.inf),
    ]
    for body, a, b in cases:
        f = sp.lambdify(x, body, "math")
        want = integrate.quad(f, a, b, points=None, limit=400, epsabs=0, epsrel=1e-12)[0]
        if body.has(sp.Abs):
            want = sum(
                integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-12)[0]
                for lo, hi in ((-math.inf, 1 / 3), (1 / 3, math.inf))
            )
        if "40" in str(body):
            want = math.sqrt(2 * math.pi) * 0.1 * (40**2 + 0.01)
        assert quadrature(body, x, a, b) == pytest.approx(want, rel=1e-8)

"""Every derivation verifies, and corrupting any one step makes that step's "=" fail."""

from __future__ import annotations

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

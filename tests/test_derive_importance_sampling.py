"""`rlcli derive importance-sampling`: closed forms that fail when corrupted, infinite variance
confirmed numerically, the support condition, scales quadrature cannot reach."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import sympy as sp
from scipy import integrate, stats
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.derive import importance_sampling as isx
from rlcli.derive import timelimit


def _steps_by_method(d, word: str):
    return [s for s in d.steps if word in s.method]


def _cli(*args: str):
    from typer.testing import CliRunner

    from rlcli.cli.app import app

    return CliRunner().invoke(app, ["derive", *args])


def _is(*args: str) -> Any:
    return CliRunner().invoke(app, ["derive", "importance-sampling", *args, "--json"])


def _variance_check(*args: str) -> dict:
    """The ``estimator variance`` check of ``derive importance-sampling ARGS --json``."""
    result = _is(*args)
    assert result.exit_code == 0, result.output
    return next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "estimator variance")


def test_importance_sampling_closed_form_fails_with_a_wrong_integral(monkeypatch) -> None:
    good = isx.integral_exp_poly

    def wrong(g, log_h, lo, hi):  # every closed-form integral off by 1/10
        value = good(g, log_h, lo, hi)
        return value if value == sp.oo else value + sp.Rational(1, 10)

    monkeypatch.setattr(isx, "integral_exp_poly", wrong)
    d = isx.derive("normal(0,1)", "normal(1,2)", "x**2")
    closed = _steps_by_method(d, "closed form")
    assert closed and all(s.verified is False for s in closed)
    assert not d.all_verified


def test_importance_sampling_variance_fails_with_a_wrong_second_moment(monkeypatch) -> None:
    good = isx.integral_exp_poly
    calls = []

    def wrong(g, log_h, lo, hi):  # only E_q[w² f²] is wrong (the 3rd call)
        calls.append(g)
        value = good(g, log_h, lo, hi)
        return value + 1 if len(calls) == 3 else value

    monkeypatch.setattr(isx, "integral_exp_poly", wrong)
    d = isx.derive("normal(0,1)", "normal(1,2)", "x**2")
    variance = [c for c in d.checks if c.name == "estimator variance"]
    assert variance and not variance[0].ok


def test_importance_sampling_without_options_equals_its_documented_defaults() -> None:
    bare = _cli("importance-sampling", "--json")
    explicit = _cli(
        "importance-sampling", "--p", "normal(0,1)", "--q", "normal(1,2)", "--f", "x", "--json"
    )
    assert bare.exit_code == explicit.exit_code == 0, bare.output
    assert bare.stdout == explicit.stdout
    doc = json.loads(bare.stdout)
    names = [c["name"] for c in doc["checks"]]
    assert "estimator variance" in names
    assert any("closed form" in s["method"] for s in doc["steps"])
    assert "ess_per_sample" in doc["checks"][names.index("estimator variance")]["values"]


def test_importance_sampling_infinite_variance_is_infinite_not_a_failure() -> None:
    variance = _variance_check("--q", "normal(0,0.5)")
    assert "INFINITE" in variance["detail"] and variance["values"]["variance"] == "inf"


def test_importance_sampling_infinite_variance_is_confirmed_numerically(monkeypatch) -> None:
    """The 'infinite' verdict comes from the exponent of p²/q; a tail test must agree, so a
    wrong verdict (claiming ∞ where it is finite) fails the check."""
    good = isx.integral_exp_poly
    calls = []

    def wrong(g, log_h, lo, hi):  # E_q[w² f²] wrongly reported infinite
        calls.append(g)
        return sp.oo if len(calls) == 3 else good(g, log_h, lo, hi)

    monkeypatch.setattr(isx, "integral_exp_poly", wrong)
    d = isx.derive("normal(0,1)", "normal(1,2)", "x")
    variance = next(c for c in d.checks if c.name == "estimator variance")
    assert not variance.ok
    monkeypatch.setattr(isx, "integral_exp_poly", good)
    d = isx.derive("normal(0,1)", "normal(0,0.5)", "x")
    variance = next(c for c in d.checks if c.name == "estimator variance")
    assert variance.ok and "tail test" in variance.detail


def test_is_support_failure_needs_no_integrate(monkeypatch) -> None:
    """The support failure is decided before any integral and the integrals on q's half line
    are closed forms: exit 1 even when every sympy search is refused (a loaded machine)."""
    monkeypatch.setattr(timelimit, "search", lambda *a, **k: None)
    monkeypatch.setattr(sp, "integrate", lambda *a, **k: pytest.fail("integrate() called"))
    result = _is("--p", "normal(0,1)", "--q", "exponential(1)")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    support = next(c for c in doc["checks"] if c["name"].startswith("support"))
    assert support["ok"] is False
    # E_q[w f] = ∫_0^∞ x φ(x) dx = 1/√(2π), by scipy
    half = integrate.quad(lambda t: t * stats.norm.pdf(t), 0, math.inf)[0]
    assert half == pytest.approx(1 / math.sqrt(2 * math.pi))
    assert "sqrt(2)/(2*sqrt(pi))" in support["detail"]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
@pytest.mark.parametrize(
    ("a", "b", "c", "lo"), [(-0.5, 0, 0, 0), (-0.375, 1.25, -1, 1), (-2, 3, 0, -1)]
)
def test_half_line_gaussian_moments_match_scipy(
    n: int, a: float, b: float, c: float, lo: int
) -> None:
    log_h = sp.nsimplify(a) * isx.X**2 + sp.nsimplify(b) * isx.X + c
    closed = float(isx.integral_exp_poly(isx.X**n, log_h, sp.Integer(lo), sp.oo))
    truth = integrate.quad(
        lambda t: t**n * math.exp(a * t * t + b * t + c), lo, math.inf, epsabs=1e-13, epsrel=1e-12
    )[0]
    assert closed == pytest.approx(truth, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "p", ["normal(1e10,1)", "normal(0,1e-10)", "normal(100,0.01)", "exponential(1e-5)"]
)
def test_is_scale_beyond_quadrature_is_refused_with_exit_2(p: str) -> None:
    result = _is("--p", p)
    assert result.exit_code == 2
    assert "too extreme for the numeric cross-check" in result.output
    assert "Traceback" not in result.output


def test_is_q_scale_beyond_quadrature_is_refused_with_exit_2() -> None:
    result = _is("--q", "normal(1e10,1)")
    assert result.exit_code == 2 and "--q" in result.output


def test_is_zero_f_has_zero_variance() -> None:
    """f ≡ 0: Var = 0 although E_q[w²] = ∞ (σ_q² = 0.25 ≤ σ_p²/2 = 0.5)."""
    var = _variance_check("--q", "normal(0,0.5)", "--f", "0")
    assert var["ok"] is True and var["values"]["variance"] == 0
    assert "∞ confirmed" in var["detail"]


def test_is_zero_f_satisfies_the_support_condition() -> None:
    """p·f ≡ 0, so q = 0 on half of p's support does not matter; E_q[w²] = ∫_0^∞ φ²/q."""
    var = _variance_check("--q", "exponential(1)", "--f", "0")
    w2 = integrate.quad(lambda t: math.exp(t - t * t) / (2 * math.pi), 0, math.inf)[0]  # φ²/e^{−t}
    assert var["values"]["ess_per_sample"] == pytest.approx(1 / w2, rel=1e-9)


def test_is_variance_peak_out_of_reach_is_not_checked_not_failed() -> None:
    """σ_q² just above σ_p²/2: p²f²/q peaks near x ≈ −1.1e4, beyond quadrature's reach."""
    var = _variance_check("--q", "normal(3,0.7072)", "--f", "x**2")
    assert var["ok"] is None and "not checked numerically" in var["detail"]

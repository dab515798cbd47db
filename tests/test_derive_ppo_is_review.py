"""Review fixes (issue 5): PPO-clip checks read the table they show; importance sampling is
deterministic when the support condition fails and never ✗ on a correct closed form that
quadrature cannot resolve."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
import sympy as sp
from scipy import integrate, stats
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.derive import importance_sampling as isx
from rlcli.derive import ppo_clip, timelimit

A = sp.Symbol("A", real=True)
R = sp.Symbol("r", positive=True)
EPS = sp.Symbol("epsilon", positive=True)


def _checks_with_table(monkeypatch, mutate: Callable[[list[list[Any]]], None]) -> dict:
    """regions() with its table rows changed by ``mutate`` before the checks read them."""
    real = ppo_clip.Table

    def table(title: str, columns: list[str], rows: list[list[Any]]) -> Any:
        mutate(rows)
        return real(title, columns, rows)

    monkeypatch.setattr(ppo_clip, "Table", table)
    _, checks = ppo_clip.regions()
    return {c.name: c.ok for c in checks}


def _row(rows: list[list[Any]], sign: str, place: str) -> list[Any]:
    return next(r for r in rows if r[0] == sign and r[1].startswith(place))


def test_ppo_checks_pass_on_the_true_table() -> None:
    table, checks = ppo_clip.regions()
    assert len(checks) == 3 and all(c.ok is True for c in checks)
    assert _row(table.rows, "A > 0", "r > 1")[2] == (1 + EPS) * A


def test_ppo_doubled_table_fails_every_check(monkeypatch) -> None:
    def double(rows: list[list[Any]]) -> None:
        for row in rows:
            row[2], row[3] = 2 * row[2], 2 * row[3]

    assert set(_checks_with_table(monkeypatch, double).values()) == {False}


def test_ppo_wrong_branch_fails_the_definition_check(monkeypatch) -> None:
    def unclipped(rows: list[list[Any]]) -> None:  # A > 0, r > 1+ε: the min takes (1+ε)A
        row = _row(rows, "A > 0", "r > 1")
        row[2], row[3] = R * A, A

    ok = _checks_with_table(monkeypatch, unclipped)
    assert ok["table = min(rA, clip(r, 1−ε, 1+ε)A) and its slope"] is False


def test_ppo_wrong_gradient_column_fails(monkeypatch) -> None:
    def flat(rows: list[list[Any]]) -> None:
        _row(rows, "A < 0", "r > 1")[3] = sp.Integer(0)  # the min is rA there: slope A

    ok = _checks_with_table(monkeypatch, flat)
    assert ok["table = min(rA, clip(r, 1−ε, 1+ε)A) and its slope"] is False


def test_ppo_entry_above_ra_fails_the_pessimism_check(monkeypatch) -> None:
    def optimistic(rows: list[list[Any]]) -> None:  # (1−ε)A > rA for A > 0, r < 1−ε
        row = _row(rows, "A > 0", "r < 1")
        row[2], row[3] = (1 - EPS) * A, sp.Integer(0)

    ok = _checks_with_table(monkeypatch, optimistic)
    assert ok["L^CLIP ≤ r·A in all six regions"] is False


def test_ppo_clipped_inside_row_fails_the_r_equals_1_check(monkeypatch) -> None:
    def clipped(rows: list[list[Any]]) -> None:
        row = _row(rows, "A < 0", "1−ε")
        row[2], row[3] = (1 + EPS) * A, sp.Integer(0)

    ok = _checks_with_table(monkeypatch, clipped)
    assert ok["at r = 1: value and gradient of the vanilla policy gradient"] is False
    assert ok["table = min(rA, clip(r, 1−ε, 1+ε)A) and its slope"] is False


def _is(*args: str) -> Any:
    return CliRunner().invoke(app, ["derive", "importance-sampling", *args, "--json"])


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
    result = _is("--q", "normal(0,0.5)", "--f", "0")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    var = next(c for c in doc["checks"] if c["name"] == "estimator variance")
    assert var["ok"] is True and var["values"]["variance"] == 0
    assert "∞ confirmed" in var["detail"]


def test_is_zero_f_satisfies_the_support_condition() -> None:
    """p·f ≡ 0, so q = 0 on half of p's support does not matter; E_q[w²] = ∫_0^∞ φ²/q."""
    result = _is("--q", "exponential(1)", "--f", "0")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    var = next(c for c in doc["checks"] if c["name"] == "estimator variance")
    w2 = integrate.quad(lambda t: math.exp(t - t * t) / (2 * math.pi), 0, math.inf)[0]  # φ²/e^{−t}
    assert var["values"]["ess_per_sample"] == pytest.approx(1 / w2, rel=1e-9)


def test_is_variance_peak_out_of_reach_is_not_checked_not_failed() -> None:
    """σ_q² just above σ_p²/2: p²f²/q peaks near x ≈ −1.1e4, beyond quadrature's reach."""
    result = _is("--q", "normal(3,0.7072)", "--f", "x**2")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    var = next(c for c in doc["checks"] if c["name"] == "estimator variance")
    assert var["ok"] is None and "not checked numerically" in var["detail"]

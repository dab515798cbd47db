"""Third review of `rlcli derive`: tolerances that scale with the values compared, inputs that
took seconds, densities that are negative somewhere."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.derive import families
from rlcli.derive.numeric import close, quadrature


def run(*args: str):
    return CliRunner().invoke(app, ["derive", "log-derivative", *args])


def test_close_is_relative_so_small_wrong_values_differ() -> None:
    assert not close(2e-8, 3e-8)  # a wrong E[x⁴]/10⁸ is not "close" to the right one
    assert close(3e-8, 3e-8 * (1 + 1e-9))
    assert close(0.0, 1e-17)  # an odd moment by quadrature
    assert not close(math.inf, math.inf)


def test_a_wrong_fourth_moment_fails_at_its_own_step_even_when_scaled_down(monkeypatch) -> None:
    # Review: with |a − b| ≤ 1e-6 · max(1, |b|), a wrong E[x⁴] (3σ⁴ → 2σ⁴) for f = x⁴/10⁸
    # passed the "expectation in closed form" step; only the next step caught it.
    import json

    real = families.family

    def corrupted(name: str):
        fam = real(name)
        right = fam.moment
        sigma = next(s for s in fam.values if str(s) == "sigma")
        fam.moment = lambda n: right(n) - sigma**4 if n == 4 else right(n)
        return fam

    monkeypatch.setattr(families, "family", corrupted)
    result = run("--family", "gaussian", "--f", "x**4/10**8", "--json")
    assert result.exit_code == 1, result.output
    steps = json.loads(result.stdout)["steps"]
    closed = next(s for s in steps if "expectation in closed form" in s["reason"])
    assert closed["verified"] is False


def test_quadrature_resolves_high_moments_without_a_fallback() -> None:
    x = sp.Symbol("x")
    body = x**12 * sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)
    assert quadrature(body, x, -math.inf, math.inf) == pytest.approx(10395.0, rel=1e-10)  # 11!!


@pytest.mark.parametrize("f", ["sin(x)**64", "(x+1)**64", "x**13"])
def test_degree_above_twelve_is_refused_quickly(f: str) -> None:
    result = run("--family", "gaussian", "--f", f)
    assert result.exit_code == 2 and "degree" in result.output


def test_a_density_negative_somewhere_is_refused() -> None:
    result = run("--density", "1 + 4*theta*(x - 1/2)", "--support", "0,1")
    assert result.exit_code == 2, result.output
    assert "negative" in result.output and "Traceback" not in result.output
    ok = run("--density", "theta*exp(-theta*x)", "--support", "0,inf")
    assert ok.exit_code == 0, ok.output


def test_samples_have_an_upper_bound() -> None:
    result = run("--family", "gaussian", "--samples", "100000000")
    assert result.exit_code == 2 and "at most" in result.output


def test_latex_keeps_checks_notes_and_verdict_as_comments() -> None:
    result = CliRunner().invoke(
        app,
        ["derive", "importance-sampling", "--q", "normal(0,0.6)", "--samples", "500",
         "--format", "latex"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("% check ✓ estimator variance: INFINITE") for line in lines)
    assert any(line.startswith("% check – Monte Carlo") for line in lines)
    assert lines[-1].startswith("% ") and "steps verified" in lines[-1]
    body = [line for line in lines if not line.startswith("%")]
    assert all(ord(ch) < 128 for line in body for ch in line)  # non-ASCII only in comments


def test_at_values_beyond_a_million_are_refused() -> None:
    result = run("--family", "gaussian", "--at", "mu=1e308", "--samples", "100")
    assert result.exit_code == 2 and "at most" in result.output


def test_kl_refuses_scales_quadrature_cannot_check() -> None:
    # Review: exact KL 5e11 was right but shown ✗ (quadrature returned 0).
    result = CliRunner().invoke(app, ["derive", "kl", "--p", "normal(1e6,1)", "--q", "normal(0,1)"])
    assert result.exit_code == 2 and "too extreme" in result.output

"""Regression tests for the second review of ``rlcli derive`` (issue 5).

Each closed-form ✓ must come from a check that fails when the shown value is wrong: the
tests below corrupt the code that computes a closed form and expect that step to fail.
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

from rlcli.derive import importance_sampling as isx


def _steps_by_method(d, word: str):
    return [s for s in d.steps if word in s.method]


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


def test_kl_exact_value_fails_with_a_wrong_integral(monkeypatch) -> None:
    from rlcli.derive import kl

    good = kl.integral_exp_poly
    monkeypatch.setattr(kl, "integral_exp_poly", lambda *a: good(*a) + sp.Rational(1, 10))
    checks = {c.name: c for c in kl.estimator_checks("normal(0,1)", "normal(0.5,1.2)", 0, 0)}
    assert not checks["exact KL(p‖q)"].ok
    assert not checks["k2 is biased"].ok


def test_kl_gaussian_closed_form_fails_with_a_wrong_moment_table(monkeypatch) -> None:
    from rlcli.derive import families, kl

    good = families._gaussian_moment

    def wrong(mu, sigma):
        moment = good(mu, sigma)
        return lambda n: moment(n) + (1 if n == 2 else 0)

    monkeypatch.setattr(families, "_gaussian_moment", wrong)
    steps = kl.gaussian_steps()
    assert not steps[-1].check(steps[-2].expr, steps[-1].expr)
    assert "numeric" in steps[-1].method


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


BAD_EXPRESSIONS = ["log(0)", "sqrt(-1)*x", "", "nan", "log(-1)*x", "1/(x-x)", "   "]


def _cli(*args: str):
    from typer.testing import CliRunner

    from rlcli.cli.app import app

    return CliRunner().invoke(app, ["derive", *args])


@pytest.mark.parametrize("bad", BAD_EXPRESSIONS)
@pytest.mark.parametrize(
    "where",
    [
        ["log-derivative", "--family", "gaussian", "--f"],
        ["log-derivative", "--family", "bernoulli", "--f"],
        ["importance-sampling", "--f"],
        ["log-derivative", "--support", "0,inf", "--density"],
        ["importance-sampling", "--p"],
        ["importance-sampling", "--q"],
        ["kl", "--p"],
    ],
)
def test_non_real_or_non_finite_expressions_exit_2(where: list[str], bad: str) -> None:
    if where[-1] in ("--p", "--q"):
        bad = f"normal({bad or ' '}, 1)"
    result = _cli(*where, bad)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert where[-1] in result.output


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


@pytest.mark.parametrize(
    "args",
    [
        ["--family", "gaussian", "--f", "exp(x**2)", "--at", "sigma=1.5"],
        ["--family", "gaussian", "--f", "1/x"],
        ["--family", "poisson", "--f", "exp(x**2)"],
        ["--family", "exponential", "--f", "exp(3*x)"],
    ],
)
def test_infinite_expectation_is_reported_not_verified(args: list[str]) -> None:
    result = _cli("log-derivative", *args, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    infinite = [s for s in doc["steps"] if s["method"] == "infinite"]
    assert len(infinite) == 1 and infinite[0]["verified"] is None
    assert "infinite" in infinite[0]["reason"]
    assert not any("closed form" in s["method"] for s in doc["steps"])
    assert any("infinite" in n for n in doc["notes"])


def test_finite_non_polynomial_expectation_still_has_a_checked_closed_form() -> None:
    # E_{N(μ,σ²)}[exp(x²/8)] is finite for σ = 3/2 (σ² < 4): shown and checked numerically
    result = _cli("log-derivative", "--family", "gaussian", "--f", "exp(x**2/8)", "--json")
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    assert not any(s["method"] == "infinite" for s in doc["steps"])
    closed = [s for s in doc["steps"] if "quadrature" in s["method"]]
    gave_up = [s for s in doc["steps"] if s["method"] == "gave up"]
    assert (closed and closed[0]["verified"] is True) or (gave_up and result.exit_code == 0)


def test_no_closed_form_is_a_gave_up_step_not_a_failure(monkeypatch) -> None:
    from rlcli.derive import families
    from rlcli.derive import log_derivative as ld

    fam = families.family("gaussian")
    monkeypatch.setattr(fam, "expect", lambda g, seconds=1.0: None)
    d = ld.derive(fam, sp.sin(fam.x))
    gave_up = [s for s in d.steps if s.method == "gave up"]
    assert len(gave_up) == 1 and gave_up[0].verified is None
    assert d.all_verified  # a note, not a failed verification
    assert any("time limit" in n for n in d.notes)


def test_f_not_real_on_the_support_exits_2() -> None:
    result = _cli("log-derivative", "--family", "gaussian", "--f", "sqrt(x)")
    assert result.exit_code == 2, result.output
    assert "real" in result.output and "Traceback" not in result.output


def test_importance_sampling_infinite_variance_is_infinite_not_a_failure() -> None:
    result = _cli("importance-sampling", "--q", "normal(0,0.5)", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    variance = next(c for c in doc["checks"] if c["name"] == "estimator variance")
    assert "INFINITE" in variance["detail"] and variance["values"]["variance"] == "inf"


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


def test_one_budget_for_the_whole_derivation() -> None:
    import time

    from rlcli.derive.timelimit import budget, search

    # budgets count this process's CPU time (a busy machine must not change a derivation)

    def slow() -> int:
        end = time.process_time() + 5
        while time.process_time() < end:
            pass
        return 1

    start = time.process_time()
    with budget(0.3):
        assert search(slow, 2.0) is None  # limited by the budget, not by its own 2 s
        assert search(lambda: 1, 2.0) is None  # the budget is spent: nothing more is tried
    assert time.process_time() - start < 1.0
    assert search(lambda: 1, 2.0) == 1  # outside a budget only its own limit applies


def test_ppo_table_latex_puts_comparisons_in_math_mode() -> None:
    """In \\text{...} a bare < or > prints as ¡ ¿ (OT1 font): they must be math."""
    import re

    result = _cli("ppo-clip", "--format", "latex")
    assert result.exit_code == 0, result.output
    texts = re.findall(r"\\text\{((?:[^{}]|\{[^{}]*\})*)\}", result.stdout)
    assert texts
    for body in texts:
        outside_math = re.sub(r"\$[^$]*\$", "", body)
        assert "<" not in outside_math and ">" not in outside_math, body
    assert "\nA > 0 & r < 1-\\epsilon &" in result.stdout  # the labels are math


def test_log_derivative_trick_step_fails_with_a_wrong_third_moment() -> None:
    """E[x²·score] uses E[x³]: a wrong x³ moment leaves E[x²] right but must fail step 12."""
    import dataclasses

    from rlcli.derive import log_derivative as ld
    from rlcli.derive.families import family

    good = family("gaussian")
    bad = dataclasses.replace(good, moment=lambda n: good.moment(n) + (1 if n == 3 else 0))
    d = ld.derive(bad, bad.x**2)
    trick = next(s for s in d.steps if s.reason == "log-derivative trick")
    assert trick.verified is False and "quadrature" in trick.method


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


@pytest.mark.parametrize("g", ["sin(x)", "cos(2*x)", "x*sin(x)", "exp(x/4)", "sin(x)**2"])
def test_gaussian_exponential_tilting_matches_quadrature(g: str) -> None:
    """E[g] for sin/cos/exp of linear arguments by completing the square, vs scipy quad."""
    import math

    from scipy import integrate

    from rlcli.derive.families import family
    from rlcli.derive.parse import parse_expr

    fam = family("gaussian")
    mu, sigma = fam.params
    expr = parse_expr(g, {"x": fam.x})
    h = sp.lambdify(fam.x, expr, "math")

    def weighted(t: float, m: float, s: float) -> float:
        return h(t) * math.exp(-((t - m) ** 2) / (2 * s**2)) / (math.sqrt(2 * math.pi) * s)

    for m, s in ((0.5, 1.5), (-1.0, 0.7)):
        value = float(fam.expect(expr).subs({mu: m, sigma: s}))
        num = integrate.quad(weighted, m - 30 * s, m + 30 * s, args=(m, s), limit=200)[0]
        assert value == pytest.approx(num, rel=1e-9, abs=1e-12)


def test_numeric_side_alone_still_rejects_a_wrong_value_when_sympy_gives_up(monkeypatch) -> None:
    from rlcli.derive import log_derivative as ld
    from rlcli.derive.families import family
    from rlcli.derive.steps import GaveUp

    fam = family("exponential")
    lam = fam.theta
    right, wrong = ld.QuadratureCheck(fam, fam.x, 1 / lam), ld.QuadratureCheck(fam, fam.x, 2 / lam)

    def give_up(a, b):
        raise GaveUp

    for check in (right, wrong):
        monkeypatch.setattr(check, "symbolic", give_up)
    assert right(0, 0) and right.symbolic_gave_up
    assert not wrong(0, 0)


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


def test_monte_carlo_without_a_closed_form_uses_a_numeric_gradient(monkeypatch) -> None:
    from rlcli.derive import log_derivative as ld
    from rlcli.derive.families import family

    fam = family("gaussian")
    monkeypatch.setattr(fam, "expect", lambda g, seconds=1.0: None)  # sympy "gives up"
    d = ld.derive(fam, sp.Abs(fam.x), samples=20000, seed=0)
    check = next(c for c in d.checks if c.name.startswith("Monte Carlo"))
    assert check.ok and "numeric" in check.detail
    # ∇μ E|x| = 1 − erfc(μ/(σ√2)) = erf(μ/(σ√2)) at μ = 0.5, σ = 1.5
    import math

    assert check.values["exact"] == pytest.approx(math.erf(0.5 / (1.5 * math.sqrt(2))), rel=1e-6)
    assert d.all_verified


def test_monte_carlo_is_skipped_for_an_infinite_expectation() -> None:
    result = _cli(
        "log-derivative", "--family", "gaussian", "--f", "exp(x**2)", "--samples", "100", "--json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert not doc["checks"] and any("skipped" in n for n in doc["notes"])

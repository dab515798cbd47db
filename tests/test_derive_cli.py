"""`rlcli derive ...` through the CLI: output formats, --json contract, errors, LaTeX, speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app

runner = CliRunner()
COMMANDS = [
    "log-derivative",
    "policy-gradient",
    "baseline",
    "importance-sampling",
    "ppo-clip",
    "kl",
]


def run(*args: str) -> object:
    return runner.invoke(app, ["derive", *args])


@pytest.mark.parametrize("command", COMMANDS)
def test_json_contract_and_everything_verified(command: str) -> None:
    result = run(command, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {"identity", "steps", "checks"} <= set(doc)
    assert doc["all_verified"] is True
    for step in doc["steps"]:
        assert {"latex", "text", "reason", "verified"} <= set(step)
        assert step["verified"] in (True, None)
    assert any(s["verified"] is True for s in doc["steps"])


def _latex_is_well_formed(src: str) -> None:
    """Structural check: balanced braces, \\left/\\right pairs, \\begin/\\end pairs."""
    body = "\n".join(line for line in src.splitlines() if not line.startswith("%"))
    stripped = re.sub(r"\\[{}]", "", body)
    depth = 0
    for ch in stripped:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "closing brace without opening"
    assert depth == 0, "unbalanced braces"
    assert len(re.findall(r"\\left\b", body)) == len(re.findall(r"\\right\b", body))
    stack: list[str] = []
    for kind, env in re.findall(r"\\(begin|end)\{(\w+\*?)\}", body):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, f"\\end{{{env}}} does not match"
    assert not stack, f"unclosed environments {stack}"
    assert "$$" not in body
    assert body.isascii(), sorted({ch for ch in body if not ch.isascii()})


@pytest.mark.parametrize("command", COMMANDS)
def test_latex_output_is_well_formed(command: str) -> None:
    result = run(command, "--format", "latex")
    assert result.exit_code == 0
    assert r"\begin{align*}" in result.stdout and r"\checkmark" in result.stdout
    _latex_is_well_formed(result.stdout)
    doc = json.loads(run(command, "--json").stdout)
    for step in doc["steps"]:
        _latex_is_well_formed(step["latex"])


def test_latex_checker_catches_broken_latex() -> None:
    with pytest.raises(AssertionError):
        _latex_is_well_formed(r"\frac{a}{b")
    with pytest.raises(AssertionError):
        _latex_is_well_formed(r"\left( x")


@pytest.mark.parametrize("command", COMMANDS)
def test_step_latex_renders_with_mathtext_if_available(command: str) -> None:
    """Render every step with matplotlib's mathtext (a TeX subset) when matplotlib is installed.

    mathtext lacks \\begin{cases} and \\text, so expressions using them are left to the
    structural check above.
    """
    mathtext = pytest.importorskip("matplotlib.mathtext")
    parser = mathtext.MathTextParser("path")
    doc = json.loads(run(command, "--json").stdout)
    rendered = 0
    for step in doc["steps"]:
        if r"\begin{cases}" in step["latex"] or r"\text" in step["latex"]:
            continue
        parser.parse(f"${step['latex']}$")
        rendered += 1
    assert rendered >= len(doc["steps"]) // 2


def test_markdown_and_text_formats() -> None:
    md = run("log-derivative", "--family", "bernoulli", "--format", "markdown").stdout
    assert md.startswith("### `rlcli derive log-derivative`")
    assert "$$" in md and "✓" in md and "NOT VERIFIED" not in md
    text = run("kl", "--format", "text").stdout
    assert "KL(p‖q)" in text and "✗" not in text


def test_rich_output_escapes_math_brackets() -> None:
    result = run("log-derivative")
    assert result.exit_code == 0
    assert "E_{x~p_θ}[f(x)]" in result.stdout  # [f(x)] is not eaten as rich markup


def test_log_derivative_family_closed_form_shown() -> None:
    doc = json.loads(run("log-derivative", "--family", "gaussian", "--f", "x**2", "--json").stdout)
    texts = [s["text"] for s in doc["steps"]]
    assert "2·μ" in texts  # ∇_μ (μ² + σ²) = 2μ
    assert any("μ^2 + σ^2" in t for t in texts)


def test_monte_carlo_is_reproducible_and_within_4_se() -> None:
    args = ["log-derivative", "--family", "poisson", "--samples", "4000", "--seed", "7", "--json"]
    a, b = run(*args), run(*args)
    assert a.exit_code == 0 and a.stdout == b.stdout
    mc = json.loads(a.stdout)["checks"][0]["values"]
    assert abs(mc["estimate"] - mc["exact"]) <= 4 * mc["standard_error"]
    assert mc["exact"] == pytest.approx(7.0)  # d/dλ (λ² + λ) at λ = 3
    c = run(*args[:-3], "--seed", "8", "--json")
    assert json.loads(c.stdout)["checks"][0]["values"]["estimate"] != mc["estimate"]


def test_importance_sampling_reports_infinite_variance() -> None:
    doc = json.loads(
        run("importance-sampling", "--p", "normal(0,1)", "--q", "normal(0,0.6)", "--json").stdout
    )
    var = next(c for c in doc["checks"] if c["name"] == "estimator variance")
    assert var["detail"].startswith("INFINITE") and "σ_q² > σ_p²/2" in var["detail"]


def test_importance_sampling_support_violation_exits_1() -> None:
    """Deterministic: E_q[w f] = ∫_0^∞ x φ(x) dx = 1/√(2π) in closed form, no integrate()."""
    for _ in range(3):
        result = run("importance-sampling", "--p", "normal(0,1)", "--q", "exponential(1)", "--json")
        assert result.exit_code == 1, result.output
        doc = json.loads(result.stdout)
        support = next(c for c in doc["checks"] if c["name"].startswith("support"))
        assert support["ok"] is False and "fails" in support["detail"]
        assert "E_q[w f] = sqrt(2)/(2*sqrt(pi))" in support["detail"]
        assert doc["steps"][-1]["verified"] is False


def test_importance_sampling_monte_carlo() -> None:
    given = ["--p", "normal(0,1)", "--q", "normal(1,2)", "--f", "x**2"]
    doc = json.loads(run("importance-sampling", *given, "--samples", "20000", "--seed", "3",
                         "--json").stdout)  # fmt: skip
    mc = next(c for c in doc["checks"] if c["name"].startswith("Monte Carlo"))["values"]
    assert abs(mc["ordinary"] - 1) <= 4 * mc["ordinary_se"]
    assert abs(mc["weighted"] - 1) <= 4 * mc["weighted_se"]
    var = next(c for c in doc["checks"] if c["name"] == "estimator variance")["values"]
    # the sample ESS is close to N / E_q[w²]
    assert mc["ess"] / 20000 == pytest.approx(var["ess_per_sample"], rel=0.1)


def test_kl_estimators_monte_carlo() -> None:
    doc = json.loads(run("kl", "--samples", "20000", "--seed", "1", "--json").stdout)
    by_name = {c["name"]: c for c in doc["checks"]}
    kl = by_name["exact KL(p‖q)"]["values"]["kl"]
    for k in ("k1", "k3"):
        v = by_name[f"Monte Carlo {k}"]["values"]
        assert abs(v["mean"] - kl) <= 4 * v["se"]
    assert by_name["Monte Carlo k3"]["values"]["min"] >= 0
    assert by_name["Monte Carlo k1"]["values"]["min"] < 0  # k1 can be negative, k3 cannot


def test_user_density() -> None:
    density = ["--density", "theta*exp(-theta*x)", "--support", "0,inf"]
    result = run("log-derivative", *density, "--samples", "3000", "--at", "theta=2", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert "-1/θ^2" in [s["text"] for s in doc["steps"]]  # ∇θ E[x] = ∇θ (1/θ)
    assert doc["checks"][0]["values"]["exact"] == pytest.approx(-0.25)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["log-derivative", "--family", "nope"], "unknown family"),
        (["log-derivative", "--family", "gaussian", "--f", "__import__('os')"], "not allowed"),
        (["log-derivative", "--family", "gaussian", "--f", "gamma(x)"], "not allowed"),
        (["log-derivative", "--family", "gaussian", "--f", "x**100000"], "exponent"),
        (["log-derivative", "--family", "gaussian", "--f", "y"], "unknown name"),
        (["log-derivative", "--density", "2*exp(-x)", "--support", "0,inf"], "not 1"),
        (["log-derivative", "--density", "exp(-x)", "--support", "1,0"], "LO < HI"),
        (["log-derivative", "--f", "x"], "need --family"),
        (["log-derivative", "--family", "gaussian", "--at", "zz=1"], "no parameter"),
        (["importance-sampling", "--p", "gamma(2)"], "normal(MU, SIGMA)"),
        (["importance-sampling", "--q", "normal(0,-1)"], "sigma must be > 0"),
        (["importance-sampling", "--f", "exp(x)"], "only polynomials"),
        (["policy-gradient", "--horizon", "7"], ""),
    ],
)
def test_bad_input_exits_2_without_traceback(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in result.output


def test_hard_user_density_gives_up_cleanly() -> None:
    """sympy cannot integrate this: a note within the time limits, not a hang."""
    result = run("log-derivative", "--density", "exp(-(x-theta)**2/2 + sin(x))", "--json")
    assert result.exit_code == 0
    notes = " ".join(json.loads(result.stdout)["notes"])
    assert "could not integrate" in notes


def test_help_does_not_import_sympy() -> None:
    code = (
        "import sys\nfrom rlcli.cli.app import app\nsys.argv=['rlcli','derive','--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\nprint('sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")

"""Bellman equations: the recycling robot system as a student writes it (S&B Ex. 3.3)."""

from __future__ import annotations

import json

import numpy as np
import sympy as sp
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.equations import bellman_equations
from rlcli.mdp.solve.optimal import policy_iteration

runner = CliRunner()
alpha, beta, r_s, r_w = sp.symbols("alpha beta r_search r_wait", real=True)
gamma = sp.Symbol("gamma", positive=True)
vh, vl = sp.Symbol("v(high)", real=True), sp.Symbol("v(low)", real=True)


def test_expectation_equations_of_the_cautious_policy():
    mdp = load_mdp("problems/recycling-robot.yaml")
    system = bellman_equations(mdp, mdp.policies["cautious"])
    high, low = system.equations
    # by hand: v(h) = α(r_s + γ v(h)) + (1-α)(r_s + γ v(l)); v(l) = 0 + γ v(h)
    assert (
        sp.expand(high.rhs - (alpha * (r_s + gamma * vh) + (1 - alpha) * (r_s + gamma * vl))) == 0
    )
    assert sp.expand(low.rhs - gamma * vh) == 0
    assert set(system.symbols) == {"alpha", "beta", "r_search", "r_wait", "gamma"}


def test_optimality_equations_hold_at_v_star():
    mdp = load_mdp("problems/recycling-robot.yaml")
    system = bellman_equations(mdp)
    v = policy_iteration(mdp).values
    values = {"alpha": 0.8, "beta": 0.6, "r_search": 2, "r_wait": 1, "gamma": 0.9}
    subs = {sym: values[name] for name, sym in system.symbols.items()}
    subs.update({system.unknowns[s]: v[mdp.state_index[s]] for s in system.states})
    for eq in system.equations:
        assert abs(float(eq.lhs.subs(subs)) - float(eq.rhs.subs(subs))) < 1e-9
        assert isinstance(eq.rhs, sp.Max)
    assert len(system.equations[1].rhs.args) == 3  # low: search, wait, recharge


def test_set_fixes_parameters_and_terminal_states_are_zero():
    result = runner.invoke(
        app, ["mdp", "equations", "student-mdp", "-p", "random", "--set", "gamma=1", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["symbols"] == []
    assert doc["terminal"] == ["Sleep"]
    # v(Class2) = 1/2 (0 + v(Sleep)=0) + 1/2 (-2 + v(Class3))
    assert doc["equations"]["Class2"]["text"] == "v(Class2) = v(Class3)/2 - 1"


def test_formats():
    for fmt, needle in (
        ("latex", r"\begin{aligned}"),
        ("markdown", "$$"),
        ("text", "v*(high) = max(search: "),
    ):
        result = runner.invoke(
            app, ["mdp", "equations", "recycling-robot", "--optimal", "--format", fmt]
        )
        assert result.exit_code == 0, result.output
        assert needle in result.stdout
    result = runner.invoke(app, ["mdp", "equations", "recycling-robot", "--format", "latex",
                                 "-p", "coin"])  # fmt: skip
    assert r"v_{\pi}(\text{high})" in result.stdout and r"\gamma" in result.stdout


def test_needs_exactly_one_of_policy_and_optimal():
    for args in (["mdp", "equations", "student-mdp"],
                 ["mdp", "equations", "student-mdp", "--optimal", "-p", "random"]):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "exactly one" in result.output


def test_equations_numeric_solution_matches_v_pi():
    mdp = load_mdp("problems/recycling-robot.yaml", {"alpha": "4/5"})
    system = bellman_equations(mdp, mdp.policies["coin"], keep=set())
    solution = sp.solve(system.equations, list(system.unknowns.values()))
    got = [float(solution[system.unknowns[s]]) for s in ("high", "low")]
    from rlcli.mdp.solve.evaluate import evaluate_policy

    np.testing.assert_allclose(got, evaluate_policy(mdp, mdp.policies["coin"]).values)


# ---- regressions from the review of mdp evaluate | solve | equations (issue 3) ----


def _yaml(text: str, tmp_path, name: str = "m.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


TRAPS = """
gamma: 1/2
parameters: {E: 1, I: 2, pi: 1/2, lam: 3, alpha: 1}
states: [s_1, "50%", "a&b"]
terminal: ["a&b"]
transitions:
  s_1: {x: [{next: "50%", p: pi, r: E}, {next: "a&b", p: 1 - pi, r: I * alpha}]}
  "50%": {y: {next: s_1, r: lam}}
"""


def test_latex_escapes_names_and_keeps_pi_for_the_policy(tmp_path):
    file = _yaml(TRAPS, tmp_path)
    result = runner.invoke(app, ["mdp", "equations", file, "-p", "uniform", "--format", "latex"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert r"v_{\pi}(\text{50\%})" in text and r"v_{\pi}(\text{a\&b}) &= 0" in text
    assert r"\mathrm{pi}" in text and r"\mathrm{lam}" in text and r"\alpha" in text
    assert "50%)" not in text and "a&b" not in text
    assert text.count(r"\pi") == text.count(r"v_{\pi}")  # pi the parameter is not π
    robot = runner.invoke(app, ["mdp", "equations", "recycling-robot", "--optimal", "--format",
                                "latex"]).stdout  # fmt: skip
    assert r"r_{\mathrm{search}}" in robot and r"\beta" in robot
    result = runner.invoke(app, ["mdp", "solve", file, "--format", "latex"])
    assert result.exit_code == 0, result.output
    assert r"a\&b &" in result.stdout and r"50\% &" in result.stdout


def test_optimality_equations_label_max_terms_by_action():
    result = runner.invoke(app, ["mdp", "equations", "recycling-robot", "--optimal"])
    assert result.exit_code == 0, result.output
    # low: search, wait, recharge in file order; recharge moves to high with reward 0
    assert "wait: gamma*v*(low) + r_wait, recharge: gamma*v*(high))" in result.stdout

"""Regressions from the review of `mdp evaluate | solve | equations` (issue 3): each test
failed before its fix. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import NumericalError
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.arithmetic import Fractions
from rlcli.mdp.solve.exact import rational_policy
from rlcli.mdp.solve.optimal import policy_iteration, value_iteration

runner = CliRunner()

ZERO_LOOP = """
gamma: 1
states: [a, end]
terminal: [end]
transitions:
  a:
    go: {next: end, r: -1}
    stay: {next: a, r: 0}
"""


def _yaml(text: str, tmp_path, name: str = "m.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_zero_reward_loop_beating_a_costly_exit_is_refused_not_misreported(tmp_path):
    # staying forever earns 0 > -1 = the only proper policy's value: V*(a) = 0, not -1
    mdp = loads_mdp(ZERO_LOOP, "zeroloop.yaml")
    with pytest.raises(NumericalError, match="loop forever"):
        policy_iteration(mdp)
    with pytest.raises(NumericalError, match="loop forever"):
        policy_iteration(mdp, field=Fractions(mdp))
    result = runner.invoke(app, ["mdp", "solve", _yaml(ZERO_LOOP, tmp_path), "--json"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not attained by a proper policy" in result.output
    # value iteration reaches the supremum: V_1(a) = max(-1, 0) = 0, a fixed point
    vi = value_iteration(mdp)
    assert vi.values.tolist() == [0.0, 0.0]


def test_zero_reward_loop_that_does_not_pay_keeps_the_proper_answer():
    # stay ties with go (Q = 0 + V(a) = 1) but looping earns 0 < 1: V*(a) = 1 stands
    mdp = loads_mdp(ZERO_LOOP.replace("r: -1", "r: 1"), "loop.yaml")
    sol = policy_iteration(mdp)
    assert sol.values.tolist() == [1.0, 0.0]
    assert mdp.policy_of_pairs(sol.policy) == {"a": "go"}
    # stay ties only by looping forever (the policy "stay" earns 0): not reported optimal
    assert sol.optimal.tolist() == [True, False]
    assert policy_iteration(mdp, field=Fractions(mdp)).optimal.tolist() == [True, False]


def test_value_iteration_finds_exact_ties():
    # V*(b) = 1/(1 - 0.9) = 10, V*(d) = (10/9)/(1 - 0.9) = 100/9, V*(c) = 0.9 V*(d) = 10:
    # x and y tie at a, V*(a) = 9
    mdp = loads_mdp(
        """
gamma: 9/10
states: [a, b, c, d]
transitions:
  a: {x: {next: b, r: 0}, y: {next: c, r: 0}}
  b: {stay: {next: b, r: 1}}
  c: {go: {next: d, r: 0}}
  d: {stay: {next: d, r: 10/9}}
""",
        "vitie.yaml",
    )
    vi = value_iteration(mdp, epsilon=1e-6)
    np.testing.assert_allclose(vi.values, [9, 10, 10, 100 / 9], atol=1e-12)
    tied = [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(0) if vi.optimal[k]]
    assert tied == ["x", "y"]


def test_value_iteration_at_gamma_1_is_exact_when_the_greedy_policy_is_proper():
    # S&B Fig 4.1, gamma = 1: v* of the top row is 0, -1, -2, -3 exactly
    mdp = load_mdp("problems/gridworld-4x4.yaml")
    vi = value_iteration(mdp, epsilon=1e-3)
    top = [vi.values[mdp.state_index[f"r0c{c}"]] for c in range(4)]
    assert top == [0.0, -1.0, -2.0, -3.0]
    assert "V = V*" in vi.stopping


def test_exact_policy_probabilities_with_seven_digits():
    # high: search 0.1234567 | wait 0.8765433, low: recharge; the reviewer's value
    # (linear system in fractions) is V(high) = 5617283500/511111103
    result = runner.invoke(
        app,
        ["mdp", "evaluate", "recycling-robot", "-p",
         "high=search:0.1234567|wait:0.8765433,low=recharge", "--exact", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exact"]["high"] == "5617283500/511111103"
    third = rational_policy(np.array([1 / 3, 0.1234567]))
    assert third == [Fraction(1, 3), Fraction(1234567, 10**7)]


def test_iterative_trace_without_sweeps_is_capped():
    # random walk 19 converges in ~400 sweeps: show 1-10 and the last, not 400 columns
    result = runner.invoke(
        app, ["mdp", "evaluate", "random-walk-19", "-p", "uniform", "--method", "iterative",
              "--trace"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "showing sweeps 1-10 and" in result.stdout
    assert "k=10" in result.stdout and "k=11" not in result.stdout


def test_value_iteration_detects_a_positive_loop_at_gamma_1_early():
    # stay earns +1 forever: V*(a) = +inf; must be explained within a few hundred sweeps
    mdp = loads_mdp(
        """
gamma: 1
states: [a, b, end]
terminal: [end]
transitions:
  a: {go: {next: end, r: 1}, stay: {next: a, r: 1}}
  b: {go: {next: end, r: 0}, toa: {next: a, r: 0}}
""",
        "loop.yaml",
    )
    with pytest.raises(NumericalError, match=r"diverges.*rise by 1 every sweep"):
        value_iteration(mdp, max_sweeps=1000)


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


def test_float_near_tie_picks_the_better_action():
    # gamma = 0: Q(x) = 1e6, Q(y) = 1e6 + 1e-4; only y is optimal
    mdp = loads_mdp(
        """
gamma: 0
states: [a]
transitions:
  a: {x: {next: a, r: 1000000}, y: {next: a, r: 1000000.0001}}
""",
        "near.yaml",
    )
    for sol in (policy_iteration(mdp), value_iteration(mdp)):
        assert mdp.policy_of_pairs(sol.policy) == {"a": "y"}
        assert sol.optimal.tolist() == [False, True]


def test_start_policy_random_reaches_fig_4_1_in_one_improvement():
    # S&B Fig 4.1: greedy with respect to v_random is already optimal (v* top row 0,-1,-2,-3)
    for extra in ([], ["--exact"]):
        result = runner.invoke(
            app, ["mdp", "solve", "gridworld-4x4", "--start-policy", "uniform", "--json",
                  "--trace", *extra],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert [doc["values"][f"r0c{c}"] for c in range(4)] == [0, -1, -2, -3]
    trace = json.loads(
        runner.invoke(
            app, ["mdp", "solve", "gridworld-4x4", "--start-policy", "uniform", "--json",
                  "--trace"],
        ).stdout
    )["trace"]  # fmt: skip
    assert trace[0]["values"]["r0c3"] == pytest.approx(-22)  # v of the random policy
    assert len(trace) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["mdp", "solve", "recycling-robot", "--epsilon", "1e-3"],
        ["mdp", "solve", "recycling-robot", "--keep", "alpha"],
        ["mdp", "solve", "recycling-robot", "--method", "value-iteration", "--start-policy",
         "uniform"],
        ["mdp", "evaluate", "recycling-robot", "-p", "uniform", "--keep", "alpha"],
    ],
)  # fmt: skip
def test_ignored_options_are_refused(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "option" in result.output or "--symbolic" in result.output


def test_optimality_equations_label_max_terms_by_action():
    result = runner.invoke(app, ["mdp", "equations", "recycling-robot", "--optimal"])
    assert result.exit_code == 0, result.output
    # low: search, wait, recharge in file order; recharge moves to high with reward 0
    assert "wait: gamma*v*(low) + r_wait, recharge: gamma*v*(high))" in result.stdout


def test_frozenlake_undiscounted_value_and_no_looping_ties():
    # FrozenLake 4x4 with gamma = 1: the optimal success probability from the start is
    # 14/17 = 0.8235 (the value usually quoted for the undiscounted slippery lake).
    # 'up' in the corner ties in Q, but with it the top row can only loop (r0c1..r0c3's
    # only optimal action is up): no proper policy takes it, so it is not optimal.
    text = Path("problems/frozenlake-4x4.yaml").read_text().replace("gamma: 99/100", "gamma: 1")
    mdp = loads_mdp(text, "frozenlake-1.yaml")
    exact = policy_iteration(mdp, field=Fractions(mdp))
    assert exact.exact_values[mdp.state_index["r0c0"]] == Fraction(14, 17)
    for sol in (policy_iteration(mdp), value_iteration(mdp, epsilon=1e-8)):
        corner = [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(0) if sol.optimal[k]]
        assert corner == ["left", "down", "right"]
        assert sol.values[0] == pytest.approx(14 / 17, abs=1e-12)

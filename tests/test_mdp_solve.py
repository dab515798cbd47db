"""Policy and value iteration against published values (S&B Figs 3.5, 4.3; Silver)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import NumericalError
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.arithmetic import Fractions
from rlcli.mdp.solve.optimal import policy_iteration, value_iteration

runner = CliRunner()


def first_row(mdp, values):
    return [values[mdp.state_index[f"r0c{c}"]] for c in range(mdp.layout.shape[1])]


def test_fig_3_5_v_star_first_row():
    mdp = load_mdp("problems/gridworld-5x5.yaml")
    pi = policy_iteration(mdp)
    np.testing.assert_allclose(first_row(mdp, pi.values), [22.0, 24.4, 22.0, 19.4, 17.5], atol=0.05)
    vi = value_iteration(mdp, epsilon=1e-6)
    assert np.max(np.abs(vi.values - pi.values)) < 1e-6  # the promised epsilon


def test_student_mdp_optimal():
    mdp = load_mdp("problems/student-mdp.yaml")
    sol = policy_iteration(mdp)
    v = dict(zip(mdp.states, sol.values, strict=True))
    assert [v[s] for s in ("Facebook", "Class1", "Class2", "Class3")] == pytest.approx(
        [6, 6, 8, 10]
    )
    chosen = mdp.policy_of_pairs(sol.policy)
    assert chosen == {"Facebook": "quit", "Class1": "study", "Class2": "study", "Class3": "study"}


def test_gamblers_problem_v50_and_ties():
    mdp = load_mdp("problems/gamblers-problem.yaml")
    sol = policy_iteration(mdp)
    assert sol.values[mdp.state_index["s50"]] == pytest.approx(0.4, abs=1e-12)
    exact = policy_iteration(mdp, field=Fractions(mdp))
    assert str(exact.exact_values[mdp.state_index["s50"]]) == "2/5"
    # many optimal policies: s51 may stake 1 or 49 (S&B Fig 4.3's two branches)
    tied = [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(51) if exact.optimal[k]]
    assert tied == ["stake1", "stake49"]
    assert np.array_equal(exact.optimal, sol.optimal)  # float tolerance finds the same ties
    assert exact.optimal.sum() > mdp.n_states  # several states have more than one


def test_recycling_robot_pi_matches_vi_and_brute_force():
    mdp = load_mdp("problems/recycling-robot.yaml")
    sol = policy_iteration(mdp)
    # brute force over the 2 x 3 deterministic policies
    from rlcli.mdp.policy import resolve_policy
    from rlcli.mdp.solve.evaluate import evaluate_policy

    best = max(
        (evaluate_policy(mdp, resolve_policy(mdp, f"high={a},low={b}")).values
         for a in ("search", "wait") for b in ("search", "wait", "recharge")),
        key=lambda v: v.sum(),
    )  # fmt: skip
    np.testing.assert_allclose(sol.values, best, atol=1e-10)
    vi = value_iteration(mdp, epsilon=1e-3)
    assert np.max(np.abs(vi.values - sol.values)) < 1e-3
    assert vi.bound == pytest.approx(1e-3 * 0.1 / 1.8)


def test_value_iteration_stopping_bound_is_honest_at_gamma_099():
    mdp = load_mdp("problems/frozenlake-4x4.yaml")
    exact = policy_iteration(mdp).values
    for eps in (1e-2, 1e-4):
        vi = value_iteration(mdp, epsilon=eps)
        assert np.max(np.abs(vi.values - exact)) < eps


def test_no_proper_policy_is_explained():
    text = json.dumps(
        {
            "gamma": 1,
            "states": ["a", "b", "end"],
            "terminal": ["end"],
            "transitions": {
                "a": {"go": {"next": "end", "r": 1}, "trap": {"next": "b", "r": 0}},
                "b": {"loop": {"next": "b", "r": -1}},
            },
        }
    )
    mdp = loads_mdp(text, "trap.json", json_format=True)
    with pytest.raises(NumericalError, match=r"no policy reaches a terminal state.*: b\."):
        policy_iteration(mdp)


def test_pi_at_gamma_1_starts_from_a_proper_policy():
    # first action everywhere loops forever; the reachability start avoids it
    text = json.dumps(
        {
            "gamma": 1,
            "states": ["a", "b", "end"],
            "terminal": ["end"],
            "transitions": {
                "a": {"loop": {"next": "a", "r": -1}, "go": {"next": "b", "r": -1}},
                "b": {"loop": {"next": "b", "r": -1}, "go": {"next": "end", "r": -1}},
            },
        }
    )
    sol = policy_iteration(loads_mdp(text, "c.json", json_format=True))
    np.testing.assert_allclose(sol.values, [-2, -1, 0])


def test_cli_solve_json_keys_and_ties():
    result = runner.invoke(app, ["mdp", "solve", "gridworld-4x4", "--json", "--trace"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["values"]["r0c3"] == -3
    assert doc["optimal_actions"]["r0c3"] == ["down", "left"]
    assert doc["iterations"] == len(doc["trace"])
    assert {"values", "q", "policy", "iterations", "trace"} <= set(doc)


def test_cli_solve_exact_and_value_iteration():
    result = runner.invoke(app, ["mdp", "solve", "recycling-robot", "--exact", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # optimal: search when high, recharge when low (alpha=0.8, beta=0.6, gamma=0.9)
    assert doc["policy"] == {"high": "search", "low": "recharge"}
    assert doc["exact"] == {"high": "1000/59", "low": "900/59"}
    result = runner.invoke(
        app, ["mdp", "solve", "student-mdp", "--method", "value-iteration", "--trace"]
    )
    assert result.exit_code == 0, result.output
    assert "values after k sweeps" in result.stdout


@pytest.mark.parametrize(
    "name",
    ["cliff-walking", "frozenlake-4x4", "gamblers-problem", "gridworld-4x4", "gridworld-5x5",
     "random-walk-19", "random-walk-5", "recycling-robot", "student-mdp", "windy-gridworld"],
)  # fmt: skip
def test_every_problem_solves_and_evaluates(name):
    for args in (["mdp", "solve", name], ["mdp", "evaluate", name, "-p", "uniform"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)


def test_cli_solve_bad_options():
    for args in (
        ["mdp", "solve", "student-mdp", "--epsilon", "0"],
        ["mdp", "solve", "student-mdp", "--method", "value-iteration", "--exact"],
        ["mdp", "solve", "student-mdp", "--method", "nope"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)


def test_cli_value_iteration_trace_json_and_bound():
    result = runner.invoke(
        app, ["mdp", "solve", "recycling-robot", "--method", "value-iteration", "--epsilon",
              "0.01", "--trace", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["bound"] == pytest.approx(0.01 * 0.1 / 1.8)
    assert len(doc["trace"]) == doc["iterations"]
    # sweep 1 from V0 = 0: V1(s) = max_a r(s, a); high: search = 2;
    # low: search = 0.6*2 + 0.4*(-3) = 0, wait = 1, recharge = 0, so 1
    assert doc["trace"][0]["values"] == {"high": 2.0, "low": 1.0}
    exact = {"high": 1000 / 59, "low": 900 / 59}  # cautious policy is optimal here
    assert all(abs(doc["values"][s] - v) < 0.01 for s, v in exact.items())


def test_cli_solve_markdown_table():
    result = runner.invoke(app, ["mdp", "solve", "student-mdp", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "| state | value | action |" in lines
    assert "| Class3 | 10 | study |" in lines
    result = runner.invoke(app, ["mdp", "solve", "student-mdp", "--format", "latex", "--exact"])
    assert r"\begin{tabular}{lrrr}" in result.stdout and "Class3 & 10 & 10 & study" in result.stdout


def test_registering_the_commands_imports_no_sympy_or_scipy():
    import subprocess
    import sys

    code = "import sys, rlcli.cli.mdp_solve; print(sorted({'sympy', 'scipy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

"""Policy evaluation against published values (S&B Figs 4.1, 3.2; Silver's student MDP)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import NumericalError
from rlcli.mdp.policy import resolve_policy
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy, iterative_evaluation
from rlcli.mdp.solve.linsolve import solve_system

runner = CliRunner()

# S&B Fig 4.1, v_pi of the equiprobable policy, row by row
FIG_4_1 = np.array(
    [[0, -14, -20, -22], [-14, -18, -20, -20], [-20, -20, -18, -14], [-22, -20, -14, 0]]
)


def grid(mdp, values):
    rows, cols = mdp.layout.shape
    out = np.full((rows, cols), np.nan)
    for state, (r, c) in mdp.layout.cells.items():
        out[r, c] = values[mdp.state_index[state]]
    return out


def test_fig_4_1_v_pi_linear():
    mdp = load_mdp("problems/gridworld-4x4.yaml")
    ev = evaluate_policy(mdp, mdp.uniform_policy())
    np.testing.assert_allclose(grid(mdp, ev.values), FIG_4_1, atol=1e-9)
    assert ev.residual < 1e-9


def test_fig_4_1_sweeps_1_to_3():
    mdp = load_mdp("problems/gridworld-4x4.yaml")
    ev = iterative_evaluation(mdp, mdp.uniform_policy(), sweeps=3, trace=True)
    k1, k2, k3 = (grid(mdp, t.values) for t in ev.trace)
    live = np.ones((4, 4), dtype=bool)
    live[0, 0] = live[3, 3] = False
    assert np.all(k1[live] == -1)
    # sweep 2: -1 - 3/4 next to a terminal corner (book prints -1.7), else -2.0
    assert k2[0, 1] == k2[1, 0] == k2[3, 2] == k2[2, 3] == -1.75
    assert k2[0, 2] == k2[1, 1] == k2[3, 0] == -2.0
    # sweep 3 (book: -2.4, -2.9, -3.0): hand-computed exact values
    assert k3[0, 1] == -2.4375 and k3[0, 2] == -2.9375 and k3[0, 3] == -3.0
    assert k3[1, 1] == -2.875
    np.testing.assert_allclose(np.round(k3[0], 1), [0, -2.4, -2.9, -3.0])


def test_in_place_sweeps_converge_to_the_same_values():
    mdp = load_mdp("problems/gridworld-4x4.yaml")
    ev = iterative_evaluation(mdp, mdp.uniform_policy(), in_place=True)
    np.testing.assert_allclose(grid(mdp, ev.values), FIG_4_1, atol=1e-8)
    synchronous = iterative_evaluation(mdp, mdp.uniform_policy())
    assert ev.sweeps < synchronous.sweeps  # Gauss-Seidel converges in fewer sweeps


def test_fig_3_2_first_row():
    mdp = load_mdp("problems/gridworld-5x5.yaml")
    ev = evaluate_policy(mdp, mdp.uniform_policy())
    np.testing.assert_allclose(grid(mdp, ev.values)[0], [3.3, 8.8, 4.4, 5.3, 1.5], atol=0.05)


def test_student_mdp_uniform_policy():
    mdp = load_mdp("problems/student-mdp.yaml")
    ev = evaluate_policy(mdp, mdp.uniform_policy())
    v = dict(zip(mdp.states, ev.values, strict=True))
    assert v["Facebook"] == pytest.approx(-2.3, abs=0.05)
    assert v["Class1"] == pytest.approx(-1.3, abs=0.05)
    assert v["Class2"] == pytest.approx(2.7, abs=0.05)
    assert v["Class3"] == pytest.approx(7.4, abs=0.05)
    # Q_pi(Class3, pub) = 1 + 0.2 v(C1) + 0.4 v(C2) + 0.4 v(C3)
    k = mdp.pair("Class3", "pub")
    expected = 1 + 0.2 * v["Class1"] + 0.4 * v["Class2"] + 0.4 * v["Class3"]
    assert ev.q[k] == pytest.approx(expected)


def test_random_walk_true_values():
    mdp = load_mdp("problems/random-walk-19.yaml")
    ev = evaluate_policy(mdp, mdp.uniform_policy())
    expected = [(i - 10) / 10 for i in range(1, 20)]
    np.testing.assert_allclose(ev.values[1:20], expected, atol=1e-12)


def chain(n):
    """A corridor s0..s{n-1} ending in a terminal; every state can go on or stay."""
    states = [f"s{i}" for i in range(n)] + ["end"]
    transitions = {}
    for i in range(n):
        nxt = states[i + 1]
        transitions[states[i]] = {
            "go": {"next": nxt, "r": -1},
            "stay": {"next": states[i], "r": -1},
        }
    text = json.dumps(
        {"gamma": 1, "states": states, "terminal": ["end"], "transitions": transitions}
    )
    return loads_mdp(text, "chain.json", json_format=True)


def test_singular_policy_names_the_states():
    mdp = chain(4)
    # s2 stays forever; s0 and s1 lead into it; s3 still reaches the end
    pi = resolve_policy(mdp, "s0=go,s1=go,s2=stay,s3=go")
    with pytest.raises(NumericalError, match=r"3 state\(s\): s0, s1, s2"):
        evaluate_policy(mdp, pi)
    # a policy mixing stay and go terminates with probability 1: values are finite
    ev = evaluate_policy(mdp, resolve_policy(mdp, "*=go:1/2|stay:1/2"))
    np.testing.assert_allclose(ev.values[:4], [-8, -6, -4, -2])


def test_large_sparse_paths_agree_with_dense():
    rng = np.random.default_rng(0)
    import scipy.sparse as sp

    n = 2000
    rows = np.repeat(np.arange(n), 5)
    cols = rng.integers(0, n, size=5 * n)
    P = sp.csr_matrix((np.full(5 * n, 0.2), (rows, cols)), shape=(n, n))
    A = (sp.identity(n) - 0.95 * P).tocsr()
    b = rng.normal(size=n)
    x, method = solve_system(A, b)
    assert method == "gmres"
    np.testing.assert_allclose(x, np.linalg.solve(A.toarray(), b), atol=1e-8)
    x_lu, method = solve_system(A, b, hint="lu")
    assert method == "lu"
    np.testing.assert_allclose(x_lu, x, atol=1e-8)


def test_cli_evaluate_json_and_trace():
    result = runner.invoke(
        app,
        ["mdp", "evaluate", "problems/gridworld-4x4.yaml", "-p", "random", "--method",
         "iterative", "--sweeps", "2", "--trace", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [t["values"]["r0c1"] for t in doc["trace"]] == [-1.0, -1.75]
    assert doc["values"]["r0c1"] == -1.75
    assert set(doc["q"]["r0c1"]) == {"up", "down", "left", "right"}
    assert doc["policy"]["r0c1"] == {"up": 0.25, "down": 0.25, "left": 0.25, "right": 0.25}


def test_cli_evaluate_text_grid():
    result = runner.invoke(app, ["mdp", "evaluate", "gridworld-4x4", "-p", "random"])
    assert result.exit_code == 0, result.output
    assert "-22" in result.stdout and "↑↓←→" in result.stdout


def test_cli_bad_inputs_exit_2_without_traceback(tmp_path):
    cases = [
        ["mdp", "evaluate", "gridworld-4x4", "-p", "nosuch"],
        ["mdp", "evaluate", "gridworld-4x4", "-p", "random", "--sweeps", "3"],
        ["mdp", "evaluate", "recycling-robot", "-p", "cautious", "--exact", "--symbolic"],
        ["mdp", "evaluate", "gridworld-4x4", "-p", "*=up"],
    ]
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    result = runner.invoke(app, ["mdp", "evaluate", "gridworld-4x4", "-p", "*=up"])
    assert "does not reach a terminal state" in result.output


def test_cli_exact_sweeps_fig_4_1():
    result = runner.invoke(
        app,
        ["mdp", "evaluate", "gridworld-4x4", "-p", "random", "--method", "iterative",
         "--sweeps", "3", "--exact", "--trace", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # sweep 2: -1 - 3/4; sweep 3 at r0c1: -1 + (1/4)(-7/4 - 2 - 2 + 0) ... = -39/16
    assert [t["exact"]["r0c1"] for t in doc["trace"]] == ["-1", "-7/4", "-39/16"]
    assert doc["exact"]["r1c1"] == "-23/8"  # -2.875, printed -2.9 in the book


# ---- regressions from the review of mdp evaluate | solve | equations (issue 3) ----


def test_iterative_trace_without_sweeps_is_capped():
    # random walk 19 converges in ~400 sweeps: show 1-10 and the last, not 400 columns
    result = runner.invoke(
        app, ["mdp", "evaluate", "random-walk-19", "-p", "uniform", "--method", "iterative",
              "--trace"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "showing sweeps 1-10 and" in result.stdout
    assert "k=10" in result.stdout and "k=11" not in result.stdout


@pytest.mark.parametrize("extra", [[], ["--in-place"], ["--exact"]])
def test_k_sweeps_of_a_never_terminating_policy_at_gamma_1(extra):
    # 4x4 grid, gamma = 1, always right: only r3c2 reaches a terminal (r3c3). K sweeps are
    # finite sums, so they need no proper policy. From V0 = 0, every step costs -1:
    # V_1 = -1 everywhere non-terminal; V_2(r3c2) = -1 + V(r3c3) = -1, V_2(others) = -1 - 1.
    result = runner.invoke(
        app,
        ["mdp", "evaluate", "gridworld-4x4", "-p", "*=right", "--method", "iterative",
         "--sweeps", "2", "--json", *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)["values"]
    expected = {f"r{r}c{c}": -2.0 for r in range(4) for c in range(4)}
    expected |= {"r0c0": 0.0, "r3c3": 0.0, "r3c2": -1.0}
    assert values == pytest.approx(expected)


def test_sweeps_to_convergence_of_a_never_terminating_policy_are_refused():
    result = runner.invoke(
        app, ["mdp", "evaluate", "gridworld-4x4", "-p", "*=right", "--method", "iterative"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "r0c1" in result.output and "number of sweeps" in result.output


def test_value_iteration_without_a_proper_policy_names_value_iteration(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(
        "gamma: 1\nstates: [a, b, t]\nterminal: [t]\ntransitions:\n"
        "  a: {go: {next: b, r: -1}}\n  b: {back: {next: a, r: -1}}\n"
    )
    result = runner.invoke(app, ["mdp", "solve", str(path), "--method", "value-iteration"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "value iteration" in result.output and "policy iteration" not in result.output

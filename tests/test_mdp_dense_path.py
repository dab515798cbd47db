"""Small models are solved with dense NumPy arrays and never import SciPy; large ones with
SciPy's sparse matrices. Both paths must give the same answers."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import rlcli.mdp.model as model
import rlcli.mdp.solve.proper as proper
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import (
    evaluate_policy,
    expected_episode_length,
    iterative_evaluation,
)
from rlcli.mdp.solve.optimal import policy_iteration
from rlcli.mdp.solve.proper import improper_states, reachable_states

PROBLEMS = ["gridworld-4x4", "student-mdp", "recycling-robot", "random-walk-19", "cliff-walking"]


def _answers(name: str) -> dict[str, np.ndarray]:
    mdp = load_mdp(f"problems/{name}.yaml")
    pi = mdp.uniform_policy()
    start = np.zeros(mdp.n_states)
    start[0] = 1.0
    ev = evaluate_policy(mdp, pi)
    return {
        "v": ev.values,
        "q": ev.q,
        "sweeps": iterative_evaluation(mdp, pi, sweeps=5).values,
        "in_place": iterative_evaluation(mdp, pi, sweeps=5, in_place=True).values,
        "v_star": policy_iteration(mdp).values,
        "length": np.array([expected_episode_length(mdp, pi, start)]),
        "reach": reachable_states(mdp, pi, np.array([0])),
        "improper": improper_states(mdp, pi),
    }


@pytest.mark.parametrize("name", PROBLEMS)
def test_dense_and_sparse_paths_agree(name, monkeypatch):
    dense = _answers(name)
    monkeypatch.setattr(model, "DENSE_STATES", 0)  # every model takes the SciPy path
    monkeypatch.setattr(proper, "DENSE_STATES", 0)
    sparse = _answers(name)
    for key in dense:
        np.testing.assert_allclose(dense[key], sparse[key], rtol=1e-12, atol=1e-9, err_msg=key)


def test_random_walk_values_and_episode_length_on_both_paths(monkeypatch):
    # S&B Example 6.2: v(A..E) = 1/6 .. 5/6; from C the walk ends after
    # E[T] = k (n + 1 - k) = 3 * 3 = 9 steps (gambler's ruin with k = 3, n + 1 = 6)
    for dense_states in (model.DENSE_STATES, 0):
        monkeypatch.setattr(model, "DENSE_STATES", dense_states)
        monkeypatch.setattr(proper, "DENSE_STATES", dense_states)
        mdp = load_mdp("problems/random-walk-5.yaml")
        pi = mdp.uniform_policy()
        values = dict(zip(mdp.states, evaluate_policy(mdp, pi).values, strict=True))
        for name, sixths in zip("ABCDE", range(1, 6), strict=True):
            assert values[name] == pytest.approx(float(Fraction(sixths, 6)), abs=1e-12)
        start = np.zeros(mdp.n_states)
        start[mdp.state_index["C"]] = 1.0
        assert expected_episode_length(mdp, pi, start) == pytest.approx(9.0, abs=1e-9)


def _closure(n: int, src: np.ndarray, dst: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Reachability by brute force: R ← R ∨ R·A until it stops growing."""
    A = np.zeros((n, n), dtype=int)
    A[src, dst] = 1
    reach = np.zeros(n, dtype=int)
    reach[sources] = 1
    while True:
        grown = ((reach + reach @ A) > 0).astype(int)
        if np.array_equal(grown, reach):
            return reach.astype(bool)
        reach = grown


@pytest.mark.parametrize("dense_states", [600, 0])
def test_graph_search_against_brute_force(dense_states, monkeypatch):
    monkeypatch.setattr(proper, "DENSE_STATES", dense_states)
    rng = np.random.default_rng(7)
    for trial in range(30):
        n = int(rng.integers(1, 40))
        edges = int(rng.integers(0, 2 * n))
        src, dst = rng.integers(0, n, edges), rng.integers(0, n, edges)
        sources = np.unique(rng.integers(0, n, int(rng.integers(0, 3))))
        expected = _closure(n, src, dst, sources)
        np.testing.assert_array_equal(proper._search(n, src, dst, sources), expected, str(trial))


SMALL_COMMANDS = [
    ["estimate", "random-walk-5", "-p", "uniform", "--method", "td,mc", "--batch",
     "--init", "-1", "--runs", "3", "--episodes", "5"],
    ["mdp", "solve", "gridworld-4x4"],
    ["mdp", "evaluate", "student-mdp", "-p", "random", "--method", "iterative"],
    ["control", "cliff-walking", "--method", "q-learning", "--runs", "2", "--episodes", "3"],
]  # fmt: skip

_PROBE = """
import json, runpy, sys
sys.argv = ["rlcli", *json.loads(sys.argv[1])]
code = None
try:
    runpy.run_module("rlcli", run_name="__main__")
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"scipy", "sympy"})
sys.stderr.write("HEAVY=" + json.dumps([code, heavy]))
"""


@pytest.mark.parametrize("args", SMALL_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_small_models_do_not_import_scipy(args):
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([*args, "--json"])],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    code, heavy = json.loads(done.stderr.rpartition("HEAVY=")[2])
    assert code == 0, done.stderr
    assert heavy == []
    json.loads(done.stdout)  # a whole answer was written

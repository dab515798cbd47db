"""Sutton & Barto's Blackjack Monte Carlo figures (5.1, 5.3) on the bundled exact MDP.

Truth comes from a linear solve written here on the file's raw transition arrays; the
tolerances come from each estimator's standard error, never from the tool's own output.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.learn.episodes import iter_episodes
from rlcli.learn.offpolicy import importance_episode, ratios
from rlcli.mdp.read.load import load_mdp

FILE = Path(__file__).resolve().parent.parent / "problems" / "blackjack.yaml"
FIG_5_3_STATE = "p13_d2_ace"  # player sum 13, usable ace, dealer showing 2
FIG_5_3_VALUE = -0.27726  # S&B §5.5, Example 5.4


@cache
def mdp():
    return load_mdp(FILE)


def policy_matrices(pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_π (S, S) and r_π (S,) summed from the file's (pair, outcome) arrays."""
    m = mdp()
    S = m.n_states
    pair_of_outcome = np.repeat(np.arange(m.n_pairs), np.diff(m.out_ptr))
    weight = pi[pair_of_outcome] * m.out_prob
    P = np.zeros((S, S))
    np.add.at(P, (m.pair_state[pair_of_outcome], m.out_next), weight)
    r = np.zeros(S)
    np.add.at(r, m.pair_state[pair_of_outcome], weight * m.out_reward)
    return P, r


def exact_values(pi: np.ndarray) -> np.ndarray:
    """v_π = (I − P_NN)^{-1} r_N on the non-terminal states N (γ = 1, Bellman eq. 4.4)."""
    P, r = policy_matrices(pi)
    live = ~mdp().terminal
    v = np.zeros(mdp().n_states)
    v[live] = np.linalg.solve(np.eye(live.sum()) - P[np.ix_(live, live)], r[live])
    return v


def visit_probability(pi: np.ndarray) -> np.ndarray:
    """Expected visits per episode d = μ_N + P_NN^T d. A Blackjack state never repeats within
    an episode (the sum grows, or a usable ace turns into a hard sum), so d(s) is also the
    probability that an episode visits s: its expected number of first visits."""
    P, _ = policy_matrices(pi)
    live = ~mdp().terminal
    d = np.zeros(mdp().n_states)
    d[live] = np.linalg.solve(np.eye(live.sum()) - P[np.ix_(live, live)].T, mdp().start[live])
    return d


def estimate(*args: str) -> dict:
    result = CliRunner().invoke(app, ["estimate", str(FILE), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# ---- Figure 5.1: first-visit MC prediction of stick-on-20 -----------------------------------


def test_fig_5_1_first_visit_mc_agrees_with_linear_solve_and_rms_falls():
    m = mdp()
    pi = m.policies["stick-on-20"]
    N = 100_000
    doc = estimate("-p", "stick-on-20", "--method", "mc", "--visit", "first",
                   "--episodes", str(N), "--runs", "1", "--seed", "3")  # fmt: skip
    truth = exact_values(pi)
    reported = np.array([doc["true_values"][s] for s in m.states])
    np.testing.assert_allclose(reported, truth, atol=1e-12)
    (result,) = doc["results"]
    V = np.array([result["final_values"][s] for s in m.states])
    # Returns lie in [−1, 1], so Var(G | s) ≤ E[G²] − v² ≤ 1 − v². A state expected to be
    # visited n = N d(s) times is visited at least n − 5√n times (binomial, 5σ), so its
    # sample average has SE ≤ sqrt((1 − v²) / (n − 5√n)).
    n = N * visit_probability(pi)
    sure = (~m.terminal) & (np.abs(truth) > 1 - 1e-12)  # e.g. natural_d2: the return is +1
    np.testing.assert_allclose(V[sure & (n >= 1)], truth[sure & (n >= 1)], atol=1e-12)
    well = (~m.terminal) & (n >= 200) & ~sure
    assert well.sum() >= 100  # of 210 non-terminal states; rare ones are sums reached by few hands
    se = np.sqrt((1 - truth[well] ** 2) / (n[well] - 5 * np.sqrt(n[well])))
    z = np.abs(V[well] - truth[well]) / se
    assert z.max() < 5, [m.states[i] for i in np.flatnonzero(well)[z >= 5]]
    assert 0.4 < np.sqrt(np.mean(z**2)) < 1.6  # errors are of the size of the SE, not much smaller
    # The RMS error over all states shrinks like 1/√N: from 10k to 100k episodes by √10 ≈ 3.2
    # for every state visited at both points (expected ≥ 2 visits at 10k: all of them).
    rms = result["rms"]
    assert len(rms) == N + 1
    assert rms[10_000] > 2.0 * rms[N]

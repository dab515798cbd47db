"""Sutton & Barto's Blackjack Monte Carlo figures (5.1, 5.3) on the bundled exact MDP.

Truth comes from a linear solve written here on the file's raw transition arrays; the
tolerances come from each estimator's standard error, never from the tool's own output.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
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


# ---- Figure 5.3: off-policy estimation of one state by importance sampling --------------------


def test_fig_5_3_state_value_matches_sutton_barto():
    # S&B give −0.27726 as the average of 10^8 returns under the target policy; returns are
    # in {−1, 0, 1}, so that average has SE ≈ √(1 − 0.277²)/10^4 ≈ 1e-4. Our exact value
    # (linear solve) must lie within that: it is −0.277204, 5.6e-5 from the book's estimate.
    m = mdp()
    truth = exact_values(m.policies["stick-on-20"])[m.state_index[FIG_5_3_STATE]]
    assert abs(truth - FIG_5_3_VALUE) < 1e-4
    doc = estimate("-p", "stick-on-20", "--method", "mc", "--behavior", "uniform",
                   "--start", FIG_5_3_STATE, "--runs", "2", "--episodes", "10")  # fmt: skip
    assert abs(doc["true_values"][FIG_5_3_STATE] - truth) < 1e-12


def importance_sampling_estimates(runs: int, episodes: int, seed: int) -> dict[str, np.ndarray]:
    """V(FIG_5_3_STATE) after each episode, (runs, episodes), for ordinary and weighted IS,
    episodes from the uniformly random behaviour policy started in that state (Fig 5.3)."""
    m = mdp()
    pi, b = m.policies["stick-on-20"], m.uniform_policy()
    s = m.state_index[FIG_5_3_STATE]
    start = np.zeros(m.n_states)
    start[s] = 1.0
    ratio = ratios(m, pi, b)
    out = {}
    for kind in ("ordinary", "weighted"):
        V = np.zeros((runs, m.n_states))
        sums = np.zeros((3, runs, m.n_states))
        weighted = np.full(runs, kind == "weighted")
        trace = np.zeros((runs, episodes))
        for ep in iter_episodes(m, b, start, runs, episodes, seed, 1000):
            importance_episode(V, ep, sums, ratio, weighted, True, 0.0, m.terminal)
            trace[:, ep.index] = V[:, s]
        out[kind] = trace
    return out


def test_fig_5_3_ordinary_is_unbiased_weighted_is_lower_variance():
    m = mdp()
    pi = m.policies["stick-on-20"]
    truth = exact_values(pi)[m.state_index[FIG_5_3_STATE]]
    runs, episodes = 400, 100
    est = importance_sampling_estimates(runs, episodes, seed=5)
    ordinary, weighted = est["ordinary"], est["weighted"]
    # Ordinary IS (eq. 5.5) is unbiased at every episode count: the mean over independent
    # runs lies within 4 standard errors (of that mean) of v_π.
    for e in (0, 9, 99):
        x = ordinary[:, e]
        assert abs(x.mean() - truth) < 4 * x.std(ddof=1) / np.sqrt(runs), e
    # Weighted IS (eq. 5.6) has lower variance, hence lower mean squared error (Fig 5.3):
    # after 1 episode the ordinary estimate ρG reaches ±2^T, after 10 its variance is still
    # about twice the weighted one (the two curves close up by 100 episodes).
    for e in (0, 9):
        assert weighted[:, e].var() < ordinary[:, e].var(), e
        mse_w = np.mean((weighted[:, e] - truth) ** 2)
        mse_o = np.mean((ordinary[:, e] - truth) ** 2)
        assert mse_w < mse_o, e


def test_fig_5_3_weighted_is_is_biased_after_one_episode():
    # After one episode, weighted IS is G if the behaviour happened to take the target's
    # actions all the way (ρ > 0) and V0 = 0 otherwise. Given ρ > 0 the episode is distributed
    # as under π, so E[V] = v_π q with q = P(ρ > 0): biased towards 0. q solves
    # q(s) = ½ Σ P(s'|s, π(s)) q(s'), q(terminal) = 1 (uniform behaviour: ½ per step).
    m = mdp()
    pi = m.policies["stick-on-20"]
    P, _ = policy_matrices(pi)
    live = ~m.terminal
    q_live = np.linalg.solve(
        np.eye(live.sum()) - 0.5 * P[np.ix_(live, live)], 0.5 * P[np.ix_(live, ~live)].sum(axis=1)
    )
    s = m.state_index[FIG_5_3_STATE]
    q = q_live[np.flatnonzero(live) == s][0]
    truth = exact_values(pi)[s]
    runs = 4000
    first = importance_sampling_estimates(runs, 1, seed=11)["weighted"][:, 0]
    se = first.std(ddof=1) / np.sqrt(runs)
    assert abs(first.mean() - truth * q) < 4 * se
    assert abs(first.mean() - truth) > 4 * se  # the bias is visible


def second_moment_of_rho_g(start: int) -> float:
    """E_b[(ρG)²] from ``start`` under the uniform behaviour b, solved exactly.

    π is deterministic and b picks each of two actions with probability ½, so an episode
    that follows π for T decisions has ρ = 2^T, and E_b[ρ²G²] = E_π[ρG²] = E_π[2^T G²].
    Rewards come only on the last transition, so w(s) = E_π[2^T G² | s] solves
    w(s) = 2 Σ p(s'|s, π(s)) (r² if s' is terminal, else w(s')).
    """
    m = mdp()
    pi = m.policies["stick-on-20"]
    pair_of_outcome = np.repeat(np.arange(m.n_pairs), np.diff(m.out_ptr))
    ends = m.terminal[m.out_next]
    assert np.all(m.out_reward[~ends] == 0)
    P, _ = policy_matrices(pi)
    c = np.zeros(m.n_states)
    weight = pi[pair_of_outcome] * m.out_prob
    np.add.at(c, m.pair_state[pair_of_outcome], weight * ends * m.out_reward**2)
    live = ~m.terminal
    w = np.zeros(m.n_states)
    w[live] = np.linalg.solve(np.eye(live.sum()) - 2 * P[np.ix_(live, live)], 2 * c[live])
    return float(w[start])


def test_fig_5_3_from_the_command_line_100_runs_of_10000_episodes():
    m = mdp()
    s = m.state_index[FIG_5_3_STATE]
    truth = exact_values(m.policies["stick-on-20"])[s]
    doc = estimate("-p", "stick-on-20", "--method", "mc", "--behavior", "uniform",
                   "--start", FIG_5_3_STATE, "--visit", "first", "--runs", "100",
                   "--episodes", "10000", "--error-state", FIG_5_3_STATE)  # fmt: skip
    assert doc["error_state"] == FIG_5_3_STATE
    assert abs(doc["error_state_value"] - truth) < 1e-12
    ordinary, weighted = (
        next(r for r in doc["results"] if r["importance"] == kind)
        for kind in ("ordinary", "weighted")
    )
    finals = np.array(ordinary["state_values"])
    assert finals.shape == (100,)
    # Ordinary IS is unbiased: the mean of the 100 runs' final estimates lies within 3 standard
    # errors of S&B's −0.27726 (and of the exact −0.277204).
    se = finals.std(ddof=1) / np.sqrt(100)
    assert abs(finals.mean() - FIG_5_3_VALUE) < 3 * se
    assert abs(finals.mean() - truth) < 3 * se
    # The curve is the runs' squared error: its last point is the mean of (final − v_π)².
    mse_o, mse_w = np.array(ordinary["mse"]), np.array(weighted["mse"])
    assert len(mse_o) == len(mse_w) == 10_001
    assert mse_o[-1] == pytest.approx(np.mean((finals - truth) ** 2), rel=1e-9)
    # The start state is visited once per episode (a Blackjack state never repeats), so the
    # ordinary estimate after n episodes is a mean of n i.i.d. ρG: MSE = Var_b(ρG)/n, with
    # Var_b(ρG) = E_b[(ρG)²] − v² ≈ 10.16 solved exactly. Over 100 runs the measured MSE of a
    # near-normal mean is σ²/n · χ²₁₀₀/100: within ±40% (2.8 standard deviations).
    variance = second_moment_of_rho_g(s) - truth**2
    assert 0.6 < mse_o[-1] / (variance / 10_000) < 1.4
    # Weighted IS has the lower error (S&B Fig 5.3): clearly after 10 episodes, slightly at
    # the end (asymptotic variance per episode 9.5 against 10.2).
    assert mse_w[10] < mse_o[10]
    assert mse_w[-1] < mse_o[-1]


# ---- Figure 5.2: Monte Carlo ES finds the optimal policy --------------------------------------


def optimal_action_values() -> np.ndarray:
    """q*(s, a) per pair by value iteration on the Bellman optimality equation (eq. 3.20),
    γ = 1: Blackjack's episodes end within 11 steps, so 50 sweeps are exact to rounding."""
    m = mdp()
    pair_of_outcome = np.repeat(np.arange(m.n_pairs), np.diff(m.out_ptr))
    v = np.zeros(m.n_states)
    for _ in range(50):
        q = np.bincount(pair_of_outcome, m.out_prob * (m.out_reward + v[m.out_next]),
                        minlength=m.n_pairs)  # fmt: skip
        v = np.full(m.n_states, -np.inf)
        np.maximum.at(v, m.pair_state, q)
        v[m.terminal] = 0.0
    return q


def test_fig_5_2_mc_es_reaches_the_optimal_actions():
    m = mdp()
    q = optimal_action_values()
    result = CliRunner().invoke(
        app, ["control", str(FILE), "--method", "mc-es", "--runs", "1",
              "--episodes", "100000", "--seed", "2", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    learned = doc["results"][0]["policy"]
    v_star = [max(q[k] for k in m.pairs_of(s)) for s in range(m.n_states) if not m.terminal[s]]
    solved = [doc["optimal_values"][name] for s, name in enumerate(m.states) if not m.terminal[s]]
    np.testing.assert_allclose(solved, v_star, atol=1e-9)  # the tool's policy iteration agrees
    agree, clear, clear_agree = 0, 0, 0
    for s, name in enumerate(m.states):
        if m.terminal[s]:
            continue
        k = list(m.pairs_of(s))
        best = m.actions[m.pair_action[k[int(np.argmax(q[k]))]]]
        gap = abs(q[k[0]] - q[k[1]])
        agree += learned[name] == best
        # 100,000 exploring starts spread over 420 pairs start each pair ~240 times (more
        # returns come from later visits), returns in [−1, 1]: SE ≤ 1/√240 ≈ 0.065 per
        # action value, ≈ 0.09 for a difference; a gap of 0.25 is nearly 3 SE of it.
        if gap >= 0.25:
            clear += 1
            clear_agree += learned[name] == best
    assert clear >= 100
    assert clear_agree == clear  # every clear-cut state has S&B's Figure 5.2 action
    assert agree >= 0.9 * 210  # and 90% of all 210 non-terminal states (each has two actions)

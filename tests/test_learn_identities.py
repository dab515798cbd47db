"""Cross-checks between methods that must agree exactly, λ-returns against their
definition, sampling frequencies, and importance-sampling facts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rlcli.learn.episodes import Episode, Sampler, discounted_returns, start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.learn.steps import Rows
from rlcli.learn.td_lambda import lambda_returns
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def experiment(name: str, runs: int = 8, episodes: int = 15, v0: float = 0.3, gamma=None):
    mdp = load_mdp(PROBLEMS / name)
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    return Experiment(mdp, pi, truth, start_distribution(mdp, None), runs, episodes, 7, v0=v0)


def finals(exp: Experiment, settings: list[Setting]) -> list[np.ndarray]:
    return [r.rms_runs for r in run_prediction(exp, settings)]


@pytest.mark.parametrize("name", ["random-walk-19.yaml", "student-mdp.yaml"])
def test_methods_that_reduce_to_td0_give_identical_curves(name):
    exp = experiment(name)
    td, nstep1, acc0, rep0, true0 = finals(
        exp,
        [
            Setting("td", alpha=0.2),
            Setting("nstep", alpha=0.2, n=1),
            Setting("td-lambda", alpha=0.2, lam=0.0, variant="accumulating"),
            Setting("td-lambda", alpha=0.2, lam=0.0, variant="replacing"),
            Setting("td-lambda", alpha=0.2, lam=0.0, variant="true-online"),
        ],
    )
    for other in (nstep1, acc0, rep0, true0):
        assert np.allclose(other, td, atol=1e-12)


def test_long_nstep_and_offline_lambda_one_are_constant_alpha_every_visit_mc():
    exp = experiment("random-walk-19.yaml")
    mc, nstep_inf, offline1 = finals(
        exp,
        [
            Setting("mc", alpha=0.1, visit="every"),
            Setting("nstep", alpha=0.1, n=100_000),
            Setting("td-lambda", alpha=0.1, lam=1.0, variant="offline"),
        ],
    )
    assert np.allclose(nstep_inf, mc, atol=1e-12)
    assert np.allclose(offline1, mc, atol=1e-12)


def test_a_setting_does_not_depend_on_the_rest_of_the_sweep():
    exp = experiment("random-walk-5.yaml")
    (alone,) = finals(exp, [Setting("nstep", alpha=0.3, n=2)])
    swept = finals(exp, [Setting("nstep", alpha=a, n=k) for k in (1, 2, 3) for a in (0.1, 0.3)])
    assert np.array_equal(swept[3], alone)


def test_lambda_return_recursion_matches_the_weighted_sum_of_n_step_returns():
    # G^λ_t = (1−λ) Σ_{n=1}^{T−t−1} λ^{n−1} G_{t:t+n} + λ^{T−t−1} G_t  (S&B eq. 12.3)
    gamma, lam = 0.9, 0.7
    states = np.array([[1, 2, 1, 3, 0]])  # state 0 terminal, T = 4
    rewards = np.array([[1.0, -2.0, 0.5, 3.0]])
    V = np.array([[0.0, 0.4, -0.3, 1.2]])
    T = 4
    ep = Episode(0, states, rewards, np.zeros((1, T), dtype=np.int64), np.array([T]),
                 np.array([False]), discounted_returns(rewards, gamma))  # fmt: skip
    rows = Rows(np.array([0]), np.array([0.1]), np.zeros((1, 4)))
    got = lambda_returns(V, ep, rows, np.array([lam]), gamma)[0]

    def n_step(t: int, n: int) -> float:
        h = min(t + n, T)
        g = sum(gamma ** (i - t) * rewards[0, i] for i in range(t, h))
        return g + (gamma ** (h - t) * V[0, states[0, h]] if h < T else 0.0)

    for t in range(T):
        expected = (1 - lam) * sum(lam ** (n - 1) * n_step(t, n) for n in range(1, T - t))
        expected += lam ** (T - t - 1) * n_step(t, T - t)
        assert got[t] == pytest.approx(expected, abs=1e-12)


def test_sampler_draws_outcomes_with_their_probabilities():
    # Student MDP, Class3/pub: Class1 0.2, Class2 0.4, Class3 0.4
    mdp = load_mdp(PROBLEMS / "student-mdp.yaml")
    k = mdp.pair("Class3", "pub")
    n = 200_000
    z = Sampler.of(mdp).outcome(np.full(n, k), np.random.default_rng(3).random(n))
    counts = np.bincount(mdp.out_next[z], minlength=mdp.n_states) / n
    for state, p in (("Class1", 0.2), ("Class2", 0.4), ("Class3", 0.4)):
        assert abs(counts[mdp.state_index[state]] - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_importance_sampling_after_one_episode_ordinary_and_weighted():
    # Target: always study from Class1 (return −2 −2 +10 = 6); behaviour: uniform, so the
    # first visit to Class1 has ρ = (1/(1/2))³ = 8 if the behaviour followed the target,
    # else 0. S&B §5.5: weighted IS gives G = 6 (the ratio cancels), ordinary gives ρG = 48;
    # with ρ = 0 ordinary gives 0 and weighted keeps V0.
    mdp = load_mdp(PROBLEMS / "student-mdp.yaml")
    from rlcli.mdp.policy import resolve_policy

    target = resolve_policy(mdp, "Facebook=quit,Class1=study,Class2=study,Class3=study")
    truth = evaluate_policy(mdp, target).values
    s = mdp.state_index["Class1"]
    assert truth[s] == pytest.approx(6.0)
    seen = set()
    for seed in range(40):
        exp = Experiment(mdp, target, truth, start_distribution(mdp, "Class1"), 1, 1, seed,
                         v0=-1.0, behavior=mdp.uniform_policy())  # fmt: skip
        ordinary, weighted = run_prediction(
            exp, [Setting("mc", visit="first", importance=k) for k in ("ordinary", "weighted")]
        )
        pair = (round(ordinary.final_values[s], 9), round(weighted.final_values[s], 9))
        assert pair in {(48.0, 6.0), (0.0, -1.0)}
        seen.add(pair)
    assert seen == {(48.0, 6.0), (0.0, -1.0)}


def test_policy_sampling_when_the_first_state_is_terminal():
    # gridworld-4x4: state 0 is terminal (no pairs); the uniform policy in the next state
    # must still pick each of its four actions with probability 1/4
    mdp = load_mdp(PROBLEMS / "gridworld-4x4.yaml")
    assert mdp.terminal[0]
    sampler = Sampler.of(mdp)
    table = sampler.action_table(mdp.uniform_policy())
    n = 100_000
    for s in (1, 5, 14):
        k = sampler.action(table, np.full(n, s), np.random.default_rng(s).random(n))
        freq = np.bincount(k - mdp.pair_ptr[s], minlength=4) / n
        assert np.all(np.abs(freq - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)), (s, freq)


def test_fig_4_1_values_recovered_by_sample_average_mc():
    # S&B Fig 4.1: v_π(r0c1) = −14 for the equiprobable policy; first-visit MC with
    # sample averages is unbiased, so the mean over runs is within a few standard errors
    mdp = load_mdp(PROBLEMS / "gridworld-4x4.yaml")
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    exp = Experiment(mdp, pi, truth, start_distribution(mdp, "r0c1"), 20, 150, 2, v0=0.0)
    (result,) = run_prediction(exp, [Setting("mc", visit="first")])
    assert truth[mdp.state_index["r0c1"]] == pytest.approx(-14)
    # returns from r0c1 have s.d. ≈ 14; 3000 episodes → s.e. ≈ 0.26
    assert result.final_values[mdp.state_index["r0c1"]] == pytest.approx(-14, abs=1.0)

"""The vectorised tasks: CartPole against its equations, bandit, MDP sampling."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rlcli.envs.bandit import BanditEnv
from rlcli.envs.cartpole import CartPoleEnv, cartpole_step
from rlcli.envs.gridworld import GridworldEnv
from rlcli.mdp.read.load import load_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def cartpole_reference(state, action):
    """Barto-Sutton-Anderson cart-pole without friction (Florian 2007, eqs. 23-24), Euler τ=0.02."""
    g, mc, mp, half, tau = 9.8, 1.0, 0.1, 0.5, 0.02
    x, xd, th, thd = state
    F = 10.0 if action == 1 else -10.0
    M = mc + mp
    thdd = (g * math.sin(th) + math.cos(th) * (-F - mp * half * thd**2 * math.sin(th)) / M) / (
        half * (4.0 / 3.0 - mp * math.cos(th) ** 2 / M)
    )
    xdd = (F + mp * half * (thd**2 * math.sin(th) - thdd * math.cos(th))) / M
    return [x + tau * xd, xd + tau * xdd, th + tau * thd, thd + tau * thdd]


def test_cartpole_step_matches_equations():
    rng = np.random.default_rng(1)
    states = rng.uniform([-2, -2, -0.2, -2], [2, 2, 0.2, 2], size=(50, 4))
    actions = rng.integers(0, 2, 50)
    ours = cartpole_step(states, actions)
    ref = np.array([cartpole_reference(s, a) for s, a in zip(states, actions, strict=False)])
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_cartpole_termination_truncation_and_reward():
    env = CartPoleEnv(2, max_episode_steps=500)
    assert env.max_episode_steps == 500
    env.reset(seed=0)
    # x just inside the limit: not terminated; beyond 2.4 next step: terminated
    env.state = np.array([[2.39, 1.0, 0.0, 0.0], [0.0, 0.0, 0.2, 0.0]])
    obs, r, term, _trunc, info = env.step(np.array([1, 1]))
    assert r.tolist() == [1.0, 1.0]
    # x = 2.39 + 0.02·1 = 2.41 > 2.4; θ = 0.2 < 12° = 0.2094 → second not terminated
    assert term.tolist() == [True, False]
    np.testing.assert_allclose(info["final_obs"][0, 0], 2.41)
    assert abs(obs[0]).max() <= 0.05  # reset in the same step
    short = CartPoleEnv(1, max_episode_steps=3)
    short.reset(seed=0)
    flags = [short.step(np.array([i % 2]))[3][0] for i in range(3)]
    assert flags == [False, False, True]


def test_cartpole_reset_is_seeded_and_small():
    a, _ = CartPoleEnv(4).reset(seed=7)
    b, _ = CartPoleEnv(4).reset(seed=7)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a).max() <= 0.05
    g, _ = CartPoleEnv(4).reset(seed=7, options={"group_size": 2})
    np.testing.assert_array_equal(g[0], g[1])
    np.testing.assert_array_equal(g[2], g[3])


def test_cartpole_matches_gymnasium_when_installed():
    gym = pytest.importorskip("gymnasium")
    env = gym.make("CartPole-v1").unwrapped
    env.reset(seed=0)
    ours = CartPoleEnv(1)
    ours.reset(seed=0)
    rng = np.random.default_rng(0)
    state = np.array(env.state, dtype=float)
    for _ in range(200):
        ours.state = state[None].copy()
        env.state = tuple(state)
        env.steps_beyond_terminated = None  # a state set by hand, not stepped past an end
        a = int(rng.integers(2))
        env.step(a)
        nxt = cartpole_step(state[None], np.array([a]))[0]
        # np.sin/np.cos (SIMD on some CPUs) may differ from math's in the last bit
        np.testing.assert_allclose(nxt, np.array(env.state, dtype=float), rtol=1e-13, atol=1e-15)
        state = nxt if abs(nxt[2]) < 0.2 and abs(nxt[0]) < 2.4 else rng.uniform(-0.05, 0.05, 4)


def test_bandit_means_follow_the_seed_and_rewards_have_them_as_mean():
    env = BanditEnv(20_000, k=3, arms="bernoulli")
    env.reset(seed=3)
    means = env.means.copy()
    _, r, term, trunc, _ = env.step(np.full(20_000, 1))
    assert term.all() and not trunc.any()
    assert abs(r.mean() - means[1]) < 4 * math.sqrt(means[1] * (1 - means[1]) / 20_000)
    env2 = BanditEnv(2, k=3, arms="bernoulli")
    env2.reset(seed=3)
    np.testing.assert_array_equal(env2.means, means)


def test_gridworld_samples_transition_probabilities():
    # FrozenLake: intended move with probability 1/3, each perpendicular with 1/3
    mdp = load_mdp(PROBLEMS / "frozenlake-4x4.yaml")
    n = 30_000
    env = GridworldEnv(mdp, n)
    env.reset(seed=0)
    s = mdp.state_index[next(s for s in mdp.states if mdp.layout.cells[s] == (1, 2))]
    env.state[:] = s
    a = mdp.action_index["down"]
    _, _, _, _, info = env.step(np.full(n, a))
    nxt = info["final_obs"].argmax(axis=1)
    k = mdp.pair(mdp.states[s], "down")
    for z in mdp.outcomes(k):
        freq = (nxt == mdp.out_next[z]).mean()
        p = mdp.out_prob[z]
        assert abs(freq - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_gridworld_masks_actions_and_terminates():
    mdp = load_mdp(PROBLEMS / "recycling-robot.yaml")
    env = GridworldEnv(mdp, 2, max_episode_steps=2)
    env.reset(seed=0)
    env.state[:] = [mdp.state_index["high"], mdp.state_index["low"]]
    mask = env.action_mask()
    assert mask[0, mdp.action_index["recharge"]] == False  # noqa: E712
    assert mask[1, mdp.action_index["recharge"]] == True  # noqa: E712
    env.step(np.array([mdp.action_index["wait"]] * 2))
    _, _, term, trunc, _ = env.step(np.array([mdp.action_index["wait"]] * 2))
    assert trunc.all() and not term.any()

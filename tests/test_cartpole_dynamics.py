"""The vectorised CartPole step against Gymnasium's scalar equations, written out here."""

from __future__ import annotations

import math

import numpy as np

from rlcli.envs.cartpole import CartPoleEnv, cartpole_step, cartpole_terminated


def gymnasium_step(state: tuple[float, float, float, float], action: int):
    """Gymnasium 1.x ``CartPoleEnv.step`` (Euler), one copy, Python floats."""
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    total_mass, polemass_length = masspole + masscart, masspole * length
    x, x_dot, theta, theta_dot = state
    force = force_mag if action == 1 else -force_mag
    costheta, sintheta = math.cos(theta), math.sin(theta)
    temp = (force + polemass_length * theta_dot**2 * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * costheta**2 / total_mass)
    )
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x, x_dot = x + tau * x_dot, x_dot + tau * xacc
    theta, theta_dot = theta + tau * theta_dot, theta_dot + tau * thetaacc
    theta_max = 12 * 2 * math.pi / 360
    terminated = x < -2.4 or x > 2.4 or theta < -theta_max or theta > theta_max
    return (x, x_dot, theta, theta_dot), terminated


def test_step_and_termination_match_gymnasiums_equations() -> None:
    rng = np.random.default_rng(0)
    state = rng.uniform([-2.5, -3, -0.25, -3], [2.5, 3, 0.25, 3], size=(200, 4))
    actions = rng.integers(0, 2, 200)
    ours = cartpole_step(state, actions)
    flags = cartpole_terminated(ours)
    for i in range(200):
        theirs, terminated = gymnasium_step(tuple(state[i]), int(actions[i]))
        # np.cos/np.sin may differ from math's in the last bit; the rest is the same arithmetic
        np.testing.assert_allclose(ours[i], theirs, rtol=1e-13, atol=1e-15)
        assert flags[i] == terminated
    assert 20 < flags.sum() < 180  # both outcomes are exercised


def test_restart_keeps_the_final_observation_and_counts_steps() -> None:
    env = CartPoleEnv(3, max_episode_steps=5)
    env.reset(seed=1)
    env.state[1] = [0.0, 0.0, 0.2, 2.0]  # falls past 12° on the next push
    before = env.state.copy()
    obs, reward, terminated, truncated, info = env.step(np.array([1, 1, 0]))
    expected = cartpole_step(before, np.array([1, 1, 0]))
    np.testing.assert_array_equal(info["final_obs"], expected)
    assert terminated.tolist() == [False, True, False] and not truncated.any()
    np.testing.assert_array_equal(obs[[0, 2]], expected[[0, 2]])
    assert np.abs(obs[1]).max() <= 0.05  # copy 1 restarted from a fresh uniform start
    assert reward.tolist() == [1.0, 1.0, 1.0]
    for _ in range(4):
        _, _, terminated, truncated, _ = env.step(np.array([0, 1, 0]))
    assert truncated.tolist() == [True, False, True]  # 5 steps for copies 0 and 2, 4 for copy 1

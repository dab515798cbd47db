"""CartPole-v1 with exactly Gymnasium's dynamics, N copies in arrays.

Description: a pole on a cart on a frictionless track (Barto, Sutton & Anderson 1983);
Gymnasium's equations (Florian 2007 correction), explicit Euler, τ = 0.02 s.
Actions: 0 push left, 1 push right (force ∓10 N).
Observations: (x, ẋ, θ, θ̇), float64 (Gymnasium returns them rounded to float32).
Rewards: +1 every step, including the one that terminates.
Episode end: terminated when |x| > 2.4 or |θ| > 12° (2π·12/360 rad); truncated after 500
steps. Start: each coordinate uniform in [−0.05, 0.05].
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rlcli.envs.vector import group_starts

GRAVITY = 9.8
MASSCART = 1.0
MASSPOLE = 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5  # half the pole's length
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


def cartpole_step(state: np.ndarray, action: np.ndarray) -> np.ndarray:
    """One Euler step of the cart-pole equations, (N, 4) → (N, 4), in Gymnasium's operation order.

    θ̈ = (g sinθ − cosθ·tmp) / (l (4/3 − m_p cos²θ / M)),  tmp = (F + m_p l θ̇² sinθ) / M,
    ẍ = tmp − m_p l θ̈ cosθ / M;  (x, ẋ, θ, θ̇) ← (x, ẋ, θ, θ̇) + τ (ẋ, ẍ, θ̇, θ̈).
    """
    theta, theta_dot = state[:, 2], state[:, 3]
    force = np.where(action == 1, FORCE_MAG, -FORCE_MAG)
    costheta = np.cos(theta)
    sintheta = np.sin(theta)
    temp = (force + POLEMASS_LENGTH * theta_dot**2 * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * costheta**2 / TOTAL_MASS)
    )
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    rates = state[:, [1, 1, 3, 3]]  # (ẋ, ·, θ̇, ·): one array, so the Euler step is one update
    rates[:, 1] = xacc
    rates[:, 3] = thetaacc
    return state + TAU * rates  # element for element the same sums as Gymnasium's four lines


def cartpole_terminated(state: np.ndarray) -> np.ndarray:
    """|x| > 2.4 or |θ| > 12° (the same as Gymnasium's four comparisons: |·| is exact)."""
    return (np.abs(state[:, 0]) > X_THRESHOLD) | (np.abs(state[:, 2]) > THETA_THRESHOLD)


# Up to this many copies a step on Python floats, copy by copy (about 1 µs each), beats the
# ~27 NumPy calls of ``cartpole_step`` (about 0.5 µs each whatever the size): at 8 copies it
# takes about half the time.
SCALAR_MAX_ENVS = 16


def cartpole_step_scalar(state: np.ndarray, action: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cartpole_step`` and ``cartpole_terminated`` on Python floats, one copy at a time: the
    same operations in the same order, so the same numbers bit for bit (IEEE arithmetic is
    exactly rounded either way; cos and sin come from NumPy, as in the vectorised step, since
    libm's may differ in the last bit; ``tests/test_train_fast_paths.py`` checks it)."""
    rows, ended = [], []
    theta_col = state[:, 2]
    for (x, x_dot, theta, theta_dot), costheta, sintheta, a in zip(
        state.tolist(),
        np.cos(theta_col).tolist(),
        np.sin(theta_col).tolist(),
        np.asarray(action).tolist(),
        strict=True,
    ):
        force = FORCE_MAG if a == 1 else -FORCE_MAG
        # u * u, not u**2: NumPy squares by multiplying, C's pow() differs in 1 case of 1000
        temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
        thetaacc = (GRAVITY * sintheta - costheta * temp) / (
            LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS)
        )
        xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
        x, theta = x + TAU * x_dot, theta + TAU * theta_dot
        rows.append((x, x_dot + TAU * xacc, theta, theta_dot + TAU * thetaacc))
        ended.append(abs(x) > X_THRESHOLD or abs(theta) > THETA_THRESHOLD)
    return np.array(rows), np.array(ended)


class CartPoleEnv:
    obs_dim = 4
    n_actions = 2

    def __init__(self, num_envs: int, max_episode_steps: int = 500):
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.rng = np.random.default_rng()
        self.state = np.zeros((num_envs, 4))
        self.steps = np.zeros(num_envs, dtype=np.int64)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        starts = group_starts(self.num_envs, options)
        draws = self.rng.uniform(-0.05, 0.05, size=(starts[-1] + 1, 4))
        self.state = draws[starts]
        self.steps[:] = 0
        return self.state.copy(), {}

    def step(self, actions: np.ndarray):
        if self.num_envs <= SCALAR_MAX_ENVS:
            self.state, terminated = cartpole_step_scalar(self.state, actions)
        else:
            self.state = cartpole_step(self.state, actions)
            terminated = cartpole_terminated(self.state)
        self.steps += 1
        truncated = self.steps >= self.max_episode_steps  # TimeLimit: may coincide with terminated
        final_obs = self.state  # a fresh array each step: only copied when a copy restarts
        done = terminated | truncated
        if done.any():
            self.state = final_obs.copy()
            self.state[done] = self.rng.uniform(-0.05, 0.05, size=(int(done.sum()), 4))
            self.steps[done] = 0
        obs = self.state.copy()
        return obs, np.ones(self.num_envs), terminated, truncated, {"final_obs": final_obs}

    def action_mask(self) -> None:
        return None

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Gymnasium's CartPole box: |x| ≤ 4.8, |θ| ≤ 24°, velocities unbounded."""
        high = np.array([2 * X_THRESHOLD, np.inf, 2 * THETA_THRESHOLD, np.inf])
        return -high, high

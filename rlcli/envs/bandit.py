"""The k-armed bandit, N copies of the same bandit.

Description: Sutton & Barto ch. 2. Each episode is one pull.
Actions: k arms.
Observations: the constant (1,) vector [1.0] (there is one state).
Rewards: Gaussian arms: q*(a) ~ N(0, 1) drawn once per seed, reward ~ N(q*(a), 1) (the
10-armed testbed); Bernoulli arms: p(a) ~ U(0, 1), reward 1 with probability p(a).
Episode end: terminated after every pull.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcli.envs.vector import SettingError, group_starts, unit_box


class BanditEnv:
    max_episode_steps = 1
    obs_dim = 1

    def __init__(self, num_envs: int, k: int = 10, arms: str = "gaussian"):
        if arms not in ("gaussian", "bernoulli"):
            raise SettingError("arms", f"arms must be gaussian or bernoulli, not {arms!r}")
        if k < 2:
            raise SettingError("k", f"a bandit needs at least 2 arms (k), got {k}")
        self.num_envs, self.n_actions, self.arms = num_envs, k, arms
        self.means = np.zeros(k)
        self.rng = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
            if self.arms == "gaussian":
                self.means = self.rng.standard_normal(self.n_actions)
            else:
                self.means = self.rng.random(self.n_actions)
        group_starts(self.num_envs, options)
        return np.ones((self.num_envs, 1)), {}

    @property
    def best_mean(self) -> float:
        """The expected reward of the best arm (the return an optimal policy gets)."""
        return float(self.means.max())

    def step(self, actions: np.ndarray):
        mu = self.means[actions]
        if self.arms == "gaussian":
            reward = mu + self.rng.standard_normal(self.num_envs)
        else:
            reward = (self.rng.random(self.num_envs) < mu).astype(float)
        obs = np.ones((self.num_envs, 1))
        done = np.ones(self.num_envs, dtype=bool)
        return obs, reward, done, ~done, {"final_obs": obs}

    def action_mask(self) -> None:
        return None

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return unit_box(self.obs_dim)

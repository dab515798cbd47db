"""Our tasks as single Gymnasium environments, for Stable-Baselines3, CleanRL and friends.

Importing this module registers (Gymnasium must be installed: ``pip install 'rlcli[gym]'``)::

    rlcli/Gridworld-v0   an MDP file or bundled problem (problem="cliff-walking")
    rlcli/CartPole-v0    CartPole-v1's dynamics in float64 (rlcli/envs/cartpole.py)
    rlcli/Bandit-v0      the k-armed testbed, one pull per episode (k=10, arms="gaussian")

Each wraps one copy (``num_envs=1``) of the vectorised env in ``rlcli/envs/``; the episode
ends as there (terminated on a terminal state, truncated after ``max_episode_steps``),
and the observation returned at the end is the one the episode ended in. ``reset(seed=s)``
seeds the wrapped env's Generator, so the same seed replays the same episodes.

    import gymnasium as gym
    import rlcli.gym.envs  # noqa: F401  (registers the ids)
    env = gym.make("rlcli/Gridworld-v0", problem="frozenlake-4x4")

or without the import: ``gym.make("rlcli.gym.envs:rlcli/Gridworld-v0", problem=...)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as exc:  # pragma: no cover - exercised with gymnasium hidden
    from rlcli.gym.lazy import INSTALL_HINT

    raise ImportError(f"rlcli.gym.envs needs Gymnasium: {INSTALL_HINT}") from exc

from rlcli.envs.bandit import BanditEnv
from rlcli.envs.cartpole import THETA_THRESHOLD, X_THRESHOLD, CartPoleEnv
from rlcli.envs.gridworld import GridworldEnv

IDS = ("rlcli/Gridworld-v0", "rlcli/CartPole-v0", "rlcli/Bandit-v0")


class _Single(gym.Env):
    """One copy of a vectorised env behind Gymnasium's single-env API."""

    def __init__(self, inner: Any):
        self.inner = inner
        self._seeded = False

    def _observe(self, obs: np.ndarray) -> Any:
        return obs[0]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is None and not self._seeded:  # first reset unseeded: draw from Gymnasium's rng
            seed = int(self.np_random.integers(2**63))
        obs, _ = self.inner.reset(seed=seed)
        self._seeded = True
        return self._observe(obs), {}

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.inner.step(np.array([int(action)]))
        if terminated[0] or truncated[0]:
            obs = info["final_obs"]  # the wrapped env has already restarted this copy
        return (self._observe(obs), float(reward[0]), bool(terminated[0]), bool(truncated[0]), {})


class GridworldGymEnv(_Single):
    """An MDP file as a Gymnasium env (see ``rlcli/envs/gridworld.py``).

    Observations: the state's index, ``Discrete(S)`` (``state_names`` maps back to names).
    Actions: ``Discrete(A)`` over every action name of the file (``action_names``); in files
    where some states lack some actions, ``action_masks()`` lists the legal ones and an
    illegal action raises ``ValueError``.
    """

    metadata = {"render_modes": []}  # noqa: RUF012

    def __init__(self, problem: str = "gridworld-4x4", max_episode_steps: int = 100):
        from rlcli.cli.common import resolve_file
        from rlcli.mdp.read.load import load_mdp

        mdp = load_mdp(resolve_file(Path(problem)))
        super().__init__(GridworldEnv(mdp, num_envs=1, max_episode_steps=max_episode_steps))
        self.state_names = mdp.states
        self.action_names = mdp.actions
        self.observation_space = spaces.Discrete(mdp.n_states)
        self.action_space = spaces.Discrete(len(mdp.actions))

    def _observe(self, obs: np.ndarray) -> int:
        return int(np.argmax(obs[0]))

    def action_masks(self) -> np.ndarray:
        return self.inner.action_mask()[0]


class CartPoleGymEnv(_Single):
    """CartPole-v1's dynamics (``rlcli/envs/cartpole.py``): observations (x, ẋ, θ, θ̇) in
    float64, actions 0 push left / 1 push right, +1 per step, 500-step limit."""

    metadata = {"render_modes": []}  # noqa: RUF012

    def __init__(self, max_episode_steps: int = 500):
        super().__init__(CartPoleEnv(num_envs=1, max_episode_steps=max_episode_steps))
        big = np.finfo(np.float64).max  # velocities are unbounded (Gymnasium: float32 max)
        high = np.array([2 * X_THRESHOLD, big, 2 * THETA_THRESHOLD, big])
        self.observation_space = spaces.Box(-high, high, dtype=np.float64)
        self.action_space = spaces.Discrete(2)

    def _observe(self, obs: np.ndarray) -> np.ndarray:
        return obs[0].astype(np.float64)


class BanditGymEnv(_Single):
    """The k-armed bandit (``rlcli/envs/bandit.py``): one pull per episode; the arms are
    drawn when ``reset`` gets a seed (or on the first reset), and kept until the next seed."""

    metadata = {"render_modes": []}  # noqa: RUF012

    def __init__(self, k: int = 10, arms: str = "gaussian"):
        super().__init__(BanditEnv(num_envs=1, k=k, arms=arms))
        self.observation_space = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float64)  # always 1
        self.action_space = spaces.Discrete(k)
        self.reward_range = (-math.inf, math.inf) if arms == "gaussian" else (0.0, 1.0)

    def _observe(self, obs: np.ndarray) -> np.ndarray:
        return obs[0].astype(np.float64)


def register_envs() -> None:
    """Register the ``rlcli/...`` ids with Gymnasium (again is harmless)."""
    for env_id, cls in zip(IDS, (GridworldGymEnv, CartPoleGymEnv, BanditGymEnv), strict=True):
        if env_id not in gym.envs.registry:
            gym.register(id=env_id, entry_point=f"{__name__}:{cls.__name__}")


register_envs()

"""Conventions shared by the vectorised tasks (N independent copies in arrays).

- ``reset(*, seed=None, options=None) -> (obs, info)``: ``obs`` is (N, obs_dim) float64.
  ``options={"group_size": G}`` makes each block of G consecutive copies start from the same
  initial state (GRPO's "G completions per prompt").
- ``step(actions) -> (obs, reward, terminated, truncated, info)`` with (N,) arrays.
  A copy whose episode ends is reset in the same call (same-step autoreset, as
  Stable-Baselines3): ``obs`` is then its new first observation and
  ``info["final_obs"]`` (N, obs_dim) holds the observation it ended in.
- ``action_mask()`` -> (N, n_actions) bool of legal actions, or None if all are legal.
- ``observation_bounds()`` -> (low, high): the box every observation lies in.
- Randomness comes only from the Generator made from ``seed`` at reset.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class VectorEnv(Protocol):
    num_envs: int
    obs_dim: int
    n_actions: int
    max_episode_steps: int

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]: ...

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]: ...

    def action_mask(self) -> np.ndarray | None: ...

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high), each (obs_dim,): every observation lies in this box (the
        observation space, as Gymnasium's Box)."""
        ...


class SettingError(ValueError):
    """A task setting out of range; ``field`` names it (the message says ``(field)``)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def group_starts(n: int, options: dict[str, Any] | None) -> np.ndarray:
    """Index of the start shared by each copy: copy i uses draw ``i // G`` (G=1: its own)."""
    g = int((options or {}).get("group_size", 1))
    if g < 1 or n % g:
        raise ValueError(f"group_size {g} must divide the number of copies {n}")
    return np.arange(n) // g


def unit_box(obs_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """[0, 1]^obs_dim: the box of one-hot and unary codes."""
    return np.zeros(obs_dim), np.ones(obs_dim)


def one_hot(index: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((len(index), size))
    out[np.arange(len(index)), index] = 1.0
    return out

"""Episode bookkeeping for learning curves: returns of finished episodes, rolling means."""

from __future__ import annotations

import numpy as np


class EpisodeTracker:
    """Accumulates each copy's return; records it when the copy's episode ends."""

    def __init__(self, num_envs: int):
        self.running = np.zeros(num_envs)
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.running_len = np.zeros(num_envs, dtype=np.int64)
        self.mark = 0  # len(returns) at the start of the current iteration

    def record(self, reward: np.ndarray, done: np.ndarray, alive: np.ndarray | None = None) -> None:
        if alive is not None:
            reward = np.where(alive, reward, 0.0)
            done = done & alive
        self.running += reward
        self.running_len += 1 if alive is None else alive
        if done.any():
            self.returns.extend(self.running[done].tolist())
            self.lengths.extend(self.running_len[done].tolist())
            self.running[done] = 0.0
            self.running_len[done] = 0

    def reset_running(self) -> None:
        """Forget unfinished episodes (after a reset of all copies)."""
        self.running[:] = 0.0
        self.running_len[:] = 0

    def window_size(self, window: int) -> int:
        """How many returns ``mean_return`` averages: the last max(window, episodes finished
        since ``start_iteration``), or all of them if fewer have finished."""
        return min(len(self.returns), max(window, len(self.returns) - self.mark))

    def mean_return(self, window: int) -> float | None:
        """Mean of the last ``window_size(window)`` returns (None before the first ends)."""
        if not self.returns:
            return None
        return float(np.mean(self.returns[-self.window_size(window) :]))

    def start_iteration(self) -> None:
        self.mark = len(self.returns)

"""Episode bookkeeping for learning curves: returns of finished episodes, rolling means."""

from __future__ import annotations

import numpy as np


class EpisodeTracker:
    """Accumulates each copy's return; records it when the copy's episode ends."""

    def __init__(self, num_envs: int, window: int = 20):
        self.running = np.zeros(num_envs)
        self.returns: list[float] = []  # the recent returns: the window, this iteration's
        self.window = window
        self.total = 0  # episodes finished so far
        self.mark = 0  # len(returns) at the start of the current iteration

    def record(self, reward: np.ndarray, done: np.ndarray, alive: np.ndarray | None = None) -> None:
        if alive is not None:
            reward = np.where(alive, reward, 0.0)
            done = done & alive
        self.running += reward
        if done.any():
            self.returns.extend(self.running[done].tolist())
            self.total += int(done.sum())
            self.running[done] = 0.0

    def reset_running(self) -> None:
        """Forget unfinished episodes (after a reset of all copies)."""
        self.running[:] = 0.0

    def window_size(self) -> int:
        """How many returns ``mean_return`` averages: the last max(window, episodes finished
        since ``start_iteration``), or all of them if fewer have finished."""
        return min(len(self.returns), max(self.window, len(self.returns) - self.mark))

    def mean_return(self) -> float | None:
        """Mean of the last ``window_size()`` returns (None before the first ends)."""
        if not self.returns:
            return None
        return float(np.mean(self.returns[-self.window_size() :]))

    def start_iteration(self) -> None:
        """Forget returns older than the window (memory stays bounded on long runs)."""
        if len(self.returns) > 2 * self.window:
            del self.returns[: -self.window]
        self.mark = len(self.returns)

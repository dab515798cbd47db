"""Any MDP file as a task: one-hot observations, outcomes sampled from p(s', r | s, a).

Description: the finite MDP of the file (a grid world such as gridworld-4x4 or
cliff-walking, or any other). Discounting is the training algorithm's job.
Actions: every action name of the file; ``action_mask()`` marks those the current state has.
Observations: one-hot of the state (S,).
Rewards: the sampled outcome's reward r.
Episode end: terminated on entering a terminal state; truncated after ``max_episode_steps``.
Start: the file's ``start`` distribution, else uniform over non-terminal states.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from rlcli.envs.vector import group_starts, one_hot, unit_box

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.mdp.model import MDP


class GridworldEnv:
    def __init__(self, mdp: MDP, num_envs: int, max_episode_steps: int = 100):
        self.mdp = mdp
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.obs_dim = mdp.n_states
        self.n_actions = len(mdp.actions)
        S = mdp.n_states
        self.pair_of = np.full((S, self.n_actions), -1, dtype=np.int64)
        self.pair_of[mdp.pair_state, mdp.pair_action] = np.arange(mdp.n_pairs)
        self.mask = self.pair_of >= 0
        # outcome of pair k: the first z in its block with cum[z] > before[k] + u·mass[k]
        self.cum = np.cumsum(mdp.out_prob)
        self.before = np.concatenate(([0.0], self.cum))[mdp.out_ptr[:-1]]
        self.mass = self.cum[np.maximum(mdp.out_ptr[1:] - 1, 0)] - self.before
        if mdp.start is not None:
            start = np.asarray(mdp.start, dtype=float)
        else:
            start = (~mdp.terminal).astype(float)
        where = mdp.source or "the MDP"
        if start.sum() <= 0:
            raise ValueError(f"{where}: there is no non-terminal state to start in")
        terminal_starts = [mdp.states[s] for s in np.flatnonzero((start > 0) & mdp.terminal)]
        if terminal_starts:
            raise ValueError(
                f"{where}: start: {', '.join(map(repr, terminal_starts))} "
                f"{'is' if len(terminal_starts) == 1 else 'are'} terminal, so an episode starting "
                "there is empty (no action, no reward): give a non-terminal 'start' in the file"
            )
        self.start_cdf = np.cumsum(start / start.sum())
        self.rng = np.random.default_rng()
        self.state = np.zeros(num_envs, dtype=np.int64)
        self.steps = np.zeros(num_envs, dtype=np.int64)

    def _draw_starts(self, n: int) -> np.ndarray:
        s = np.searchsorted(self.start_cdf, self.rng.random(n) * self.start_cdf[-1], side="right")
        return np.minimum(s, self.mdp.n_states - 1)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        starts = group_starts(self.num_envs, options)
        self.state = self._draw_starts(starts[-1] + 1)[starts]
        self.steps[:] = 0
        return one_hot(self.state, self.obs_dim), {}

    def step(self, actions: np.ndarray):
        k = self.pair_of[self.state, actions]
        if (k < 0).any():
            raise ValueError("an action is not available in its state (see action_mask())")
        mdp = self.mdp
        u = self.before[k] + self.rng.random(self.num_envs) * self.mass[k]
        z = np.searchsorted(self.cum, u, side="right")
        z = np.clip(z, mdp.out_ptr[k], mdp.out_ptr[k + 1] - 1)
        self.state = mdp.out_next[z]
        reward = mdp.out_reward[z].astype(float)
        self.steps += 1
        terminated = mdp.terminal[self.state]
        truncated = self.steps >= self.max_episode_steps
        final_obs = one_hot(self.state, self.obs_dim)
        done = terminated | truncated
        if done.any():
            self.state[done] = self._draw_starts(int(done.sum()))
            self.steps[done] = 0
        return (
            one_hot(self.state, self.obs_dim),
            reward,
            terminated,
            truncated,
            {"final_obs": final_obs},
        )

    def action_mask(self) -> np.ndarray:
        return self.mask[self.state]

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return unit_box(self.obs_dim)


def optimal_start_value(
    mdp: MDP, horizon: int, max_states: int = 2000, max_sweeps: int = 10_000
) -> float | None:
    """The best expected episode return within the time limit: Σ_s start(s) V_H(s), with
    V_0 = 0 and V_{h+1}(s) = max_a Σ p(s', r | s, a) (r + V_h(s')) (finite-horizon value
    iteration, undiscounted, like the returns the training loop records). V_h stops early
    once it no longer changes; None for big models, or if it still changes after
    ``max_sweeps`` sweeps of a longer horizon."""
    if mdp.n_states > max_states:
        return None
    P, R, mask = mdp.dense()
    v = np.zeros(mdp.n_states)
    absorbing = mdp.terminal | ~mask.any(axis=1)
    for h in range(horizon):
        q = np.where(mask, R + P @ v, -np.inf)
        v_next = np.where(absorbing, 0.0, q.max(axis=1))
        settled = np.max(np.abs(v_next - v), initial=0.0) <= 1e-12 * max(1.0, np.abs(v).max())
        v = v_next
        if settled:
            break
        if h + 1 >= max_sweeps:
            return None
    start = mdp.start if mdp.start is not None else (~mdp.terminal).astype(float)
    return float(np.asarray(start) @ v / np.sum(start))

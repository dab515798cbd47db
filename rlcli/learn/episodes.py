"""Sampling episodes and steps from an MDP's flat arrays, many runs at once.

An outcome of pair k is drawn jointly (s', r) with one uniform number u: the global
array ``cum[z] = k(z) + P(outcomes ≤ z of the same pair)`` is sorted, so
``searchsorted(cum, k + u, side="right")`` is the sampled outcome of pair k. The same
trick over pairs picks an action from a (K,) policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rlcli.learn.errors import SettingError
from rlcli.mdp.model import MDP

ROWS_PER_CHUNK = 4096  # episodes generated together (runs × episode indices)


def _grouped_cumsum(group: np.ndarray, weight: np.ndarray, n_groups: int) -> np.ndarray:
    """``group + cumulative weight within the group``, each group's last entry exactly group+1."""
    cum = np.concatenate(([0.0], np.cumsum(weight)))
    counts = np.bincount(group, minlength=n_groups)
    ends = np.cumsum(counts)
    within = cum[1:] - np.repeat(cum[ends - counts], counts)  # groups may be empty
    out = group + within
    last = ends[counts > 0] - 1
    out[last] = group[last] + 1.0
    return out


@dataclass(frozen=True)
class Sampler:
    """Vectorised draws of outcomes, actions and start states for one MDP."""

    mdp: MDP
    out_cum: np.ndarray  # (Z,) outcome cumulative array (see module docstring)

    @classmethod
    def of(cls, mdp: MDP) -> Sampler:
        return cls(mdp, _grouped_cumsum(mdp.out_pair, mdp.out_prob, mdp.n_pairs))

    def outcome(self, pairs: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Outcome index z ~ p(s', r | pair) for each pair, from uniforms u in [0, 1)."""
        return np.searchsorted(self.out_cum, pairs + u, side="right")

    def action_table(self, pi: np.ndarray) -> np.ndarray:
        """(K,) pair cumulative array of a policy, for ``action``."""
        return _grouped_cumsum(self.mdp.pair_state, pi, self.mdp.n_states)

    def action(self, table: np.ndarray, states: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Pair index k ~ π(· | s) for each state (non-terminal), from uniforms u."""
        k = np.searchsorted(table, states + u, side="right")
        return np.minimum(k, self.mdp.pair_ptr[states + 1] - 1)  # guards rounding at the top

    def start(self, start: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Start states drawn from a (S,) distribution."""
        cum = np.cumsum(start)
        return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(start) - 1)


@dataclass(frozen=True)
class Episode:
    """Episode number ``index`` of every run, padded to the longest: row r is run r.

    ``states[:, t]`` is S_t (t = 0..T), ``rewards[:, t]`` is R_{t+1}, ``pairs[:, t]`` the
    pair (S_t, A_t); past a row's end the state repeats and the reward is 0.
    ``returns[:, t]`` is G_t = Σ_{i≥t} γ^{i−t} R_{i+1} (cut episodes: without a tail).
    ``cut`` marks episodes stopped by ``max_steps`` before reaching a terminal state.
    """

    index: int
    states: np.ndarray  # (R, T+1) int64
    rewards: np.ndarray  # (R, T) float64
    pairs: np.ndarray  # (R, T) int64
    length: np.ndarray  # (R,) int64
    cut: np.ndarray  # (R,) bool
    returns: np.ndarray  # (R, T+1) float64

    @property
    def horizon(self) -> int:
        return self.rewards.shape[1]


def start_distribution(mdp: MDP, start: str | None) -> np.ndarray:
    """The (S,) start distribution: the state named ``start``, or the file's ``start``."""
    if start is not None:
        if start not in mdp.state_index:
            raise SettingError("{start}: no state named {name!r}", name=start)
        s = mdp.state_index[start]
        if mdp.terminal[s]:
            raise SettingError(
                "{start}: {name!r} is terminal; episodes must start elsewhere", name=start
            )
        dist = np.zeros(mdp.n_states)
        dist[s] = 1.0
        return dist
    if mdp.start is None:
        raise SettingError(
            "{mdp} has no start state: add 'start: STATE' to the file or pass {start} STATE",
            mdp=mdp.source or "the MDP",
        )
    dist = np.asarray(mdp.start, dtype=float)
    if not (dist[~mdp.terminal] > 0).any():
        raise SettingError(
            "{mdp}: every start state is terminal, so every episode is empty: give a "
            "non-terminal 'start' in the file or pass {start} STATE",
            mdp=mdp.source or "the MDP",
        )
    return dist


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """G_t = R_{t+1} + γ G_{t+1} along axis 1, with G_T = 0 appended: (R, T) -> (R, T+1)."""
    out = np.zeros((rewards.shape[0], rewards.shape[1] + 1))
    if gamma == 1.0:
        out[:, :-1] = np.cumsum(rewards[:, ::-1], axis=1)[:, ::-1]
        return out
    for t in range(rewards.shape[1] - 1, -1, -1):
        out[:, t] = rewards[:, t] + gamma * out[:, t + 1]
    return out


def _generate(
    sampler: Sampler, pi_table: np.ndarray, start: np.ndarray, rows: int,
    rng: np.random.Generator, max_steps: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """``rows`` independent episodes: (states (rows, T+1), pairs, outcomes, length)."""
    mdp = sampler.mdp
    s = sampler.start(start, rng.random(rows))
    state_cols, pair_cols, out_cols = [s], [], []
    length = np.zeros(rows, dtype=np.int64)
    live = np.flatnonzero(~mdp.terminal[s])
    cur = s.copy()
    for t in range(max_steps):
        if not len(live):
            break
        k = np.full(rows, -1, dtype=np.int64)
        z = np.full(rows, -1, dtype=np.int64)
        k[live] = sampler.action(pi_table, cur[live], rng.random(len(live)))
        z[live] = sampler.outcome(k[live], rng.random(len(live)))
        cur = cur.copy()
        cur[live] = mdp.out_next[z[live]]
        length[live] = t + 1
        state_cols.append(cur)
        pair_cols.append(k)
        out_cols.append(z)
        live = live[~mdp.terminal[cur[live]]]
    T = len(pair_cols)
    states = np.stack(state_cols, axis=1)
    pairs = np.stack(pair_cols, axis=1) if T else np.zeros((rows, 0), dtype=np.int64)
    outs = np.stack(out_cols, axis=1) if T else np.zeros((rows, 0), dtype=np.int64)
    return states, pairs, outs, length


@dataclass(frozen=True)
class Chunk:
    """Episodes ``first .. first+count−1`` of every run, generated together: row i·runs + r is
    episode first+i of run r. The arrays are those of ``Episode`` (same padding), over all
    the rows; ``episode(i)`` is one episode of every run."""

    first: int
    runs: int
    states: np.ndarray  # (N, T+1) int64, N = count × runs
    rewards: np.ndarray  # (N, T) float64
    pairs: np.ndarray  # (N, T) int64, −1 past a row's end
    length: np.ndarray  # (N,) int64
    cut: np.ndarray  # (N,) bool
    returns: np.ndarray  # (N, T+1) float64

    @property
    def count(self) -> int:
        return len(self.length) // self.runs

    @property
    def horizon(self) -> int:
        return self.rewards.shape[1]

    @classmethod
    def of(cls, ep: Episode) -> Chunk:
        """One episode of every run as a chunk of one."""
        return cls(ep.index, len(ep.length), ep.states, ep.rewards, ep.pairs, ep.length, ep.cut,
                   ep.returns)  # fmt: skip

    def part(self, start: int, stop: int) -> Chunk:
        """Episodes first+start .. first+stop−1 of every run, as a chunk."""
        rows = slice(start * self.runs, stop * self.runs)
        return Chunk(
            self.first + start, self.runs, self.states[rows], self.rewards[rows],
            self.pairs[rows], self.length[rows], self.cut[rows], self.returns[rows],
        )  # fmt: skip

    def episode(self, i: int) -> Episode:
        """Episode first+i of every run, cut to its longest row."""
        rows = slice(i * self.runs, (i + 1) * self.runs)
        T = int(self.length[rows].max())
        return Episode(
            self.first + i, self.states[rows, : T + 1], self.rewards[rows, :T],
            self.pairs[rows, :T], self.length[rows], self.cut[rows], self.returns[rows, : T + 1],
        )  # fmt: skip


def iter_chunks(
    mdp: MDP, pi: np.ndarray, start: np.ndarray, runs: int, episodes: int, seed: int,
    max_steps: int,
) -> Iterator[Chunk]:  # fmt: skip
    """Episodes 0..episodes−1 of ``runs`` independent runs under policy ``pi``, in chunks of
    about ``ROWS_PER_CHUNK`` episodes.

    The stream depends only on (seed, runs, episodes), so every method and setting in
    one call sees the same episodes (common random numbers).
    """
    sampler = Sampler.of(mdp)
    table = sampler.action_table(pi)
    rng = np.random.default_rng(seed)
    per_chunk = max(1, ROWS_PER_CHUNK // runs)
    for first in range(0, episodes, per_chunk):
        count = min(per_chunk, episodes - first)
        states, pairs, outs, length = _generate(sampler, table, start, count * runs, rng, max_steps)
        cut = ~mdp.terminal[states[np.arange(len(length)), length]]
        ok = outs >= 0
        rewards = np.where(ok, mdp.out_reward[np.maximum(outs, 0)], 0.0)
        yield Chunk(first, runs, states, rewards, np.where(ok, pairs, -1), length, cut,
                    discounted_returns(rewards, mdp.gamma))  # fmt: skip


def iter_episodes(
    mdp: MDP, pi: np.ndarray, start: np.ndarray, runs: int, episodes: int, seed: int,
    max_steps: int,
) -> Iterator[Episode]:  # fmt: skip
    """The episodes of ``iter_chunks`` one at a time: episode i of every run."""
    for chunk in iter_chunks(mdp, pi, start, runs, episodes, seed, max_steps):
        for i in range(chunk.count):
            yield chunk.episode(i)

"""Batch updating, S&B §6.3 and Figure 6.2 (right).

Batch updating presents all episodes seen so far again and again with a small α until
the values stop changing. That fixed point is known in closed form, so it is computed
directly after every episode instead of iterated:

- batch TD(0): Σ_{visits of s}[r + γV(s') − V(s)] = 0, i.e. V = r̂ + γP̂V, the values of the
  maximum-likelihood model built from the observed transitions (certainty equivalence);
- batch MC: the average of the returns observed from s (first or every visit).

States not visited yet keep their initial value V0.

A chunk of episodes is learned at once: the statistics after each episode are cumulative
sums over the chunk's episodes (``np.bincount`` per episode, then ``np.cumsum``), and the
fixed points after all of them come in blocks of episodes. Batch TD keeps the transitions
seen as a sparse list of counts and solves only for the states left so far: by sweeps
along the model's paths when it has no loop, else by a batched dense solve of that block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rlcli.errors import NumericalError
from rlcli.learn.episodes import Chunk, Episode
from rlcli.learn.errors import IncompleteEpisodes
from rlcli.learn.steps import first_visits, require_complete
from rlcli.mdp.model import MDP
from rlcli.mdp.solve.proper import policy_edges

MAX_BATCH_TD_STATES = 2000  # a model with loops is solved as a dense K×K block, K ≤ S
BLOCK_ELEMENTS = 1 << 22  # matrix entries (episodes × runs × K × K) solved at once


@dataclass
class BatchData:
    """Everything batch updating needs from the episodes seen so far, per run."""

    visits: np.ndarray  # (R, S) departures from s (TD)
    reward_sum: np.ndarray  # (R, S) Σ R_{t+1} over departures from s
    return_sum: np.ndarray  # (R, S) Σ G_t over counted visits (MC)
    return_count: np.ndarray  # (R, S)
    moves: np.ndarray  # (n,) int64, the transitions r: s → s' seen, as (r·S + s)·S + s', sorted
    move_counts: np.ndarray  # (n,) how many times each
    loops: bool = False  # TD: some run's model has a loop (it keeps it: counts only grow)

    @classmethod
    def empty(cls, rows: int, n_states: int, td: bool) -> BatchData:
        if td and n_states > MAX_BATCH_TD_STATES:
            raise NumericalError(
                f"batch TD solves a model with loops as a dense matrix of up to {n_states}×"
                f"{n_states} per run; it is limited to {MAX_BATCH_TD_STATES} states"
            )
        return cls(
            np.zeros((rows, n_states)), np.zeros((rows, n_states)), np.zeros((rows, n_states)),
            np.zeros((rows, n_states)), np.zeros(0, dtype=np.int64), np.zeros(0),
        )  # fmt: skip


def batch_td_chunk(chunk: Chunk, data: BatchData, v0: float, gamma: float,
                   terminal: np.ndarray) -> np.ndarray:  # fmt: skip
    """(count, R, S) the values after each episode of the chunk, per run: the solution of
    V = r̂ + γP̂V from all transitions so far (S&B §6.3); ``data`` is advanced.

    A state never left keeps V = c (V0, or 0 if terminal), so only the states left so far
    are unknowns: with them first (``visit_order``), each run solves the leading K×K block
    (I − γP̂_in)V_in = r̂ + γP̂_out c, K the largest visited set among the runs rounded up
    (``_td_blocks``), instead of the whole S×S system."""
    R, S = chunk.runs, data.visits.shape[1]
    n, t = np.nonzero(np.arange(chunk.horizon) < chunk.length[:, None])
    s, s_next, reward = chunk.states[n, t], chunk.states[n, t + 1], chunk.rewards[n, t]
    run = n % R
    c_never_left = np.where(terminal, 0.0, v0)
    order, rank, sizes = visit_order(data.visits > 0, n, s, chunk.count)
    rr = np.arange(R)[:, None]
    out = np.empty((chunk.count, R, S))
    for e0, e1, K in _td_blocks(sizes, R, S):
        whole = K == S  # the whole system: the states in their own order
        if whole:
            order = rank = np.broadcast_to(np.arange(S), (R, S))
        E, block = e1 - e0, order[:, :K]
        lo, hi = np.searchsorted(n, [e0 * R, e1 * R])
        i, b = run[lo:hi], n[lo:hi] - e0 * R  # run, (episode − e0)·R + run
        here, here_next = s[lo:hi], s_next[lo:hi]
        a, col = (here, here_next) if whole else (rank[i, here], rank[i, here_next])
        row = b * K + a  # flat (episode − e0, r, s) in the block
        # the transitions before the block's first episode: all from states in the block
        m_run, m_s, m_next = data.moves // (S * S), data.moves // S % S, data.moves % S
        m_a, m_col = (m_s, m_next) if whole else (rank[m_run, m_s], rank[m_run, m_next])
        m_row, m_counts = m_run * K + m_a, data.move_counts
        visits = _cumulative(data.visits[rr, block], row, None, E)
        reward_sum = _cumulative(data.reward_sum[rr, block], row, reward[lo:hi], E)
        rhs = reward_sum  # N·(r̂ + γP̂_out c)
        if not whole:  # a transition out of the block goes to a state never left, V = c:
            # γ Σ_{s' outside} T(s, s') c(s') moves to the right-hand side
            inside, m_in = col < K, m_col < K
            earlier = np.bincount(m_row[~m_in], m_counts[~m_in] * c_never_left[m_next[~m_in]],
                                  minlength=R * K).reshape(R, K)  # fmt: skip
            to_outside = _cumulative(earlier, row[~inside], c_never_left[here_next[~inside]], E)
            rhs = reward_sum + gamma * to_outside
            row, col, m_row, m_col, m_counts = (row[inside], col[inside], m_row[m_in],
                                                m_col[m_in], m_counts[m_in])  # fmt: skip
        count = np.maximum(visits, 1)
        c = np.where(visits > 0, rhs / count, c_never_left[block])
        before, new = m_row * K + m_col, row * K + col  # flat (r, s, s'), (episode, r, s, s')
        if not data.loops:
            cells = _distinct(np.concatenate([before, new % (R * K * K)]), R * K * K)[0]
            length = _longest_path(cells // K, cells // (K * K) * K + cells % K, R * K, K)
            data.loops = length is None
        if data.loops:
            V = _solve_dense(before, m_counts, new, -gamma / count, c)
        else:
            cells, T = _transition_counts(before, m_counts, new, (E, R, K))
            src, dst = cells // K, cells // (K * K) * K + cells % K  # flat r·K + s, r·K + s'
            weight = T * (gamma / count.reshape(E, R * K)[:, src])  # γP̂(s, s') = γT/N
            V = _sweeps(weight, src, dst, c, length)
        if whole:
            out[e0:e1] = V
        else:  # a state outside the block was never left: V = c
            out[e0:e1] = c_never_left
            out[e0:e1, rr, block] = V
        data.visits[rr, block], data.reward_sum[rr, block] = visits[-1], reward_sum[-1]
        data.moves, data.move_counts = _merged(data.moves, data.move_counts,
                                               (i * S + here) * S + here_next,
                                               R * S * S)  # fmt: skip
    return out


def _transition_counts(before: np.ndarray, before_counts: np.ndarray, new: np.ndarray,
                       shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The block's transition counts after each of its E episodes (``shape`` (E, R, K)):
    the flat cells (r·K + s)·K + s' of the transitions s → s' seen by the last, and (E,
    cells) their counts: ``before`` (distinct cells) with ``before_counts`` before the
    first episode, plus the ``new`` transitions, flat (episode, r, s, s')."""
    E, R, K = shape
    episode, cell = np.divmod(new, R * K * K)
    cells, which = _distinct(np.concatenate([before, cell]), R * K * K)
    start = np.zeros(len(cells))
    start[which[: len(before)]] = before_counts
    added = np.bincount(episode * len(cells) + which[len(before) :],
                        minlength=E * len(cells)).reshape(E, len(cells))  # fmt: skip
    return cells, start + np.cumsum(added, axis=0)


def _merged(moves: np.ndarray, counts: np.ndarray, new: np.ndarray, space: int
            ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The sorted distinct transitions of ``moves`` and ``new`` (flat cells below
    ``space``), with their counts."""
    cells, which = _distinct(np.concatenate([moves, new]), space)
    merged = np.bincount(which[: len(moves)], weights=counts, minlength=len(cells))
    return cells, merged + np.bincount(which[len(moves) :], minlength=len(cells))


def _distinct(values: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ``values`` (in 0..space−1) and each value's index among them, as
    ``np.unique(values, return_inverse=True)``: by a table over 0..space−1 when that is no
    longer than ``values`` (many steps on few states: no sort), else by sorting."""
    if space > len(values):
        return np.unique(values, return_inverse=True)
    seen = np.zeros(space, dtype=bool)
    seen[values] = True
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[values]


def can_loop(mdp: MDP, pi: np.ndarray) -> bool:
    """Whether a model batch TD estimates from episodes of π can have a loop: whether π's
    own transition graph has one (an estimated model holds only transitions the MDP can
    make). Without one (blackjack), every block is solved by sweeps, never densely."""
    src, dst = policy_edges(mdp, pi)
    return _longest_path(src, dst, mdp.n_states, mdp.n_states) is None


def _longest_path(src: np.ndarray, dst: np.ndarray, n_nodes: int, per_run: int) -> int | None:
    """The number of steps on the longest path of the graph src → dst (nodes 0..n_nodes−1,
    ``per_run`` in each run's part), or None if it has a loop. depth(s) = max over s → s' of
    1 + depth(s'), from 0: it settles after L + 1 rounds on a graph without loops, whose
    paths have at most per_run − 1 steps, and never settles on one with a loop."""
    depth = np.zeros(n_nodes, dtype=np.int64)
    for length in range(per_run):
        longer = np.zeros_like(depth)
        np.maximum.at(longer, src, depth[dst] + 1)
        if np.array_equal(longer, depth):
            return length
        depth = longer
    return None


def _sweeps(weight: np.ndarray, src: np.ndarray, dst: np.ndarray, c: np.ndarray,
            length: int) -> np.ndarray:  # fmt: skip
    """(E, R, K) V = Σ_{k ≤ L} (γP̂)^k c, the solution of V = c + γP̂V when the model has no
    loop and no path of more than L steps (P̂^{L+1} = 0): L sweeps V ← c + γP̂V from V = c,
    P̂ given by its nonzeros ``weight`` (E, n) = γP̂(src → dst) on flat nodes r·K + s."""
    E = len(c)
    flat = c.reshape(E, -1)
    rows = (np.arange(E)[:, None] * flat.shape[1] + src).ravel()
    V = flat
    for _ in range(length):
        V = flat + np.bincount(rows, weights=(weight * V[:, dst]).ravel(),
                               minlength=flat.size).reshape(flat.shape)  # fmt: skip
    return V.reshape(c.shape)


def _solve_dense(before: np.ndarray, before_counts: np.ndarray, new: np.ndarray,
                 scale: np.ndarray, c: np.ndarray) -> np.ndarray:  # fmt: skip
    """(E, R, K) the solution of (I − γP̂)V = c after each of E episodes, P̂ = T/N: the
    counts T are ``before`` (distinct flat cells (r·K + s)·K + s', in order of r) with
    ``before_counts``, plus the ``new`` transitions, flat (episode, r, s, s'), summed over
    the episodes; ``scale`` (E, R, K) = −γ/N. A = I − γP̂ is written densely, T·(−γ/N) in
    place of the counts (a row never left has none: the identity row), for as many runs at
    once as ``BLOCK_ELEMENTS`` matrix entries allow (one at least)."""
    E, R, K = c.shape
    V = np.empty_like(c)
    step = max(1, BLOCK_ELEMENTS // (E * K * K))
    for r0 in range(0, R, step):
        r1 = min(R, r0 + step)
        lo, hi = np.searchsorted(before, [r0 * K * K, r1 * K * K])
        counts = np.zeros((r1 - r0) * K * K)
        counts[before[lo:hi] - r0 * K * K] = before_counts[lo:hi]
        if r1 - r0 < R:  # the new transitions of runs r0..r1−1, flat (episode, r − r0, s, s')
            episode, cell = np.divmod(new, R * K * K)
            mine = (cell >= r0 * K * K) & (cell < r1 * K * K)
            part = episode[mine] * ((r1 - r0) * K * K) + cell[mine] - r0 * K * K
        else:
            part = new
        A = _cumulative(counts.reshape(r1 - r0, K, K), part, None, E)
        A *= scale[:, r0:r1, :, None]
        A.reshape(E, r1 - r0, K * K)[..., :: K + 1] += 1.0
        V[:, r0:r1] = _solve(A, c[:, r0:r1])
    return V


def _solve(A: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(…, K) the solution of AV = c, A = I − γP̂ (batched)."""
    try:
        return np.linalg.solve(A, c[..., None])[..., 0]
    except np.linalg.LinAlgError:  # γ = 1: only cut episodes leave a closed loop
        raise IncompleteEpisodes(
            "batch TD: the model estimated from the episodes has a loop with no way out "
            "(I − γP̂ is singular), as episodes cut at {max_steps} never left it; raise "
            "{max_steps}, use gamma < 1, or use TD(0) (it bootstraps where an episode is "
            "cut)"
        ) from None


def visit_order(left_before: np.ndarray, n: np.ndarray, s: np.ndarray, count: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Each run's states in the order they were first left: those left before the chunk
    (``left_before``, (R, S)), then by the chunk episode that first leaves them (the steps
    leave ``s`` in row ``n`` = episode·R + run), then the states never left; ties by state
    index.

    Returns ``order`` (R, S) the states in that order, ``rank`` (R, S) each state's place in
    it, and ``sizes`` (count,) the largest number of states left by any run after each
    episode: after episode e, run r's visited states are ``order[r, :k]``, k ≤ sizes[e]."""
    R, S = left_before.shape
    left = np.zeros((count, R * S), dtype=bool)  # left in episode e, by (run, state)
    left.reshape(-1)[n * S + s] = True
    first = np.where(left.any(axis=0), left.argmax(axis=0), count).reshape(R, S)
    first[left_before] = -1  # count: not left in this chunk
    order = np.argsort(first, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(S)[None], axis=1)
    # left by episode e: first ≤ e, counted per run over first + 1 ∈ 0..count + 1
    cell = (np.arange(R)[:, None] * (count + 2) + first + 1).ravel()
    per_run = np.bincount(cell, minlength=R * (count + 2)).reshape(R, count + 2).cumsum(axis=1)
    return order, rank, per_run[:, 1:-1].max(axis=0)


def _td_blocks(sizes: np.ndarray, runs: int, n_states: int) -> Iterator[tuple[int, int, int]]:
    """(e0, e1, K): episodes e0..e1−1 of a chunk solved together in K×K blocks, K the
    largest visited set among the runs after episode e1−1 rounded up to a multiple of 8
    (or all the states); at most ``BLOCK_ELEMENTS`` entries (runs × K × K per episode)."""
    padded = np.minimum(n_states, -(-np.maximum(sizes, 1) // 8) * 8)
    e0 = 0
    while e0 < len(sizes):
        K = int(padded[e0])
        same = int(np.searchsorted(padded, K, side="right"))
        e1 = min(same, e0 + max(1, BLOCK_ELEMENTS // (runs * K * K)))
        yield e0, e1, K
        e0 = e1


def batch_mc_chunk(chunk: Chunk, data: BatchData, v0: float, first_visit: bool,
                   terminal: np.ndarray) -> np.ndarray:  # fmt: skip
    """(count, R, S) the values after each episode of the chunk, per run: the mean of the
    returns observed from each state so far (S&B §6.3); ``data`` is advanced."""
    require_complete(chunk, "batch Monte Carlo")
    R, S = chunk.runs, data.return_sum.shape[1]
    counted = (
        first_visits(chunk.states, chunk.length, S)
        if first_visit
        else np.arange(chunk.horizon) < chunk.length[:, None]
    )
    n, t = np.nonzero(counted)
    s, g = chunk.states[n, t], chunk.returns[n, t]
    out = np.empty((chunk.count, R, S))
    for e0, e1, here in _blocks(n, chunk, R * S):
        cell = (n[here] - e0 * R) * S + s[here]
        total = _cumulative(data.return_sum, cell, g[here], e1 - e0)
        count = _cumulative(data.return_count, cell, None, e1 - e0)
        out[e0:e1] = np.where(count > 0, total / np.maximum(count, 1),
                              np.where(terminal, 0.0, v0))  # fmt: skip
    return out


def _blocks(n: np.ndarray, chunk: Chunk, per_episode: int):
    """Episodes e0..e1−1 of the chunk in blocks of at most ``BLOCK_ELEMENTS`` model entries
    (one episode at least), with the steps (indices into ``n``, sorted) that belong to them."""
    step = max(1, BLOCK_ELEMENTS // per_episode)
    for e0 in range(0, chunk.count, step):
        e1 = min(chunk.count, e0 + step)
        lo, hi = np.searchsorted(n, [e0 * chunk.runs, e1 * chunk.runs])
        yield e0, e1, slice(lo, hi)


def _cumulative(total: np.ndarray, cell: np.ndarray, weight: np.ndarray | None,
                episodes: int) -> np.ndarray:  # fmt: skip
    """(episodes, *total.shape): ``total`` plus the sums of ``weight`` (1 each if None) by
    flat cell index over the episodes up to each; ``total`` becomes the last of them."""
    size = episodes * total.size
    if weight is None:  # float ones: summed as floats, no int64 counts to convert
        weight = np.ones(len(cell))
    sums = np.bincount(cell, weights=weight, minlength=size)  # int64 if ``cell`` is empty
    out = sums.astype(float, copy=False).reshape(episodes, *total.shape)
    np.cumsum(out, axis=0, out=out)  # in place: at (episodes, R, K, K) each pass counts
    out += total
    total[...] = out[-1]
    return out


def batch_td_episode(
    V: np.ndarray, ep: Episode, data: BatchData, v0: float, gamma: float, terminal: np.ndarray
) -> None:
    """Add the episode's transitions, then V ← the solution of V = r̂ + γP̂V (S&B §6.3):
    ``batch_td_chunk`` on one episode of every row."""
    V[:] = batch_td_chunk(Chunk.of(ep), data, v0, gamma, terminal)[-1]


def batch_mc_episode(V: np.ndarray, ep: Episode, data: BatchData, v0: float, first_visit: bool,
                     terminal: np.ndarray) -> None:  # fmt: skip
    """Add the episode's returns, then V(s) ← mean of the returns from s (S&B §6.3):
    ``batch_mc_chunk`` on one episode of every row."""
    V[:] = batch_mc_chunk(Chunk.of(ep), data, v0, first_visit, terminal)[-1]

"""Batch TD (S&B §6.3) on problems where only some states have been left: the K×K block of
visited states solved instead of the whole S×S system.

Every expected value is computed here, independently of ``rlcli.learn.batch``: a brute-force
dense S×S solve of V = r̂ + γP̂V per run and episode, from counts taken in Python loops over
the episodes, or the book's definition (batch TD updates with a small α until nothing
changes). The block solve and the dense solve are different BLAS calls, so values are
compared with tolerances, never bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rlcli.learn.batch import BatchData, batch_td_chunk, visit_order
from rlcli.learn.episodes import Chunk, iter_chunks, start_distribution
from rlcli.learn.errors import IncompleteEpisodes
from rlcli.mdp.model import MDP
from rlcli.mdp.read.load import load_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def simulate(name: str, runs: int, episodes: int, seed: int, start: str | None = None,
             max_steps: int = 10_000) -> tuple[Chunk, MDP]:  # fmt: skip
    """All the episodes of ``runs`` runs as one chunk (the generator's chunks joined)."""
    mdp = load_mdp(PROBLEMS / name)
    chunks = list(iter_chunks(mdp, mdp.uniform_policy(), start_distribution(mdp, start), runs,
                              episodes, seed, max_steps))  # fmt: skip
    T = max(c.horizon for c in chunks)

    def joined(field: str, width: int, fill: float) -> np.ndarray:
        parts = []
        for c in chunks:
            a = getattr(c, field)
            parts.append(np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=fill))
        return np.concatenate(parts)

    length, cut = (np.concatenate([getattr(c, f) for c in chunks]) for f in ("length", "cut"))
    chunk = Chunk(0, runs, joined("states", T + 1, 0), joined("rewards", T, 0.0),
                  joined("pairs", T, -1), length, cut, joined("returns", T + 1, 0.0))  # fmt: skip
    return chunk, mdp


def dense_reference(chunk: Chunk, n_states: int, v0: float, gamma: float,
                    terminal: np.ndarray) -> np.ndarray:  # fmt: skip
    """(count, R, S) by brute force: per run, counts N(s), Σr(s), T(s, s') accumulated in
    Python over the steps of each episode, then the full S×S system (I − γP̂)V = c solved
    with a state never left as the identity row, V(s) = V0 (0 if terminal)."""
    R, S = chunk.runs, n_states
    out = np.empty((chunk.count, R, S))
    for r in range(R):
        N, Rsum, T = np.zeros(S), np.zeros(S), np.zeros((S, S))
        for e in range(chunk.count):
            row = e * R + r
            for t in range(int(chunk.length[row])):
                s, s2 = int(chunk.states[row, t]), int(chunk.states[row, t + 1])
                N[s] += 1
                Rsum[s] += chunk.rewards[row, t]
                T[s, s2] += 1
            A, c = np.eye(S), np.where(terminal, 0.0, v0)
            for s in np.flatnonzero(N):
                A[s] -= gamma * T[s] / N[s]
                c[s] = Rsum[s] / N[s]
            out[e, r] = np.linalg.solve(A, c)
    return out


def learned(chunk: Chunk, n_states: int, v0: float, gamma: float, terminal: np.ndarray,
            per_chunk: int | None = None, data: BatchData | None = None) -> np.ndarray:  # fmt: skip
    """(count, R, S) from ``batch_td_chunk``, fed ``per_chunk`` episodes at a time."""
    data = data or BatchData.empty(chunk.runs, n_states, td=True)
    step = per_chunk or chunk.count
    return np.concatenate([
        batch_td_chunk(chunk.part(e, min(chunk.count, e + step)), data, v0, gamma, terminal)
        for e in range(0, chunk.count, step)
    ])  # fmt: skip


def visited_after(chunk: Chunk, n_states: int) -> np.ndarray:
    """(count, R, S) whether each state has been left by each run after each episode."""
    left = np.zeros((chunk.count, chunk.runs, n_states), dtype=bool)
    for row in range(len(chunk.length)):
        e, r = divmod(row, chunk.runs)
        left[e, r, chunk.states[row, : chunk.length[row]]] = True
    return np.logical_or.accumulate(left, axis=0)


def test_blackjack_many_states_few_visited_matches_a_dense_solve_per_run_and_episode():
    # 213 states, γ = 1, one to a few steps per episode: after 40 episodes a run has left
    # at most ~40 states, so the blocks have 8..40 states, not 213; blackjack's model has no
    # loop (the player's sum only grows), so they are solved by sweeps
    chunk, mdp = simulate("blackjack.yaml", runs=4, episodes=40, seed=3)
    S = mdp.n_states
    data = BatchData.empty(4, S, td=True)
    got = learned(chunk, S, 0.25, mdp.gamma, mdp.terminal, data=data)
    assert not data.loops
    want = dense_reference(chunk, S, 0.25, mdp.gamma, mdp.terminal)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    left = visited_after(chunk, S)
    assert left[-1].sum(axis=1).max() < S // 3  # blocks of visited states, not S×S
    assert len({tuple(np.flatnonzero(v)) for v in left[-1]}) == 4  # the runs' sets differ
    # a state never left keeps V0; terminal states 0 (win, draw, lose)
    assert np.all(got[~left & ~mdp.terminal] == 0.25)
    assert np.all(got[..., mdp.terminal] == 0.0)


@pytest.mark.parametrize("per_chunk", [1, 7])
def test_blackjack_in_chunks_carries_the_counts_over(per_chunk):
    # the visited states of earlier chunks lead the next chunk's block
    chunk, mdp = simulate("blackjack.yaml", runs=3, episodes=30, seed=5)
    S = mdp.n_states
    whole = learned(chunk, S, -0.5, mdp.gamma, mdp.terminal)
    parts = learned(chunk, S, -0.5, mdp.gamma, mdp.terminal, per_chunk=per_chunk)
    np.testing.assert_allclose(parts, whole, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(whole, dense_reference(chunk, S, -0.5, mdp.gamma, mdp.terminal),
                               rtol=1e-12, atol=1e-12)  # fmt: skip


def test_gridworld_with_loops_and_cut_episodes_matches_a_dense_solve():
    # 25 states, γ = 0.9, no terminal state: every episode is cut after 4 steps, the model
    # has loops (moves back and forth, bumps into the wall); the visited set grows through
    # blocks of 8, 16, 24 and then all 25 states
    chunk, mdp = simulate("gridworld-5x5.yaml", runs=5, episodes=25, seed=11, start="r2c2",
                          max_steps=4)  # fmt: skip
    S = mdp.n_states
    got = learned(chunk, S, 1.5, mdp.gamma, mdp.terminal, per_chunk=6)
    want = dense_reference(chunk, S, 1.5, mdp.gamma, mdp.terminal)
    # cond(I − 0.9P̂) ≤ 1.9/0.1 = 19: rounding differences stay near 1e-14
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
    sizes = visited_after(chunk, S).sum(axis=2).max(axis=1)
    assert sizes[0] <= 8 and sizes[-1] > 16  # small blocks first, larger later


def test_frozenlake_gamma_0_99_with_terminal_states_matches_a_dense_solve():
    chunk, mdp = simulate("frozenlake-4x4.yaml", runs=6, episodes=20, seed=2)
    S = mdp.n_states
    got = learned(chunk, S, 0.0, mdp.gamma, mdp.terminal, per_chunk=4)
    want = dense_reference(chunk, S, 0.0, mdp.gamma, mdp.terminal)
    # cond(I − 0.99P̂) ≤ 1.99/0.01 ≈ 200
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_the_fixed_point_of_batch_td_updates_with_a_small_alpha():
    # The book's definition (§6.3): present all transitions so far again and again,
    # V(s) ← V(s) + α Σ_{visits of s} [r + γV(s') − V(s)], until V stops changing. One run
    # of the 5×5 grid (loops, γ = 0.9) after each of 12 episodes cut at 6 steps.
    chunk, mdp = simulate("gridworld-5x5.yaml", runs=1, episodes=12, seed=4, start="r0c0",
                          max_steps=6)  # fmt: skip
    S, gamma, v0 = mdp.n_states, mdp.gamma, 2.0
    got = learned(chunk, S, v0, gamma, mdp.terminal)
    s_all, s2_all, r_all = [], [], []
    for e in range(chunk.count):
        L = int(chunk.length[e])
        s_all += chunk.states[e, :L].tolist()
        s2_all += chunk.states[e, 1 : L + 1].tolist()
        r_all += chunk.rewards[e, :L].tolist()
        s, s2, r = np.array(s_all), np.array(s2_all), np.array(r_all)
        alpha = 0.5 / np.bincount(s).max()  # α·N(s) ≤ 1/2: the sweeps contract
        V = np.full(S, v0)
        for _ in range(200_000):
            delta = np.bincount(s, weights=r + gamma * V[s2] - V[s], minlength=S)
            V += alpha * delta
            if np.abs(alpha * delta).max() < 1e-14:
                break
        else:
            raise AssertionError("the batch updates did not converge")
        np.testing.assert_allclose(got[e, 0], V, atol=1e-10)


def test_a_loop_with_no_way_out_at_gamma_1_among_many_states_names_max_steps():
    # 30 states, state 29 terminal. Episode 0 of run 0: 0 → 1 → 29 (reward 1 each);
    # episode 1, cut after 3 steps: 2 → 3 → 2 → 3. States 2 and 3 only lead to each other,
    # so rows 2, 3 of I − P̂ are (1, −1), (−1, 1): singular, in an 8-state block of 30.
    S = 30
    terminal = np.zeros(S, dtype=bool)
    terminal[29] = True
    states = np.array([[0, 1, 29, 0], [2, 3, 2, 3]])
    rewards = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    chunk = Chunk(0, 1, states, rewards, np.zeros((2, 3), dtype=np.int64), np.array([2, 3]),
                  np.array([False, True]), np.zeros((2, 4)))  # fmt: skip
    with pytest.raises(IncompleteEpisodes, match="never left it; raise max_steps"):
        batch_td_chunk(chunk, BatchData.empty(1, S, td=True), 0.0, 1.0, terminal)
    # with γ = 0.9 the loop is discounted: V(2) = 0.9·V(3), V(3) = 0.9·V(2), so both 0;
    # V(0) = 1 + 0.9·V(1) = 1 + 0.9·1 = 1.9; every other state keeps V0 = 0.5
    values = batch_td_chunk(chunk, BatchData.empty(1, S, td=True), 0.5, 0.9, terminal)
    want = np.full(S, 0.5)
    want[[0, 1, 2, 3, 29]] = [1.9, 1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(values[-1, 0], want, atol=1e-15)


def test_visit_order_puts_each_runs_states_in_the_order_first_left():
    # 2 runs, 6 states. Before the chunk run 0 had left state 4. Chunk steps (episode, run,
    # state): (0, 0, 2), (0, 1, 5), (1, 0, 0), (1, 0, 2), (1, 1, 1), (2, 1, 3); the row of
    # a step is episode·2 + run.
    left_before = np.zeros((2, 6), dtype=bool)
    left_before[0, 4] = True
    n = np.array([0, 1, 2, 2, 3, 5])
    s = np.array([2, 5, 0, 2, 1, 3])
    order, rank, sizes = visit_order(left_before, n, s, 3)
    # run 0: 4 (before), 2 (episode 0), 0 (episode 1), then never left 1, 3, 5
    # run 1: 5 (episode 0), 1 (episode 1), 3 (episode 2), then 0, 2, 4
    assert order.tolist() == [[4, 2, 0, 1, 3, 5], [5, 1, 3, 0, 2, 4]]
    assert (np.take_along_axis(rank, order, axis=1) == np.arange(6)).all()
    # left after episodes 0, 1, 2: run 0 has 2, 3, 3 states; run 1 has 1, 2, 3
    assert sizes.tolist() == [2, 3, 3]


def forward_episodes(runs: int, episodes: int, n_states: int, loop_from: int,
                     seed: int) -> Chunk:  # fmt: skip
    """Random episodes on states 0..n−1 (n−1 terminal): 1–5 steps, each to a later state,
    so the model has no loop; from episode ``loop_from`` on, run 1 also steps back (a loop).
    Every third episode is cut (it ends in a state that is not terminal)."""
    rng = np.random.default_rng(seed)
    T = 5
    states = np.zeros((runs * episodes, T + 1), dtype=np.int64)
    length = np.zeros(runs * episodes, dtype=np.int64)
    for row in range(runs * episodes):
        e, r = divmod(row, runs)
        L = int(rng.integers(1, T + 1))
        path = np.sort(rng.choice(n_states - 1, size=L + 1, replace=False))
        if e % 3 != 2:
            path[-1] = n_states - 1  # ends in the terminal state
        if r == 1 and e >= loop_from and L >= 2:
            path[2] = path[0]  # back to where it started: s0 → s1 → s0
        states[row, : L + 1], length[row] = path, L
    N = runs * episodes
    rewards = np.round(rng.normal(size=(N, T)), 1)
    return Chunk(0, runs, states, rewards, np.zeros((N, T), dtype=np.int64), length,
                 np.zeros(N, dtype=bool), np.zeros((N, T + 1)))  # fmt: skip


@pytest.mark.parametrize("loop_from", [1000, 17])
def test_a_model_without_loops_then_with_one_matches_a_dense_solve(loop_from):
    # 60 states, γ = 0.95, V0 = 0.3: episodes cut in states never left bring V0 into the
    # right-hand side; without a loop the values come from sweeps along the model's paths,
    # with one (run 1 from episode 17, in the third chunk of 8) from the block solve
    S = 60
    terminal = np.arange(S) == S - 1
    chunk = forward_episodes(3, 40, S, loop_from, seed=loop_from)
    want = dense_reference(chunk, S, 0.3, 0.95, terminal)
    data = BatchData.empty(3, S, td=True)
    got = learned(chunk, S, 0.3, 0.95, terminal, per_chunk=8, data=data)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert data.loops == (loop_from < 40)  # the model's loop was found, or there was none


def test_more_states_than_the_old_dense_limit_matches_a_dense_solve():
    # 600 states (the dense S×S model stopped at 400): sweeps without a loop, then the
    # block solve of run 1's visited states once it has one
    S = 600
    terminal = np.arange(S) == S - 1
    chunk = forward_episodes(2, 8, S, loop_from=4, seed=9)
    want = dense_reference(chunk, S, -0.2, 0.9, terminal)
    data = BatchData.empty(2, S, td=True)
    np.testing.assert_allclose(learned(chunk, S, -0.2, 0.9, terminal, per_chunk=3, data=data),
                               want, rtol=1e-12, atol=1e-12)  # fmt: skip
    assert data.loops


def test_small_memory_blocks_solve_one_episode_and_run_at_a_time(monkeypatch):
    # BLOCK_ELEMENTS = 64 allows no more than one 8×8 matrix at once: every block is one
    # episode, and the dense solve goes run by run; the values are those of a dense solve
    from rlcli.learn import batch

    monkeypatch.setattr(batch, "BLOCK_ELEMENTS", 64)
    chunk, mdp = simulate("gridworld-5x5.yaml", runs=3, episodes=8, seed=6, start="r4c4",
                          max_steps=5)  # fmt: skip
    S = mdp.n_states
    want = dense_reference(chunk, S, 0.5, mdp.gamma, mdp.terminal)
    np.testing.assert_allclose(learned(chunk, S, 0.5, mdp.gamma, mdp.terminal), want,
                               rtol=1e-11, atol=1e-11)  # fmt: skip

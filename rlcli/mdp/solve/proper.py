"""γ = 1 (episodic) tasks: which states reach a terminal state with probability 1; and
which states a policy can reach at all.

A policy is *proper* if from every state it reaches a terminal state with
probability 1; only then is (I − P_π) V = r_π non-singular on the non-terminal
states. Both questions are graph reachability over the support of the policy
(Bertsekas & Tsitsiklis, stochastic shortest paths).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from rlcli.mdp.model import DENSE_STATES, MDP


def _search(n: int, src: np.ndarray, dst: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """(n,) bool: the nodes reachable from ``sources`` (included) along edges src → dst.

    Breadth-first, one level at a time over a dense boolean adjacency matrix for small
    graphs (``DENSE_STATES``; no SciPy), SciPy's graph search from a super-source otherwise.
    """
    if n <= DENSE_STATES:
        found = np.zeros(n, dtype=bool)
        found[sources] = True
        adjacent = np.zeros((n, n), dtype=bool)
        adjacent[src, dst] = True
        frontier = np.flatnonzero(found)
        while len(frontier):
            new = adjacent[frontier].any(axis=0) & ~found
            found |= new
            frontier = np.flatnonzero(new)
        return found
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    # a super-source n pointing at every source
    rows = np.concatenate([src, np.full(len(sources), n)])
    cols = np.concatenate([dst, sources])
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(graph, n, directed=True, return_predecessors=False)
    found = np.zeros(n + 1, dtype=bool)
    found[order] = True
    return found[:n]


def _reaches(n: int, src: np.ndarray, dst: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(n,) bool: the nodes with a path to one of ``targets`` along edges src → dst."""
    return _search(n, dst, src, targets)  # search the reversed graph from the targets


def policy_edges(mdp: MDP, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(src, dst): s → s' for every outcome with positive probability of an action π takes."""
    z = np.flatnonzero((pi[mdp.out_pair] > 0) & (mdp.out_prob > 0))
    return mdp.pair_state[mdp.out_pair[z]], mdp.out_next[z]


def reachable_states(mdp: MDP, pi: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """(S,) bool: the states reachable with positive probability from the states
    ``sources`` (included) when following the (K,) policy ``pi``."""
    src, dst = policy_edges(mdp, pi)
    return _search(mdp.n_states, src, dst, sources)


def improper_states(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    """Sorted indices of the states from which π fails to terminate with probability 1.

    A state terminates w.p. 1 iff no state it can reach is cut off from every terminal.
    """
    src, dst = policy_edges(mdp, pi)
    can_end = _reaches(mdp.n_states, src, dst, np.flatnonzero(mdp.terminal))
    stuck = np.flatnonzero(~can_end)
    if not len(stuck):
        return stuck
    return np.flatnonzero(_reaches(mdp.n_states, src, dst, stuck))


def proper_policy(mdp: MDP) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic policy that terminates w.p. 1 wherever some policy can.

    Returns (policy (K,), states where no policy terminates w.p. 1). Almost-sure
    reachability: shrink W until every state in W can reach a terminal state using only
    actions that never leave W; then give each state an action that stays in W and
    moves one layer closer to the terminal states.
    """
    S, K = mdp.n_states, mdp.n_pairs
    pos = mdp.out_prob > 0
    win, safe = _almost_sure(mdp, np.ones(K, dtype=bool))
    # layers outward from the terminal states, over safe pairs only
    preds: list[list[int]] = [[] for _ in range(S)]
    for zi in np.flatnonzero(pos & safe[mdp.out_pair]):
        preds[int(mdp.out_next[zi])].append(int(mdp.out_pair[zi]))
    policy = np.zeros(K)
    done = mdp.terminal.copy()
    queue = deque(np.flatnonzero(done).tolist())
    while queue:
        s = queue.popleft()
        for k in preds[s]:
            t = int(mdp.pair_state[k])
            if not done[t]:
                done[t] = True
                policy[k] = 1.0
                queue.append(t)
    for s in np.flatnonzero(~done & (mdp.n_actions_of > 0)):  # hopeless: any action
        policy[mdp.pair_ptr[s]] = 1.0
    return policy, np.flatnonzero(~win)


def _almost_sure(mdp: MDP, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(win (S,), safe (K,)): the states that can reach a terminal state with probability
    1 using ``allowed`` pairs, and the allowed pairs that never leave that set."""
    pos = mdp.out_prob > 0
    win = np.ones(mdp.n_states, dtype=bool)
    while True:
        leaves = np.bincount(mdp.out_pair[pos & ~win[mdp.out_next]], minlength=mdp.n_pairs) > 0
        safe = allowed & ~leaves & win[mdp.pair_state]
        z = np.flatnonzero(pos & safe[mdp.out_pair])
        src, dst = mdp.pair_state[mdp.out_pair[z]], mdp.out_next[z]
        reach = _reaches(mdp.n_states, src, dst, np.flatnonzero(mdp.terminal)) & win
        if np.array_equal(reach, win):
            return win, safe
        win = reach


def proper_compatible(mdp: MDP, allowed: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """(len(pairs),) bool: for each pair (s, a), whether some proper policy using only
    ``allowed`` pairs takes a in s (s keeps only a, then almost-sure reachability)."""
    ok = np.zeros(len(pairs), dtype=bool)
    for i, k in enumerate(pairs):
        s = mdp.pair_state[k]
        only = allowed.copy()
        only[mdp.pair_ptr[s] : mdp.pair_ptr[s + 1]] = False
        only[k] = True
        ok[i] = _almost_sure(mdp, only)[0][s]
    return ok


def describe(mdp: MDP, states: np.ndarray, limit: int = 8) -> str:
    """'s1, s2, … and N more' for messages."""
    names = ", ".join(mdp.states[s] for s in states[:limit])
    return names + (f" and {len(states) - limit} more" if len(states) > limit else "")


def trap_states(mdp: MDP, allowed: np.ndarray) -> np.ndarray:
    """Sorted indices of the states where the ``allowed`` (K,) pairs can keep the agent
    away from every terminal state forever: the greatest set W of non-terminal states in
    which each state has an allowed pair whose outcomes all stay in W (an end component)."""
    pos = mdp.out_prob > 0
    keep = allowed.astype(bool).copy()
    inside = ~mdp.terminal & (np.bincount(mdp.pair_state[keep], minlength=mdp.n_states) > 0)
    while True:
        leaves = np.bincount(mdp.out_pair[pos & ~inside[mdp.out_next]], minlength=mdp.n_pairs)
        keep &= (leaves == 0) & inside[mdp.pair_state]
        now = np.bincount(mdp.pair_state[keep], minlength=mdp.n_states) > 0
        if np.array_equal(now, inside):
            return np.flatnonzero(inside)
        inside = now

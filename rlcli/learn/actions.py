"""Action values of many learning rows and the policies they define.

The pairs (s, a) of an MDP are numbered k = 0..K−1 (see ``rlcli.mdp.model``). A learning
row (one setting, one run) keeps its action values as a (K+1,) row whose last column is
−∞: the *pair table* lists each state's pairs padded with K, so "the values of the actions
of s" is one gather ``q[row, table[s]]``, and the padding never wins a max.
"""

from __future__ import annotations

import numpy as np

from rlcli.mdp.model import MDP


def pair_table(mdp: MDP) -> np.ndarray:
    """(S, max actions) pair indices of each state's actions, padded with K."""
    counts = mdp.n_actions_of
    width = max(int(counts.max(initial=0)), 1)
    table = np.full((mdp.n_states, width), mdp.n_pairs, dtype=np.int64)
    slot = np.arange(mdp.n_pairs) - mdp.pair_ptr[mdp.pair_state]
    table[mdp.pair_state, slot] = np.arange(mdp.n_pairs)
    return table


def padded_values(n_rows: int, n_pairs: int, q0: float, tables: int = 1) -> np.ndarray:
    """(tables, rows, K+1) action values Q0, the padding column −∞."""
    q = np.full((tables, n_rows, n_pairs + 1), q0)
    q[:, :, -1] = -np.inf
    return q


def argmax_random_ties(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Column of the maximum in each row, ties broken uniformly at random."""
    ties = values == values.max(axis=1, keepdims=True)
    return np.argmax(np.where(ties, rng.random(values.shape), -1.0), axis=1)


def epsilon_greedy_slot(
    values: np.ndarray, epsilon: np.ndarray, n_actions: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Column of an ε-greedy action in each row of ``values`` (L, width) (S&B §2.2): with
    probability ε a uniform one of the row's ``n_actions``, else a greedy one (random ties)."""
    greedy = argmax_random_ties(values, rng)
    explore = rng.random(len(values)) < epsilon
    return np.where(explore, (rng.random(len(values)) * n_actions).astype(np.int64), greedy)


def epsilon_greedy_probs(values: np.ndarray, epsilon: np.ndarray, n_actions: np.ndarray
                         ) -> np.ndarray:  # fmt: skip
    """(L, width) π(a|s) of the ε-greedy policy of ``values`` (−∞ = no such action):
    ε/|A(s)| each, plus (1 − ε)/|argmax| for each of the tied greedy actions."""
    ties = values == values.max(axis=1, keepdims=True)
    probs = np.where(np.isfinite(values), (epsilon / n_actions)[:, None], 0.0)
    probs += ties * ((1 - epsilon) / ties.sum(axis=1))[:, None]
    return probs


def greedy_pairs(mdp: MDP, q: np.ndarray) -> np.ndarray:
    """(R, K) deterministic greedy policies of Q (R, K); ties go to the first action."""
    table = pair_table(mdp)
    live = mdp.n_actions_of > 0
    padded = np.concatenate([q, np.full((len(q), 1), -np.inf)], axis=1)
    best = np.argmax(padded[:, table[live]], axis=2)  # (R, live states)
    pi = np.zeros_like(q)
    rows = np.arange(len(q))[:, None]
    pi[rows, table[live][np.arange(live.sum())[None, :], best]] = 1.0
    return pi

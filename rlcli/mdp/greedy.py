"""Action values from state values, and the greedy (optimal-action) sets they define.

Policies are (K,) arrays over the MDP's state-action pairs (see ``rlcli.mdp.model``).
"""

from __future__ import annotations

import numpy as np

from rlcli.mdp.model import MDP

TIE_TOLERANCE = 1e-9  # relative: actions within 1e-9 × max(1, |Q|) of the best one tie


def q_from_values(mdp: MDP, values: np.ndarray) -> np.ndarray:
    """(K,) Q(s, a) = Σ_{s', r} p(s', r | s, a) [r + γ V(s')]."""
    return mdp.expected_reward + mdp.gamma * (mdp.P @ values)


def _starts(mdp: MDP) -> tuple[np.ndarray, np.ndarray]:
    """The non-terminal states (those with pairs) and the first pair of each."""
    live = np.flatnonzero(mdp.n_actions_of > 0)
    return live, mdp.pair_ptr[live]


def state_max(mdp: MDP, q: np.ndarray) -> np.ndarray:
    """(S,) max_a Q(s, a); 0 for terminal states."""
    live, starts = _starts(mdp)
    best = np.zeros(mdp.n_states)
    if len(live):
        best[live] = np.maximum.reduceat(q, starts)
    return best


def tie_tolerance(q: np.ndarray) -> float:
    return TIE_TOLERANCE * max(1.0, float(np.max(np.abs(q))) if len(q) else 1.0)


def optimal_pairs(mdp: MDP, q: np.ndarray, tol: float | None = None) -> np.ndarray:
    """(K,) bool: the pairs whose Q is within ``tol`` of their state's best (every tie)."""
    tol = tie_tolerance(q) if tol is None else tol
    return q >= state_max(mdp, q)[mdp.pair_state] - tol


def greedy_policy(
    mdp: MDP, q: np.ndarray, current: np.ndarray | None = None, tol: float | None = None
) -> np.ndarray:
    """(K,) deterministic π(s) ∈ argmax_a Q(s, a).

    Ties keep the current action (so policy iteration cannot cycle); otherwise the
    first best action in file order.
    """
    best = optimal_pairs(mdp, q, tol)
    priority = best.astype(np.int8)
    if current is not None:
        priority[best & (current > 0.5)] = 2
    live, starts = _starts(mdp)
    policy = np.zeros(mdp.n_pairs)
    if not len(live):
        return policy
    top = np.maximum.reduceat(priority, starts)[np.searchsorted(live, mdp.pair_state)]
    index = np.where(priority == top, np.arange(mdp.n_pairs), mdp.n_pairs)
    policy[np.minimum.reduceat(index, starts)] = 1.0
    return policy


def tie_policy(mdp: MDP, q: np.ndarray, tol: float | None = None) -> np.ndarray:
    """(K,) the equiprobable policy over every optimal action of each state."""
    best = optimal_pairs(mdp, q, tol).astype(float)
    counts = np.bincount(mdp.pair_state, weights=best, minlength=mdp.n_states)
    return best / np.maximum(counts[mdp.pair_state], 1)

"""Action values from state values, and the greedy (optimal-action) sets they define.

Policies are (K,) arrays over the MDP's state-action pairs (see ``rlcli.mdp.model``).
"""

from __future__ import annotations

import numpy as np

from rlcli.mdp.model import MDP

# Ties: Q(s, a) ties with the best when it is within 1e-12 × max(1, max|Q|) (float
# round-off of a direct solve) plus the error bound of the values Q came from. A fixed
# 1e-9 relative tolerance merged actions that differ by 1e-4 at |Q| = 1e6.
TIE_TOLERANCE = 1e-12


def q_from_values(mdp: MDP, values: np.ndarray) -> np.ndarray:
    """(K,) Q(s, a) = Σ_{s', r} p(s', r | s, a) [r + γ V(s')]."""
    return mdp.expected_reward + mdp.gamma * mdp.expected_next(values)


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


def tie_tolerance(q: np.ndarray, error: float = 0.0) -> float:
    """1e-12 × max(1, max|Q|) + ``error`` (a bound on the error of Q)."""
    return TIE_TOLERANCE * max(1.0, float(np.max(np.abs(q))) if len(q) else 1.0) + error


def value_error(mdp: MDP, residual: float) -> float:
    """A bound on ‖V − V_π‖∞ from the Bellman residual: residual/(1 − γ) for γ < 1 (10×
    for safety); at γ = 1 the expected episode length is unknown, S × residual stands in."""
    scale = 1 / (1 - mdp.gamma) if mdp.gamma < 1 else mdp.n_states
    return 10 * residual * scale


def optimal_pairs(mdp: MDP, q: np.ndarray, tol: float | None = None) -> np.ndarray:
    """(K,) bool: the pairs whose Q is within ``tol`` of their state's best (every tie)."""
    tol = tie_tolerance(q) if tol is None else tol
    return q >= state_max(mdp, q)[mdp.pair_state] - tol


def greedy_policy(
    mdp: MDP, q: np.ndarray, current: np.ndarray | None = None, tol: float | None = None
) -> np.ndarray:
    """(K,) deterministic π(s) ∈ argmax_a Q(s, a), ties within ``tol`` (see ``improve``)."""
    return improve(mdp, optimal_pairs(mdp, q, tol), current)


def improve(mdp: MDP, best: np.ndarray, current: np.ndarray | None = None) -> np.ndarray:
    """(K,) deterministic policy choosing among the ``best`` (K,) bool actions of each state.

    Ties keep the current action (so policy iteration cannot cycle); otherwise the
    first best action in file order.
    """
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


def equiprobable(mdp: MDP, chosen: np.ndarray) -> np.ndarray:
    """(K,) the policy that picks uniformly among the ``chosen`` (K,) bool actions of each
    state (every optimal action, say)."""
    chosen = chosen.astype(float)
    counts = np.bincount(mdp.pair_state, weights=chosen, minlength=mdp.n_states)
    return chosen / np.maximum(counts[mdp.pair_state], 1)


def tie_policy(mdp: MDP, q: np.ndarray, tol: float | None = None) -> np.ndarray:
    """(K,) the equiprobable policy over every action of each state whose Q is within
    ``tol`` of the best."""
    return equiprobable(mdp, optimal_pairs(mdp, q, tol))

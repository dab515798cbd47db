"""Off-policy Monte Carlo prediction by importance sampling, S&B §5.5.

Episodes follow the behaviour policy b; the target is v_π. With the importance-sampling
ratio ρ_{t:T−1} = Π_{k=t}^{T−1} π(A_k|S_k) / b(A_k|S_k):

- ordinary:  V(s) = Σ ρ_{t:T−1} G_t / N(s)              (eq. 5.5), unbiased;
- weighted:  V(s) = Σ ρ_{t:T−1} G_t / Σ ρ_{t:T−1}         (eq. 5.6), biased, lower variance;

sums over the visits to s (every visit, or the first of each episode). A state whose
weights are all zero so far keeps V0.
"""

from __future__ import annotations

import numpy as np

from rlcli.learn.episodes import Episode
from rlcli.learn.errors import SettingError
from rlcli.learn.steps import first_visits, require_complete
from rlcli.mdp.model import MDP


def ratios(mdp: MDP, target: np.ndarray, behavior: np.ndarray) -> np.ndarray:
    """(K,) π(a|s)/b(a|s); refuses a behaviour policy that does not cover the target."""
    uncovered = np.flatnonzero((behavior <= 0) & (target > 0))
    if len(uncovered):
        k = uncovered[0]
        raise SettingError(
            "{behavior} must give every action the target policy takes a positive "
            "probability (coverage, S&B §5.5): b({action}|{state}) = 0 but π > 0 there",
            action=mdp.actions[mdp.pair_action[k]],
            state=mdp.states[mdp.pair_state[k]],
        )
    return np.divide(target, behavior, out=np.zeros_like(target), where=behavior > 0)


def importance_episode(
    V: np.ndarray, ep: Episode, sums: np.ndarray, ratio: np.ndarray, weighted: np.ndarray,
    first_visit: bool, v0: float, terminal: np.ndarray,
) -> None:  # fmt: skip
    """Add ρ_{t:T−1}G_t, ρ_{t:T−1} and 1 per visit to ``sums`` (3, B, S); V from eq. 5.5/5.6."""
    require_complete(ep, "off-policy Monte Carlo")
    B, S = V.shape
    T = ep.horizon
    live = np.arange(T)[None, :] < ep.length[:, None]
    step_ratio = np.where(live, ratio[np.maximum(ep.pairs, 0)], 1.0)
    rho = np.cumprod(step_ratio[:, ::-1], axis=1)[:, ::-1]  # ρ_{t:T−1}
    counted = first_visits(ep.states, ep.length, S) if first_visit else live
    rb = np.broadcast_to(np.arange(B)[:, None], (B, T))[counted]
    ss = ep.states[:, :T][counted]
    np.add.at(sums[0], (rb, ss), (rho * ep.returns[:, :T])[counted])
    np.add.at(sums[1], (rb, ss), rho[counted])
    np.add.at(sums[2], (rb, ss), 1)
    denominator = np.where(weighted[:, None], sums[1], sums[2])
    V[:] = np.where(
        denominator > 0,
        sums[0] / np.where(denominator > 0, denominator, 1),
        np.where(terminal, 0.0, v0),
    )

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

from rlcli.learn.episodes import Chunk, Episode
from rlcli.learn.errors import SettingError
from rlcli.learn.steps import first_visits, require_complete
from rlcli.learn.visits import Rounds, Written, chunk_visits
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


def importance_chunk(
    V: np.ndarray, chunk: Chunk, sums: np.ndarray, ratio: np.ndarray, weighted: np.ndarray,
    first_visit: bool, v0: float, terminal: np.ndarray, run: np.ndarray,
) -> Written:  # fmt: skip
    """For every counted visit of the chunk's episodes, in order: add ρ_{t:T−1}G_t, ρ_{t:T−1}
    and 1 to ``sums`` (3, B, S) at (b, S_t), and set V(S_t) from eq. 5.5 (ordinary: ΣρG / N)
    or eq. 5.6 (weighted: ΣρG / Σρ). Row b reads run ``run[b]``; rows apply in rounds
    (``visits``), each key's sums accumulated in time order. Returns what each update wrote."""
    require_complete(chunk, "off-policy Monte Carlo")
    S = V.shape[1]
    live = np.arange(chunk.horizon) < chunk.length[:, None]
    step_ratio = np.where(live, ratio[np.maximum(chunk.pairs, 0)], 1.0)
    rho = np.cumprod(step_ratio[:, ::-1], axis=1)[:, ::-1]  # ρ_{t:T−1}
    counted = first_visits(chunk.states, chunk.length, S) if first_visit else live
    visits = chunk_visits(chunk, run, counted)
    key = visits.row * S + visits.state
    rounds = Rounds.of(key)
    rho_t = rho[visits.at]
    added = np.stack((rho_t * chunk.returns[visits.at], rho_t, np.ones(len(key))))[:, rounds.order]
    key_k = key[rounds.order]
    flat_sums = sums.reshape(3, -1)  # ΣρG, Σρ, N per flat key b·S + s
    running = np.empty_like(added)  # the sums after each update, in round order
    for k in rounds:
        here = key_k[k]
        running[:, k] = flat_sums[:, here] = flat_sums[:, here] + added[:, k]
    after = np.empty_like(running)
    after[:, rounds.order] = running
    value = _estimate(*after, weighted[visits.row], np.where(terminal[visits.state], 0.0, v0))
    touched = rounds.keys
    b, s = np.divmod(touched, S)
    V.reshape(-1)[touched] = _estimate(*flat_sums[:, touched], weighted[b],
                                       np.where(terminal[s], 0.0, v0))  # fmt: skip
    return rounds.written(visits.episode, value)


def _estimate(top: np.ndarray, rho_total: np.ndarray, n: np.ndarray, weighted: np.ndarray,
              fallback: np.ndarray) -> np.ndarray:  # fmt: skip
    """ΣρG / N (ordinary, eq. 5.5) or ΣρG / Σρ (weighted, eq. 5.6); ``fallback`` while the
    denominator is 0."""
    denominator = np.where(weighted, rho_total, n)
    positive = denominator > 0
    return np.where(positive, top / np.where(positive, denominator, 1), fallback)


def importance_episode(
    V: np.ndarray, ep: Episode, sums: np.ndarray, ratio: np.ndarray, weighted: np.ndarray,
    first_visit: bool, v0: float, terminal: np.ndarray,
) -> None:  # fmt: skip
    """``importance_chunk`` on one episode, row b of ``ep`` being learning row b."""
    importance_chunk(V, Chunk.of(ep), sums, ratio, weighted, first_visit, v0, terminal,
                     np.arange(len(V)))  # fmt: skip

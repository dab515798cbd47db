"""One gradient step on the actor (given ∂L/∂log π) with entropy bonus, plus the critic."""

from __future__ import annotations

import numpy as np

from rlcli.train.agent import ActorCritic
from rlcli.train.config import TrainConfig
from rlcli.train.losses import value_loss


def gradient_step(
    agent: ActorCritic,
    cfg: TrainConfig,
    a_cache: list,
    logp_all: np.ndarray,
    actions: np.ndarray,
    dlogp: np.ndarray,
    obs: np.ndarray | None = None,
    returns: np.ndarray | None = None,
    old_values: np.ndarray | None = None,
    dlogits_extra: np.ndarray | None = None,
    critic_out: tuple[np.ndarray, list] | None = None,
) -> tuple[float, float]:
    """L = L_π − c_H·mean H(π) + c_V·L_V; one clipped Adam step. Returns (mean entropy, L_V).

    ``logp_all`` is the policy's output row (``agent.policy_out``), ``dlogp`` = ∂L_π/∂log π(a|s);
    ``critic_out``: ``agent.values(obs)`` if already computed at the current weights.
    """
    n = len(actions)
    dist = agent.dist
    h = dist.entropy(logp_all)
    dlogits = dist.grad_log_prob(logp_all, actions, dlogp)
    if cfg.ent_coef:
        dlogits += dist.grad_entropy(logp_all, np.full(n, -cfg.ent_coef / n))
    if dlogits_extra is not None:
        dlogits += dlogits_extra
    grads = agent.actor_grads(a_cache, dlogits)
    v_loss = float("nan")
    if agent.critic is not None and returns is not None:
        v, c_cache = critic_out if critic_out is not None else agent.values(obs)
        v_loss, dv = value_loss(v, returns, old_values, cfg.clip_value)
        grads = grads + agent.critic_grads(c_cache, cfg.vf_coef * dv)
    agent.apply(grads, cfg.max_grad_norm)
    return float(h.sum()) / n, v_loss

"""Advantage actor-critic (Mnih et al. 2016, synchronous) with GAE(λ) advantages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rlcli.train.diagnostics import explained_variance
from rlcli.train.losses import normalize, pg_loss
from rlcli.train.rollout import rollout_advantages
from rlcli.train.update import gradient_step

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.train.run import Runner


def a2c_iteration(run: Runner) -> dict[str, Any]:
    """One rollout of n_steps × n_envs, Â = GAE(γ, λ), one gradient step on
    L = −mean(Â log π) − c_H H + c_V ½(V − (Â + V_old))²."""
    cfg, agent = run.cfg, run.agent
    b = rollout_advantages(run)
    adv = normalize(b.advantages) if cfg.norm_adv else b.advantages
    logp_all, cache = agent.policy_out(b.obs, b.masks)
    loss, dlogp = pg_loss(agent.dist.log_prob(logp_all, b.actions), adv)
    ent, v_loss = gradient_step(agent, cfg, cache, logp_all, b.actions, dlogp, b.obs, b.returns)
    return dict(
        steps=b.steps,
        policy_loss=loss,
        value_loss=v_loss,
        entropy=ent,
        explained_variance=explained_variance(b.values, b.returns),
    )

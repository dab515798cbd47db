"""Advantage actor-critic (Mnih et al. 2016, synchronous) with GAE(λ) advantages."""

from __future__ import annotations

from rlcli.nn.categorical import log_prob
from rlcli.train.gae import gae
from rlcli.train.losses import normalize, pg_loss
from rlcli.train.rollout import rollout
from rlcli.train.update import gradient_step


def a2c_iteration(run) -> dict:
    """One rollout of n_steps × n_envs, Â = GAE(γ, λ), one gradient step on
    L = −mean(Â log π) − c_H H + c_V ½(V − (Â + V_old))²."""
    cfg, agent = run.cfg, run.agent
    batch, run.obs = rollout(
        run.env,
        agent,
        run.obs,
        cfg.n_steps,
        run.rng,
        run.tracker,
        cfg.gamma,
        cfg.bootstrap_truncation,
    )
    adv = gae(batch.rewards, batch.values, batch.last_value, batch.dones, cfg.gamma, cfg.lam)
    returns = (adv + batch.values).ravel()
    adv = adv.ravel()
    if cfg.norm_adv:
        adv = normalize(adv)
    obs = batch.obs.reshape(-1, batch.obs.shape[-1])
    actions = batch.actions.ravel()
    masks = None if batch.masks is None else batch.masks.reshape(-1, batch.masks.shape[-1])
    logp_all, cache = agent.log_probs(obs, masks)
    logp = log_prob(logp_all, actions)
    loss, dlogp = pg_loss(logp, adv)
    ent, v_loss = gradient_step(agent, cfg, cache, logp_all, actions, dlogp, obs, returns)
    return dict(steps=batch.steps, policy_loss=loss, value_loss=v_loss, entropy=ent)

"""REINFORCE (Williams 1992) with reward-to-go, optionally with a learned value baseline."""

from __future__ import annotations

from rlcli.train.gae import reward_to_go
from rlcli.train.losses import normalize, pg_loss
from rlcli.train.rollout import episodes
from rlcli.train.update import gradient_step


def reinforce_iteration(run) -> dict:
    """One batch of whole episodes (one per copy); ∇J ≈ mean_t ∇log π(a_t|s_t) (G_t − b(s_t)).

    G_t is the discounted reward-to-go to the episode's end (a time-limit cut is not
    bootstrapped: plain Monte Carlo). With ``--baseline`` b = V(s) is fitted to G_t.
    """
    cfg, agent = run.cfg, run.agent
    batch = episodes(run.env, agent, run.rng, run.tracker)
    g = reward_to_go(batch.rewards, batch.dones, cfg.gamma)
    keep = batch.alive.ravel()
    obs = batch.obs.reshape(-1, batch.obs.shape[-1])[keep]
    actions = batch.actions.reshape(len(keep), *batch.actions.shape[2:])[keep]
    masks = None if batch.masks is None else batch.masks.reshape(-1, batch.masks.shape[-1])[keep]
    returns = g.ravel()[keep]
    adv = returns - agent.value(obs) if cfg.baseline else returns.copy()
    if cfg.norm_adv and len(adv) > 1:
        adv = normalize(adv)
    logp_all, cache = agent.policy_out(obs, masks)
    logp = agent.dist.log_prob(logp_all, actions)
    loss, dlogp = pg_loss(logp, adv)
    ent, v_loss = gradient_step(
        agent, cfg, cache, logp_all, actions, dlogp, obs, returns if cfg.baseline else None
    )
    stats = dict(steps=batch.steps, policy_loss=loss, entropy=ent)
    if cfg.baseline:
        stats["value_loss"] = v_loss
    return stats

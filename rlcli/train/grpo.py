"""Group relative policy optimisation (Shao et al. 2024, DeepSeekMath): no critic.

For each of P start states (GRPO's prompts) sample G episodes (its completions o_i); the
outcome R_i, the episode's undiscounted return, gives every one of its steps the advantage
Â_i = (R_i − mean_group R) / (std_group R + 1e-4). Loss per step: the PPO clipped surrogate
plus β·k3 KL to the frozen reference (initial) policy, averaged over an episode's steps, then
over episodes: L = (1/PG) Σ_i (1/|o_i|) Σ_t [−min(ρ_t Â_i, clip(ρ_t) Â_i) + β k3_t].
The same loss on a language model's tokens: ``rlcli.lm.rl``.
"""

from __future__ import annotations

import numpy as np

from rlcli.nn.categorical import log_prob
from rlcli.train.losses import approx_kl, clipped_surrogate, group_advantages, k3
from rlcli.train.rollout import episodes
from rlcli.train.update import gradient_step


def grpo_iteration(run) -> dict:
    cfg, agent = run.cfg, run.agent
    G = cfg.group_size
    batch = episodes(run.env, agent, run.rng, run.tracker, options={"group_size": G})
    outcome = batch.rewards.sum(axis=0)  # (N,) undiscounted return of each episode
    adv_seq = group_advantages(outcome.reshape(-1, G)).ravel()
    alive = batch.alive
    lengths = alive.sum(axis=0)
    keep = alive.ravel()
    N = alive.shape[1]
    seq = np.tile(np.arange(N), alive.shape[0])[keep]
    obs_all = batch.obs.reshape(-1, batch.obs.shape[-1])[keep]
    act_all = batch.actions.ravel()[keep]
    old_logp_all = batch.logp.ravel()[keep]
    masks_all = (
        None if batch.masks is None else batch.masks.reshape(-1, batch.masks.shape[-1])[keep]
    )
    adv_all = adv_seq[seq]
    w_all = 1.0 / (N * lengths[seq])
    ref_logp_all = None
    if cfg.kl_coef:
        lp, _ = run.reference.log_probs(obs_all, masks_all)
        ref_logp_all = log_prob(lp, act_all)
    n = len(act_all)
    p_losses, ents, kls, clipfracs, ref_kls = [], [], [], [], []
    for _epoch in range(cfg.epochs):
        order = run.rng.permutation(n)
        for mb in np.array_split(order, min(cfg.minibatches, n)):  # every step, every epoch
            logp_all, cache = agent.log_probs(
                obs_all[mb], None if masks_all is None else masks_all[mb]
            )
            logp = log_prob(logp_all, act_all[mb])
            # weights renormalised so each minibatch is an unbiased share of the full loss
            w = w_all[mb] * (n / len(mb))
            loss, dlogp, ratio = clipped_surrogate(logp, old_logp_all[mb], adv_all[mb], cfg.clip, w)
            if ref_logp_all is not None:
                kl_t, dkl = k3(logp, ref_logp_all[mb])
                loss += cfg.kl_coef * float((w * kl_t).sum())
                dlogp = dlogp + cfg.kl_coef * w * dkl
                ref_kls.append(float((w * kl_t).sum()))
            ent, _ = gradient_step(agent, cfg, cache, logp_all, act_all[mb], dlogp)
            p_losses.append(loss)
            ents.append(ent)
            kls.append(approx_kl(logp, old_logp_all[mb]))
            clipfracs.append(float((np.abs(ratio - 1.0) > cfg.clip).mean()))
    stats = dict(
        steps=batch.steps,
        policy_loss=float(np.mean(p_losses)),
        entropy=float(np.mean(ents)),
        approx_kl=float(np.mean(kls)),
        clip_frac=float(np.mean(clipfracs)),
    )
    if ref_kls:
        stats["ref_kl"] = float(np.mean(ref_kls))
    return stats

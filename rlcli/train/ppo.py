"""Proximal policy optimisation (Schulman et al. 2017): clipped surrogate or adaptive KL penalty.

Implementation details (as in strong PPO implementations, cf. Huang et al. 2022,
"The 37 implementation details of PPO"): vectorised fixed-length rollouts; GAE(λ);
``epochs`` passes of shuffled minibatches; per-minibatch advantage normalisation;
clipped surrogate; optional value clipping; entropy bonus; global gradient-norm clip;
linear learning-rate annealing; approx-KL (k3) and clip fraction logged; optional
target-KL early stop. Time-limit truncation is bootstrapped with γV(s_final) (see
``rollout``), the SB3 choice; value clipping is off by default (also SB3).
"""

from __future__ import annotations

import numpy as np

from rlcli.nn.categorical import grad_kl, kl, log_prob
from rlcli.train.losses import approx_kl, clipped_surrogate, importance_weighted, normalize
from rlcli.train.rollout import rollout_advantages
from rlcli.train.update import gradient_step


def ppo_iteration(run) -> dict:
    """One rollout, then ``epochs`` × ``minibatches`` gradient steps on the PPO loss."""
    cfg, agent = run.cfg, run.agent
    b = rollout_advantages(run)
    obs_all, act_all, masks_all = b.obs, b.actions, b.masks
    adv_all, returns_all, old_logp_all = b.advantages, b.returns, b.logp
    old_dist_all, old_v_all = b.logp_all, b.values
    clip = cfg.clip * run.remaining if cfg.anneal_clip else cfg.clip
    n = len(act_all)
    p_losses, v_losses, ents, kls, clipfracs = [], [], [], [], []
    first_ratio_dev = None
    stop = False
    for _epoch in range(cfg.epochs):
        order = run.rng.permutation(n)
        for mb in np.array_split(order, cfg.minibatches):  # every sample, every epoch
            obs, actions = obs_all[mb], act_all[mb]
            masks = None if masks_all is None else masks_all[mb]
            logp_all, cache = agent.log_probs(obs, masks)
            logp = log_prob(logp_all, actions)
            adv = normalize(adv_all[mb]) if cfg.norm_adv and len(mb) > 1 else adv_all[mb]
            extra = None
            if cfg.kl_penalty:
                # L = −mean(ρÂ) + β·mean KL(π_old ‖ π) (PPO paper, eq. 8), exact over actions
                loss, dlogp, ratio = importance_weighted(logp, old_logp_all[mb], adv)
                loss += run.beta * float(kl(old_dist_all[mb], logp_all).mean())
                extra = grad_kl(old_dist_all[mb], logp_all, np.full(len(mb), run.beta / len(mb)))
            else:
                loss, dlogp, ratio = clipped_surrogate(logp, old_logp_all[mb], adv, clip)
            if first_ratio_dev is None:
                first_ratio_dev = float(np.abs(ratio - 1.0).max())
            ent, v_loss = gradient_step(
                agent,
                cfg,
                cache,
                logp_all,
                actions,
                dlogp,
                obs,
                returns_all[mb],
                old_v_all[mb],
                extra,
            )
            p_losses.append(loss)
            v_losses.append(v_loss)
            ents.append(ent)
            kls.append(approx_kl(logp, old_logp_all[mb]))
            clipfracs.append(float((np.abs(ratio - 1.0) > clip).mean()))
        if cfg.target_kl is not None and kls[-1] > cfg.target_kl:
            stop = True
            break
    stats = dict(
        steps=b.steps,
        policy_loss=float(np.mean(p_losses)),
        value_loss=float(np.mean(v_losses)),
        entropy=float(np.mean(ents)),
        approx_kl=float(np.mean(kls)),
        clip_frac=float(np.mean(clipfracs)),
        first_ratio_dev=first_ratio_dev,
        clip=clip,
        early_stop=stop,
    )
    if cfg.kl_penalty:
        new_dist, _ = agent.log_probs(obs_all, masks_all)
        d = float(kl(old_dist_all, new_dist).mean())
        # adaptive β (PPO paper, section 4): halve below d_targ/1.5, double above 1.5·d_targ
        if d < cfg.kl_target / 1.5:
            run.beta /= 2
        elif d > cfg.kl_target * 1.5:
            run.beta *= 2
        stats.update(kl=d, beta=run.beta)
        del stats["clip_frac"], stats["clip"]  # no clipping in this variant
    return stats

"""Proximal policy optimisation (Schulman et al. 2017): clipped surrogate or adaptive KL penalty.

Implementation details (as in strong PPO implementations, cf. Huang et al. 2022,
"The 37 implementation details of PPO"): vectorised fixed-length rollouts; GAE(λ);
``epochs`` passes of shuffled minibatches; per-minibatch advantage normalisation;
clipped surrogate; optional value clipping; entropy bonus; global gradient-norm clip;
linear learning-rate annealing; approx-KL (k3), clip fraction and explained variance
logged; optional target-KL early stop. Time-limit truncation is bootstrapped with
γV(s_final) (see ``rollout``), the SB3 choice; value clipping is off by default (also SB3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from rlcli.train.diagnostics import explained_variance
from rlcli.train.losses import approx_kl, clipped_surrogate, importance_weighted, normalize
from rlcli.train.rollout import rollout_advantages
from rlcli.train.update import gradient_step

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.train.run import Runner


def adapted_beta(beta: float, d: float, d_targ: float) -> float:
    """The PPO paper's adaptive KL coefficient (section 4): β/2 if d < d_targ/1.5, 2β if
    d > 1.5·d_targ, else β, where d = KL(π_old ‖ π) after the update."""
    if d < d_targ / 1.5:
        return beta / 2
    if d > d_targ * 1.5:
        return beta * 2
    return beta


def _minibatches(n: int, k: int, rng: np.random.Generator) -> list[Any]:
    """``k`` shuffled minibatches of the n samples; ``k`` = 1 is the whole batch in rollout order
    (a view: shuffling would only reorder the sums over it, and the gathers cost time)."""
    if k == 1:
        return [slice(None)]
    return np.array_split(rng.permutation(n), k)


def ppo_iteration(run: Runner) -> dict[str, Any]:
    """One rollout, then ``epochs`` × ``minibatches`` gradient steps on the PPO loss.

    Advances ``run.obs``, ``run.rng`` and the agent's weights; with ``kl_penalty`` it also
    sets ``run.beta`` to the adapted β for the next iteration. Returns the statistics.
    """
    cfg, agent = run.cfg, run.agent
    dist = agent.dist  # softmax or Gaussian: log-probs, KL and their gradients
    b = rollout_advantages(run)  # the whole rollout, flattened to T·N samples
    clip = cfg.clip * run.remaining if cfg.anneal_clip else cfg.clip
    n = len(b.actions)
    p_losses, v_losses, ents, kls, clipfracs = [], [], [], [], []
    first_ratio_dev: float | None = None
    stop = False
    whole = cfg.minibatches == 1  # the same samples in every step: normalise Â once
    adv_whole = normalize(b.advantages) if whole and cfg.norm_adv and n > 1 else b.advantages
    # the rollout evaluated π and V on the batch with these very weights: the first step of a
    # one-minibatch update reuses that forward pass (the same numbers: ρ = 1 exactly)
    reuse = b.forward if whole else None
    for _epoch in range(cfg.epochs):
        for mb in _minibatches(n, cfg.minibatches, run.rng):  # every sample, every epoch
            obs, actions, old_logp = b.obs[mb], b.actions[mb], b.logp[mb]
            n_mb = len(actions)
            masks = None if b.masks is None else b.masks[mb]
            if reuse is not None:
                (logp_all, cache), critic_out = reuse
                reuse = None
            else:
                logp_all, cache = agent.policy_out(obs, masks)  # log π(·|s), every action
                critic_out = None
            logp = dist.log_prob(logp_all, actions)
            if whole:
                adv = adv_whole
            else:
                adv = normalize(b.advantages[mb]) if cfg.norm_adv and n_mb > 1 else b.advantages[mb]
            dlogits_kl = None
            if cfg.kl_penalty:
                # L = −mean(ρÂ) + β·mean KL(π_old ‖ π) (PPO paper, eq. 8), exact over actions
                old_logp_all = b.logp_all[mb]
                loss, dlogp, ratio = importance_weighted(logp, old_logp, adv)
                loss += run.beta * float(dist.kl(old_logp_all, logp_all).mean())
                g = np.full(n_mb, run.beta / n_mb)
                dlogits_kl = dist.grad_kl(old_logp_all, logp_all, g)
            else:
                loss, dlogp, ratio = clipped_surrogate(logp, old_logp, adv, clip)
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
                b.returns[mb],
                b.values[mb],
                dlogits_kl,
                critic_out,
            )
            p_losses.append(loss)
            v_losses.append(v_loss)
            ents.append(ent)
            kls.append(approx_kl(logp, old_logp))
            clipfracs.append(np.count_nonzero(np.abs(ratio - 1.0) > clip) / n_mb)
        if cfg.target_kl is not None and kls[-1] > cfg.target_kl:
            stop = True
            break
    stats: dict[str, Any] = dict(
        steps=b.steps,
        policy_loss=float(np.mean(p_losses)),
        value_loss=float(np.mean(v_losses)),
        entropy=float(np.mean(ents)),
        approx_kl=float(np.mean(kls)),
        clip_frac=float(np.mean(clipfracs)),
        explained_variance=explained_variance(b.values, b.returns),
        first_ratio_dev=first_ratio_dev,
        clip=clip,
        early_stop=stop,
    )
    if cfg.kl_penalty:
        new_logp_all, _ = agent.policy_out(b.obs, b.masks)
        d = float(dist.kl(b.logp_all, new_logp_all).mean())
        run.beta = adapted_beta(run.beta, d, cfg.kl_target)
        stats.update(kl=d, beta=run.beta)
        del stats["clip_frac"], stats["clip"]  # no clipping in this variant
    return stats

"""RL fine-tuning: PPO, GRPO, Dr. GRPO, RLOO, REINFORCE (``/work/shared/LM_RL.md``).

| algo      | advantage of every token of o_i            | token weights     | KL to π_ref  |
|-----------|--------------------------------------------|-------------------|--------------|
| ppo       | GAE(γ, λ) over tokens, whitened per batch  | 1/Σ mask          | k1 in reward |
| grpo      | (r_i − mean r)/(std r + ε) per group       | 1/(N·|o_i|)       | k3 in loss   |
| dr-grpo   | r_i − mean r per group                     | 1/(N·L_max)       | k3 in loss   |
| rloo      | r'_i − mean_{j≠i} r'_j, r' = r − βΣ_t k1_t | 1/N (seq. sum)    | k1 in reward |
| reinforce | r'_i − mean over the batch                 | 1/N (seq. sum)    | k1 in reward |

Every algorithm then minimises the clipped surrogate −Σ w·min(ρÂ, clip(ρ, 1−ε, 1+ε)Â),
ρ = π_θ/π_old (``rlcli.train.losses.clipped_surrogate``); PPO adds ½c(V − return)² for its critic,
a linear head on the policy's features (its gradient does not reach the transformer), clipped
around the rollout's values with ``value_clip`` (``rlcli.train.losses.value_loss``). With
``kl_target``, β is adapted after each rollout (Ziegler et al. 2019, ``A.adaptive_kl_coef``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rlcli.errors import NumericalError
from rlcli.lm import advantages as A
from rlcli.lm import model as m
from rlcli.lm import task
from rlcli.lm.evaluate import Policy, accuracy, complete
from rlcli.lm.losses import dlogits_from_dlogp
from rlcli.lm.optim import AdamW
from rlcli.lm.rl_config import RLConfig
from rlcli.lm.rollout import RewardFn, Rollout, collect, completion_forward
from rlcli.train.losses import clipped_surrogate, k3, value_loss


def advantages_for(cfg: RLConfig, ro: Rollout, max_len: int) -> tuple[np.ndarray, np.ndarray, Any]:
    """Per-token advantages Â (B, T), token weights w (B, T) and the critic's returns (PPO)."""
    mask, n = ro.mask, len(ro.mask)
    k1_seq = ((ro.logp_old - ro.logp_ref) * mask).sum(1)
    returns = None
    if cfg.algo == "ppo":
        rew = A.kl_penalised_token_rewards(ro.scores, ro.logp_old, ro.logp_ref, mask, cfg.kl_coef)
        adv, returns = A.token_gae(rew, ro.values, mask, cfg.gamma, cfg.lam)
        return A.masked_whiten(adv, mask), mask / mask.sum(), returns
    grouped = ro.grouped_scores
    if cfg.algo in ("rloo", "reinforce"):
        grouped = (ro.scores - cfg.kl_coef * k1_seq).reshape(grouped.shape)
    seq_adv = {
        "grpo": A.grpo_advantages,
        "dr-grpo": A.dr_grpo_advantages,
        "rloo": A.rloo_advantages,
        "reinforce": A.batch_mean_advantages,
    }[cfg.algo](grouped).reshape(-1)
    if cfg.algo == "grpo":
        weights = mask / (n * mask.sum(1, keepdims=True))
    elif cfg.algo == "dr-grpo":
        weights = mask / (n * max_len)
    else:
        weights = mask / n
    return seq_adv[:, None] * mask, weights, returns


def loss_and_grads(
    params: m.Params,
    mcfg: m.ModelConfig,
    cfg: RLConfig,
    ro: Rollout,
    adv: np.ndarray,
    weights: np.ndarray,
    returns: np.ndarray | None,
) -> tuple[float, m.Params, dict[str, float]]:
    """The algorithm's loss on ``ro`` and its gradient for every parameter."""
    logp, logp_all, h, cache = completion_forward(
        params, mcfg, ro.seq, ro.prompt_len, cfg.temperature
    )
    on = ro.mask > 0
    loss, dlogp_on, ratio = clipped_surrogate(
        logp[on], ro.logp_old[on], adv[on], cfg.clip, weights[on]
    )
    dlogp = np.zeros_like(logp, dtype=np.float64)
    dlogp[on] = dlogp_on
    if cfg.algo in ("grpo", "dr-grpo") and cfg.kl_coef > 0:
        d, dd = k3(logp[on], ro.logp_ref[on])
        loss += cfg.kl_coef * float((weights[on] * d).sum())
        dlogp[on] += cfg.kl_coef * weights[on] * dd
    dlogits = dlogits_from_dlogp(dlogp, logp_all, ro.completions) / cfg.temperature
    full = np.zeros((*h.shape[:2], dlogits.shape[-1]), dtype=h.dtype)
    full[:, ro.prompt_len - 1 :] = dlogits
    grads = m.gradients(params, mcfg, cache, h, full)
    stats = {
        "clip_frac": float(np.mean(np.abs(ratio - 1) > cfg.clip)),
        "ratio_max": float(np.abs(ratio - 1).max()),
    }
    if cfg.algo == "ppo":
        hc = h[:, ro.prompt_len - 1 :]
        v = m.values_of(params, hc)
        # ½ mean over the unmasked tokens of (V − R)², or its clipped form (cfg.value_clip)
        old_v = None if ro.values is None else ro.values[on]
        vloss, dv_on = value_loss(v[on], returns[on], old_v, cfg.value_clip)
        dv = np.zeros_like(v, dtype=np.float64)
        dv[on] = dv_on
        _, head = m.head_backward(params, hc, None, (cfg.vf_coef * dv).astype(h.dtype))
        grads["w_v"], grads["b_v"] = head["w_v"], head["b_v"]
        loss += cfg.vf_coef * vloss
        stats["value_loss"] = vloss
    return loss, grads, stats


@dataclass
class RLResult:
    params: m.Params
    history: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0


def greedy_eval(policy: Policy, problems: list[task.Problem]) -> tuple[float, float]:
    """Held-out greedy accuracy (by the verifier) and mean completion length in tokens."""
    texts = complete(policy, problems, np.random.default_rng(0), temperature=0.0)
    lengths = [len(policy.tok.encode(t, "completion")) + 1 for t in texts]
    return accuracy(problems, texts), float(np.mean(lengths))


def rl_train(
    base: Policy,
    cfg: RLConfig,
    reward: RewardFn,
    on_iteration: Callable[[dict[str, Any]], None] | None = None,
) -> RLResult:
    """Fine-tune a copy of ``base`` (which stays frozen as π_ref) with ``cfg.algo``."""
    cfg.check()
    t_start = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    ref = base.params
    params = {k: v.copy() for k, v in ref.items()}
    params["w_v"][:] = 0.0  # a fresh critic (PPO); the policy never reads this head
    params["b_v"][...] = 0.0
    policy = replace(base, params=params)
    opt = AdamW(params, cfg.lr, cfg.iterations * cfg.epochs * cfg.minibatches, 3, 0.0)
    train, held = task.split()
    held = list(held[: cfg.eval_prompts])
    result = RLResult(params)
    acc, length = greedy_eval(policy, held)
    row0 = {"iteration": 0, "greedy_accuracy": acc, "greedy_length": length}
    result.history.append(row0)
    if on_iteration is not None:
        on_iteration(row0)
    n = cfg.prompts * cfg.group_size
    beta = cfg.kl_coef  # adapted after each rollout when cfg.kl_target is set
    for it in range(1, cfg.iterations + 1):
        t0 = time.perf_counter()
        cfg_it = replace(cfg, kl_coef=beta)
        problems = [train[i] for i in rng.integers(0, len(train), cfg.prompts)]
        ro = collect(
            policy, ref, problems, cfg.group_size, reward, rng, cfg.temperature, cfg.algo == "ppo"
        )
        adv, weights, returns = advantages_for(cfg_it, ro, policy.max_new)
        clip_fracs, losses, ratio_devs = [], [], []
        for _ in range(cfg.epochs):
            order = rng.permutation(n).reshape(cfg.minibatches, -1)
            for rows in order:
                sub = ro.subset(rows)
                r_sub = None if returns is None else returns[rows]
                loss, grads, st = loss_and_grads(
                    params,
                    policy.config,
                    cfg_it,
                    sub,
                    adv[rows],
                    weights[rows] * cfg.minibatches,
                    r_sub,
                )
                if not np.isfinite(loss):
                    raise NumericalError(f"iteration {it}: the loss became {loss}; lower lr")
                opt.step(grads)
                clip_fracs.append(st["clip_frac"])
                losses.append(loss)
                ratio_devs.append(st["ratio_max"])
        mask = ro.mask
        tokens = float(mask.sum())
        delta = ro.logp_ref - ro.logp_old
        row = {
            "iteration": it,
            "reward_mean": float(ro.scores.mean()),
            "reward_std": float(ro.scores.std()),
            "sample_accuracy": float(
                np.mean([task.verify(p, t) for p, t in zip(ro.problems, ro.texts, strict=True)])
            ),
            "kl_k1": float((-delta * mask).sum(1).mean()),
            "kl_k3": float(((np.expm1(delta) - delta) * mask).sum(1).mean()),
            "entropy": float(ro.entropy.sum() / tokens),
            "clip_frac": float(np.mean(clip_fracs)),
            "ratio_dev_first": ratio_devs[0],
            "ratio_dev_max": max(ratio_devs),
            "zero_std_frac": A.zero_std_groups(ro.grouped_scores),
            "mean_length": float(mask.sum(1).mean()),
            "loss": float(np.mean(losses)),
        }
        if cfg.kl_target is not None:
            row["kl_coef"] = beta  # the β of this iteration's rewards and loss
            beta = A.adaptive_kl_coef(beta, row["kl_k1"], cfg.kl_target, cfg.kl_horizon, n)
        row["tokens_per_sec"] = tokens / (time.perf_counter() - t0)
        if it % cfg.eval_every == 0 or it == cfg.iterations:
            row["greedy_accuracy"], row["greedy_length"] = greedy_eval(policy, held)
        result.history.append(row)
        if on_iteration is not None:
            on_iteration(row)
    result.wall_seconds = time.perf_counter() - t_start
    return result

"""Exact diagnostics where every completion can be enumerated (``/work/shared/LM_RL.md``).

Vocabulary {c, <eos>, a, b} (token 0 is an ordinary word here), the prompt is the one token
``a``, answers have at most two tokens: <eos>, or a first word then any token (13 completions;
two tokens without <eos> are cut at the limit, so the 13 probabilities sum to 1).
With R(y) given, J(θ) = Σ_y π(y|x) R(y), ∇J = Σ_y π(y) R(y) ∇log π(y) and
KL(π‖π_ref) = Σ_y π(y) log(π(y)/π_ref(y)) are exact sums; each algorithm's sampled gradient
estimate is compared with ∇J (bias, variance, cosine), and k1, k2, k3 with the exact KL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcli.lm import model as m
from rlcli.lm.losses import dlogits_from_dlogp
from rlcli.lm.rl import advantages_for, loss_and_grads
from rlcli.lm.rl_config import RLConfig
from rlcli.lm.rollout import Rollout, completion_forward
from rlcli.lm.sampling import completion_mask

VOCAB = ["c", "<eos>", "a", "b"]
COMPLETIONS = np.array([[1, 0]] + [[y1, y2] for y1 in (0, 2, 3) for y2 in range(4)])
PROMPT = 2


def micro_model(seed: int, scale: float = 0.3) -> tuple[m.ModelConfig, m.Params]:
    """A float64 transformer over the micro vocabulary with random (not GPT-2-small) weights."""
    cfg = m.ModelConfig(len(VOCAB), context=3, d_model=8, n_layers=1, n_heads=2)
    rng = np.random.default_rng(seed)
    params = m.init_params(cfg, rng, dtype=np.float64)
    for k in params:
        params[k] = np.asarray(params[k] + rng.normal(0, scale, params[k].shape))
    return cfg, params


def sequence_logprobs(params: m.Params, cfg: m.ModelConfig, comps: np.ndarray) -> np.ndarray:
    """log π(y|x) = Σ_t log π(y_t|x, y_<t) over each completion's unmasked tokens."""
    seq = np.concatenate([np.full((len(comps), 1), PROMPT), comps], axis=1)
    logp = completion_forward(params, cfg, seq, 1, 1.0)[0]
    return (logp * completion_mask(comps)).sum(1)


def exact_objective(
    params: m.Params, cfg: m.ModelConfig, rewards: np.ndarray
) -> tuple[float, m.Params]:
    """J(θ) = Σ_y π(y) R(y) and ∇J = Σ_y π(y) R(y) Σ_t ∇log π(y_t|·), by enumeration."""
    seq = np.concatenate([np.full((len(COMPLETIONS), 1), PROMPT), COMPLETIONS], axis=1)
    logp, logp_all, h, cache = completion_forward(params, cfg, seq, 1, 1.0)
    mask = completion_mask(COMPLETIONS)
    pi = np.exp((logp * mask).sum(1))
    dlogp = (pi * rewards)[:, None] * mask  # ∂J/∂log π(y_t|·)
    dlogits = dlogits_from_dlogp(dlogp, logp_all, COMPLETIONS)
    grads = m.gradients(params, cfg, cache, h, dlogits)
    return float(pi @ rewards), grads


def exact_kl(params: m.Params, ref: m.Params, cfg: m.ModelConfig) -> float:
    """KL(π‖π_ref) = Σ_y π(y) (log π(y) − log π_ref(y))."""
    lp, lr = sequence_logprobs(params, cfg, COMPLETIONS), sequence_logprobs(ref, cfg, COMPLETIONS)
    return float(np.exp(lp) @ (lp - lr))


def flat(grads: m.Params, names: list[str]) -> np.ndarray:
    return np.concatenate([np.ravel(grads[k]) for k in names])


@dataclass(frozen=True)
class EstimatorStats:
    """A gradient estimator against ∇J: ‖E ĝ − ∇J‖, E‖ĝ − E ĝ‖², cos(E ĝ, ∇J)."""

    algo: str
    bias_norm: float
    variance: float
    cosine: float


def group_estimate(
    algo: str, params: m.Params, cfg: m.ModelConfig, rewards: np.ndarray, pick: np.ndarray
) -> np.ndarray:
    """One estimate of ∇J from the group of completions ``COMPLETIONS[pick]``: minus the
    algorithm's loss gradient at its first step (π_old = π_θ, β = 0). PPO's critic is the fresh
    one ``rl_train`` starts from (V = 0), so its GAE(γ = 1, λ) advantage is λ^(T−1−t)·R before
    the batch whitening."""
    names = [k for k in params if k not in ("w_v", "b_v")]
    g = len(pick)
    rl = RLConfig(algo=algo, kl_coef=0.0, group_size=g)
    comps = COMPLETIONS[pick]
    seq = np.concatenate([np.full((g, 1), PROMPT), comps], axis=1)
    mask = completion_mask(comps)
    logp, logp_all, _, _ = completion_forward(params, cfg, seq, 1, 1.0)
    ent = -(np.exp(logp_all) * logp_all).sum(-1)
    values = np.zeros_like(mask) if algo == "ppo" else None
    ro = Rollout([], seq, 1, mask, rewards[pick], [], logp * mask, logp * mask, values, ent, g)
    adv, w, ret = advantages_for(rl, ro, COMPLETIONS.shape[1])
    return -flat(loss_and_grads(params, cfg, rl, ro, adv, w, ret)[1], names)


def gradient_estimates(
    algo: str,
    params: m.Params,
    cfg: m.ModelConfig,
    rewards: np.ndarray,
    group_size: int,
    repeats: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``repeats`` independent estimates of ∇J, each from one group of G samples y ~ π."""
    pi = np.exp(sequence_logprobs(params, cfg, COMPLETIONS))
    pi = pi / pi.sum()  # sums to 1 up to rounding
    picks = [rng.choice(len(COMPLETIONS), group_size, p=pi) for _ in range(repeats)]
    return np.array([group_estimate(algo, params, cfg, rewards, pick) for pick in picks])


def estimator_stats(
    algo: str,
    params: m.Params,
    cfg: m.ModelConfig,
    rewards: np.ndarray,
    group_size: int = 4,
    repeats: int = 400,
    seed: int = 0,
) -> EstimatorStats:
    names = [k for k in params if k not in ("w_v", "b_v")]
    exact = flat(exact_objective(params, cfg, rewards)[1], names)
    est = gradient_estimates(
        algo, params, cfg, rewards, group_size, repeats, np.random.default_rng(seed)
    )
    mean = est.mean(0)
    cos = float(mean @ exact / (np.linalg.norm(mean) * np.linalg.norm(exact)))
    var = float(((est - mean) ** 2).sum(1).mean())
    return EstimatorStats(algo, float(np.linalg.norm(mean - exact)), var, cos)


def kl_estimator_stats(
    params: m.Params, ref: m.Params, cfg: m.ModelConfig, samples: int, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """(bias, variance) of k1 = −log r, k2 = ½(log r)², k3 = (r − 1) − log r per sample,
    r = π_ref(y)/π(y), y ~ π (Schulman 2020), against the exact KL(π‖π_ref)."""
    lp = sequence_logprobs(params, cfg, COMPLETIONS)
    lr = sequence_logprobs(ref, cfg, COMPLETIONS)
    pi = np.exp(lp) / np.exp(lp).sum()
    y = np.random.default_rng(seed).choice(len(COMPLETIONS), samples, p=pi)
    log_r = lr[y] - lp[y]
    kl = exact_kl(params, ref, cfg)
    ests = {"k1": -log_r, "k2": 0.5 * log_r**2, "k3": np.expm1(log_r) - log_r}
    return {k: (float(v.mean() - kl), float(v.var())) for k, v in ests.items()}


@dataclass(frozen=True)
class MicroReport:
    """Everything ``rlcli lm micro`` shows."""

    objective: float
    kl: float
    estimators: list[EstimatorStats]
    kl_estimators: dict[str, tuple[float, float]]
    grpo_first_loss: float
    grpo_first_grad_norm: float
    equal_group_grad_norm: float


def micro_report(seed: int, group_size: int = 4, repeats: int = 400) -> MicroReport:
    """The micro problem with R(y) = 1[first word is a] + ½·1[second token is <eos>] and a
    reference π_ref = π with its weights perturbed by N(0, 0.3²)."""
    cfg, params = micro_model(seed)
    noise = np.random.default_rng(seed + 1)
    ref = {k: np.asarray(v + noise.normal(0, 0.3, v.shape)) for k, v in params.items()}
    rewards = (COMPLETIONS[:, 0] == 2) * 1.0 + (COMPLETIONS[:, 1] == 1) * 0.5
    j, _ = exact_objective(params, cfg, rewards)
    algos = ("ppo", "grpo", "dr-grpo", "rloo", "reinforce")
    stats = [estimator_stats(a, params, cfg, rewards, group_size, repeats, seed) for a in algos]
    # GRPO at its first step on one group with mixed rewards, and on a group of equal rewards
    names = [k for k in params if k not in ("w_v", "b_v")]
    rl = RLConfig(algo="grpo", kl_coef=0.0, group_size=4)
    out = []
    for pick in ([2, 4, 0, 7], [5, 6, 7, 8]):  # mixed rewards, then all rewards set to 1
        comps = COMPLETIONS[pick]
        seq = np.concatenate([np.full((4, 1), PROMPT), comps], axis=1)
        mask = completion_mask(comps)
        logp = completion_forward(params, cfg, seq, 1, 1.0)[0]
        r = rewards[pick] if not out else np.full(4, 1.0)
        ro = Rollout([], seq, 1, mask, r, [], logp * mask, logp * mask, None, mask, 4)
        adv, w, ret = advantages_for(rl, ro, 2)
        loss, grads, _ = loss_and_grads(params, cfg, rl, ro, adv, w, ret)
        out.append((loss, float(np.linalg.norm(flat(grads, names)))))
    return MicroReport(
        j,
        exact_kl(params, ref, cfg),
        stats,
        kl_estimator_stats(params, ref, cfg, 20000, seed),
        out[0][0],
        out[0][1],
        out[1][1],
    )

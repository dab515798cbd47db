"""Advantages for RL fine-tuning, one function per estimator (``/work/shared/LM_RL.md``).

Sequence-level estimators take rewards shaped (P, G): P prompts, G completions each.
Token-level arrays are (B, T) with a mask that is 1 up to and including ``<eos>``.
"""

from __future__ import annotations

import numpy as np

from rlcli.train.gae import gae
from rlcli.train.losses import group_advantages


def grpo_advantages(rewards: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """GRPO (Shao et al. 2024): Â_i = (r_i − mean r)/(std r + ε), population std (ddof 0),
    per group of G; every token of o_i gets Â_i."""
    return group_advantages(rewards, eps)


def dr_grpo_advantages(rewards: np.ndarray) -> np.ndarray:
    """Dr. GRPO (Liu et al. 2025): Â_i = r_i − mean r, no division by the std."""
    return rewards - rewards.mean(axis=1, keepdims=True)


def rloo_advantages(rewards: np.ndarray) -> np.ndarray:
    """RLOO (Ahmadian et al. 2024; Kool et al. 2019): Â_i = r_i − (Σ_{j≠i} r_j)/(G − 1)."""
    g = rewards.shape[1]
    return rewards - (rewards.sum(axis=1, keepdims=True) - rewards) / (g - 1)


def batch_mean_advantages(rewards: np.ndarray) -> np.ndarray:
    """REINFORCE with a batch-mean baseline: Â_i = r_i − mean over the whole batch."""
    return rewards - rewards.mean()


def zero_std_groups(rewards: np.ndarray) -> float:
    """Share of groups whose G rewards are all equal (no learning signal; TRL's
    ``frac_reward_zero_std``)."""
    return float(np.mean(rewards.std(axis=1) == 0))


def last_token(mask: np.ndarray) -> np.ndarray:
    """Index of each row's last unmasked token (its <eos>, or the last token at the limit)."""
    return mask.shape[1] - 1 - np.argmax(mask[:, ::-1] > 0, axis=1)


def kl_penalised_token_rewards(
    score: np.ndarray, logp_old: np.ndarray, logp_ref: np.ndarray, mask: np.ndarray, beta: float
) -> np.ndarray:
    """PPO-RLHF per-token reward (InstructGPT; Ziegler et al. 2019):
    rew_t = −β(log π_old(y_t|s_t) − log π_ref(y_t|s_t)) (k1), plus R(x, y) on the last token."""
    rew = -beta * (logp_old - logp_ref) * mask
    rew[np.arange(len(score)), last_token(mask)] += score
    return rew


def adaptive_kl_coef(beta: float, kl: float, target: float, horizon: int, n: int) -> float:
    """Ziegler et al. 2019 (section 2.2), as OpenRLHF's and TRL's AdaptiveKLController:
    e = clip(KL/KL_target − 1, −0.2, 0.2), β ← β·(1 + e·n/horizon), n the completions the KL
    was measured on. β grows while the policy drifts further than the target, shrinks below."""
    e = min(max(kl / target - 1.0, -0.2), 0.2)
    return beta * (1.0 + e * n / horizon)


def token_gae(
    rew: np.ndarray, values: np.ndarray, mask: np.ndarray, gamma: float, lam: float
) -> tuple[np.ndarray, np.ndarray]:
    """GAE over tokens: δ_t = rew_t + γV(s_{t+1}) − V(s_t), Â_t = δ_t + γλÂ_{t+1}, with
    V = 0 after the last token; returns (Â, Â + V). Masked positions come out 0."""
    done = np.zeros_like(mask)
    done[np.arange(len(mask)), last_token(mask)] = 1.0
    adv = gae(rew.T, values.T, np.zeros(len(mask)), done.T, gamma, lam).T * mask
    return adv, (adv + values) * mask


def masked_whiten(x: np.ndarray, mask: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """(x − mean)/std over the unmasked entries (OpenRLHF whitens PPO advantages per batch)."""
    n = mask.sum()
    mean = (x * mask).sum() / n
    var = (((x - mean) * mask) ** 2).sum() / n
    return (x - mean) / np.sqrt(var + eps) * mask

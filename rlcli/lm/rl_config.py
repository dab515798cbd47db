"""RL fine-tuning hyperparameters (no NumPy here: the CLI reads its defaults at start-up)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rlcli.errors import FieldError, UsageError

ALGOS = ("ppo", "grpo", "dr-grpo", "rloo", "reinforce")
MAX_ROLLOUT = 65_536  # completions per rollout (prompts × group_size)
MAX_ITERATIONS = 1_000_000


@dataclass(frozen=True)
class RLConfig:
    """RL fine-tuning hyperparameters."""

    algo: str = "grpo"
    seed: int = 0
    iterations: int = 100
    """Rollout-then-update rounds."""
    prompts: int = 32
    """Training prompts per iteration."""
    group_size: int = 8
    """Completions sampled per prompt (G)."""
    lr: float = 3e-4
    """Peak AdamW learning rate (3 warm-up steps, cosine decay, no weight decay)."""
    kl_coef: float = 0.04
    """β: weight of the KL to the frozen reference (DeepSeekMath's GRPO uses 0.04)."""
    clip: float = 0.2
    """ε of the clipped ratio."""
    epochs: int = 2
    """Passes over each batch (with 1 and one minibatch, ρ = 1 at the step: on-policy)."""
    minibatches: int = 2
    """Optimiser steps per epoch, each on a random share of the batch (advantages are computed
    on the whole batch first)."""
    temperature: float = 1.0
    gamma: float = 1.0
    lam: float = 0.95
    vf_coef: float = 0.5
    eval_every: int = 5
    """Iterations between held-out greedy evaluations."""
    eval_prompts: int = 128
    value_clip: float | None = None
    """PPO: clip the critic's change to ±this around its rollout value and take the larger
    squared error, ½ max((V − R)², (V_old + clip(V − V_old, ±c) − R)²) (PPO2; OpenRLHF's
    value_clip). None: off."""
    kl_target: float | None = None
    """Adaptive β (Ziegler et al. 2019): the KL per completion (k1 summed over its tokens,
    measured on each rollout) that β is steered towards, starting from kl_coef. None: β
    stays kl_coef."""
    kl_horizon: int = 10_000
    """Adaptive β: β ← β·(1 + e·n/horizon) after each rollout of n completions, with
    e = clip(KL/kl_target − 1, −0.2, 0.2) (OpenRLHF and TRL's default horizon)."""

    def check(self) -> None:
        if self.algo not in ALGOS:
            raise UsageError(f"algo: {self.algo!r} is not one of {', '.join(ALGOS)}")
        if self.group_size < 2 and self.algo != "ppo":
            raise FieldError("group_size", f"{self.algo} compares ≥ 2 samples per prompt")
        for name in ("iterations", "prompts", "group_size", "epochs", "minibatches"):
            if getattr(self, name) < 1:
                raise FieldError(name, "must be ≥ 1", str(getattr(self, name)))
        if self.iterations > MAX_ITERATIONS:
            raise FieldError("iterations", f"at most {MAX_ITERATIONS:,}", f"{self.iterations:,}")
        n = self.prompts * self.group_size
        if n > MAX_ROLLOUT:
            raise UsageError(
                f"prompts × group_size = {n:,} completions per rollout; at most "
                f"{MAX_ROLLOUT:,} are accepted (a rollout keeps every completion's tokens, "
                "log-probabilities and activations in memory at once)"
            )
        if self.eval_prompts > MAX_ROLLOUT:
            raise FieldError("eval_prompts", f"at most {MAX_ROLLOUT:,}", f"{self.eval_prompts:,}")
        for name in ("lr", "kl_coef", "clip", "temperature", "gamma", "lam", "vf_coef"):
            if not math.isfinite(getattr(self, name)):
                raise FieldError(name, "must be a finite number", str(getattr(self, name)))
        if not 0 < self.clip < 1:
            raise FieldError("clip", "must be in (0, 1)", str(self.clip))
        if self.kl_coef < 0:
            raise FieldError("kl_coef", "must be ≥ 0", str(self.kl_coef))
        for name in ("temperature", "lr"):
            if getattr(self, name) <= 0:
                raise FieldError(name, "must be > 0", str(getattr(self, name)))
        if (self.prompts * self.group_size) % self.minibatches:
            raise FieldError(
                "minibatches", f"must divide prompts × group_size = {n:,}", str(self.minibatches)
            )
        if self.value_clip is not None:
            if self.algo != "ppo":
                raise FieldError("value_clip", f"{self.algo} has no critic (only ppo has)")
            if not 0 < self.value_clip < math.inf:
                raise FieldError("value_clip", "must be > 0 and finite", str(self.value_clip))
        if self.kl_target is not None:
            if not 0 < self.kl_target < math.inf:
                raise FieldError("kl_target", "must be > 0 and finite", str(self.kl_target))
            if self.kl_coef == 0:
                raise FieldError("kl_target", "adapts β by multiplying it, so kl_coef must be > 0")
        if self.kl_horizon < 1:
            raise FieldError("kl_horizon", "must be ≥ 1", str(self.kl_horizon))
        if self.kl_target is not None and 5 * self.kl_horizon <= n:
            raise FieldError(
                "kl_horizon",
                f"must exceed n/5 = {n}/5 (n = prompts × group_size completions per rollout): "
                "a rollout with the KL below target multiplies β by 1 − 0.2·n/horizon = "
                f"{1 - 0.2 * n / self.kl_horizon:.4g} ≤ 0",
                str(self.kl_horizon),
            )

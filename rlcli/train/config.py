"""Hyperparameters of a training run, with defaults tuned per (algorithm, task)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

ALGOS = ("reinforce", "a2c", "ppo", "grpo")
ROLLOUT_ALGOS = ("a2c", "ppo")  # fixed-length rollouts of n_steps; the others whole episodes
TASKS = ("bandit", "gridworld", "cartpole", "tokens")


@dataclass(frozen=True)
class TrainConfig:
    """One run's settings; every field is a CLI option of ``rlcli train``."""

    total_steps: int = 50_000
    """Environment steps (transitions, or generated tokens) to train for."""
    seed: int = 0
    """Seeds the network init, the action sampling and the environments."""
    n_envs: int = 8
    """Copies of the task stepped together (the vectorised batch)."""
    n_steps: int = 32
    """Rollout length per copy per update (A2C, PPO)."""
    lr: float = 1e-3
    """Adam learning rate (Adam ε = 1e-5)."""
    anneal_lr: bool = True
    """Decay the learning rate linearly to 0 over the run."""
    anneal_clip: bool = False
    """PPO: decay the clip ε linearly to 0 over the run (rl-zoo's lin_0.2)."""
    bootstrap_truncation: bool = True
    """A2C/PPO: at a time-limit cut add γV(s_final) to the last reward (else treat it as an end)."""
    gamma: float = 0.99
    """Discount factor (gridworld: the file's γ unless given)."""
    lam: float = 0.95
    """GAE λ."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden tanh layer widths; () is a linear (tabular on one-hot inputs) policy."""
    float32: bool = False
    """Network arithmetic in float32 (twice as fast; the gradient checks use float64)."""
    epochs: int = 10
    """PPO: passes over each rollout."""
    minibatches: int = 4
    """PPO: minibatches per epoch."""
    clip: float = 0.2
    """PPO/GRPO: ratio clip ε."""
    clip_value: float | None = None
    """PPO: clip value updates to ±this around the old value (None: no value clipping)."""
    ent_coef: float = 0.0
    """Entropy bonus coefficient."""
    vf_coef: float = 0.5
    """Value-loss coefficient."""
    max_grad_norm: float = 0.5
    """Global gradient-norm clip (0: none)."""
    norm_adv: bool = True
    """Normalise advantages per minibatch (PPO, A2C) or per batch (REINFORCE: off by default,
    since subtracting the batch mean return is itself a baseline)."""
    target_kl: float | None = None
    """PPO: stop the epochs of an update early once approx-KL exceeds this."""
    kl_penalty: bool = False
    """PPO: adaptive-β KL penalty instead of clipping (PPO paper, section 4)."""
    kl_target: float = 0.01
    """PPO --kl-penalty: d_targ; β halves below d_targ/1.5 and doubles above 1.5·d_targ."""
    beta: float = 1.0
    """PPO --kl-penalty: initial β. GRPO: see kl_coef."""
    baseline: bool = False
    """REINFORCE: subtract a learned value baseline."""
    group_size: int = 8
    """GRPO: completions (episodes) per prompt (start state)."""
    kl_coef: float = 0.0
    """GRPO: weight of the k3 KL to the frozen reference (initial) policy."""
    window: int = 20
    """Mean return is over the last max(window, episodes finished this iteration) episodes."""
    target: float | None = None
    """Solved threshold: stop when the mean return reaches it (cartpole: 475, Gymnasium's)."""
    task_options: dict[str, Any] = field(default_factory=dict)
    """Task settings: arms, k (bandit); max_episode_steps (gridworld); max_operand (tokens)."""

    def updated(self, **changes: Any) -> TrainConfig:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


# Tuned per task (benchmarks/train_solve.py measures them). PPO cartpole starts from the
# rl-zoo CartPole-v1 settings (8 envs × 32 steps, γ 0.98, λ 0.8, lr and clip annealed) with
# 8 epochs at lr 3e-3 instead of 20 at 1e-3: as sample-efficient, 2.5× less gradient work.
_TASK = {
    "bandit": dict(
        total_steps=4_000,
        n_envs=16,
        n_steps=4,
        gamma=0.0,
        hidden=(),
        lr=0.1,
        epochs=4,
        minibatches=1,
        target=None,
    ),
    "gridworld": dict(
        total_steps=30_000,
        n_envs=16,
        n_steps=16,
        hidden=(),
        lr=0.1,
        epochs=4,
        minibatches=4,
        lam=0.95,
    ),
    "cartpole": dict(
        total_steps=100_000,
        n_envs=8,
        n_steps=32,
        gamma=0.98,
        lam=0.8,
        epochs=8,
        minibatches=1,
        lr=3e-3,
        hidden=(64, 64),
        anneal_clip=True,
        float32=True,
        target=475.0,
    ),
    "tokens": dict(
        total_steps=300_000,
        n_envs=128,
        n_steps=4,
        gamma=1.0,
        lam=1.0,
        hidden=(128,),
        lr=3e-3,
        epochs=4,
        minibatches=4,
        target=0.95,
        window=20_000,
        task_options={"max_operand": 4, "unary": True},
    ),
}
_ALGO = {"reinforce": dict(norm_adv=False)}
_ALGO_TASK = {
    ("reinforce", "cartpole"): dict(lr=3e-3, total_steps=150_000),
    ("a2c", "cartpole"): dict(n_steps=8, lr=3e-3, total_steps=150_000, lam=0.95),
    ("grpo", "cartpole"): dict(group_size=4, n_envs=8, lr=3e-3, total_steps=150_000),
    ("grpo", "tokens"): dict(
        hidden=(64, 64),
        group_size=128,
        n_envs=4096,
        epochs=2,
        minibatches=2,
        kl_coef=0.02,
        total_steps=1_000_000,
        anneal_lr=False,
    ),
    ("grpo", "bandit"): dict(group_size=8, n_envs=32),
    ("grpo", "gridworld"): dict(group_size=8, n_envs=32, gamma=1.0),
    ("reinforce", "tokens"): dict(n_envs=512),
}


def default_config(algo: str, task: str) -> TrainConfig:
    """The tuned defaults for ``algo`` on ``task``."""
    settings = {**_TASK[task], **_ALGO.get(algo, {}), **_ALGO_TASK.get((algo, task), {})}
    return TrainConfig(**settings)

"""Hyperparameters of a training run, with defaults tuned per (algorithm, task)."""

from __future__ import annotations

import ast
import inspect
import itertools
from dataclasses import Field, dataclass, field, fields, replace
from functools import cache
from typing import Any

from rlcli.errors import UsageError

ALGOS = ("reinforce", "a2c", "ppo", "grpo")
ROLLOUT_ALGOS = ("a2c", "ppo")  # fixed-length rollouts of n_steps; the others whole episodes
TASKS = ("bandit", "gridworld", "cartpole", "env")  # env: any Gymnasium environment


@dataclass(frozen=True)
class TrainConfig:
    """One run's settings. Each field's docstring is its ``rlcli train`` help text; a field's
    ``metadata`` says which algorithms it belongs to (default: all) and its flag when that is
    not ``--field-name`` (``cli=False``: not an option). One field is one option: see
    ``option_fields``."""

    total_steps: int = field(default=50_000, metadata=dict(flag="--steps"))
    """Env steps (transitions) to train for."""
    seed: int = field(default=0, metadata=dict(cli=False))  # the CLI's shared SeedOpt
    """Seeds the network init, the action sampling and the environments."""
    n_envs: int = field(default=8, metadata=dict(flag="--envs"))
    """Copies of the task run together (the vectorised batch)."""
    n_steps: int = field(default=32, metadata=dict(algos=ROLLOUT_ALGOS))
    """Rollout length per copy (A2C, PPO)."""
    lr: float = 1e-3
    """Adam learning rate (Adam ε = 1e-5)."""
    anneal_lr: bool = field(
        default=True, metadata=dict(flag="--no-anneal", sets=False, also=("anneal_clip",))
    )
    """Keep the learning rate (and PPO's clip ε) constant instead of decaying them linearly
    to 0 over the run."""
    anneal_clip: bool = field(default=False, metadata=dict(cli=False))  # set by --no-anneal
    """PPO: decay the clip ε linearly to 0 over the run (rl-zoo's lin_0.2)."""
    bootstrap_truncation: bool = field(
        default=True, metadata=dict(flag="--no-bootstrap", sets=False, algos=ROLLOUT_ALGOS)
    )
    """Treat a time-limit cut as the episode's end (default: bootstrap with γV(s_final),
    added to the last reward)."""
    gamma: float = field(default=0.99, metadata=dict(algos=("reinforce", "a2c", "ppo")))
    """Discount factor (gridworld: the file's γ unless given)."""
    lam: float = field(default=0.95, metadata=dict(algos=ROLLOUT_ALGOS))
    """GAE λ."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden tanh layer widths, e.g. 64,64; 'none' for a linear policy (tabular on one-hot
    inputs)."""
    float32: bool = field(default=False, metadata=dict(cli=False))
    """Network arithmetic in float32 (twice as fast; the gradient checks use float64)."""
    epochs: int = field(default=10, metadata=dict(algos=("ppo", "grpo")))
    """Passes over each batch (PPO, GRPO)."""
    minibatches: int = field(default=4, metadata=dict(algos=("ppo", "grpo")))
    """Minibatches per epoch (PPO, GRPO)."""
    clip: float = field(default=0.2, metadata=dict(algos=("ppo", "grpo")))
    """Ratio clip ε (PPO, GRPO)."""
    clip_value: float | None = field(default=None, metadata=dict(algos=("ppo",)))
    """PPO: clip value updates to ±this around the old value (default: no value clipping)."""
    ent_coef: float = 0.0
    """Entropy bonus coefficient."""
    vf_coef: float = field(default=0.5, metadata=dict(algos=ROLLOUT_ALGOS))
    """Value-loss coefficient."""
    max_grad_norm: float = 0.5
    """Global gradient-norm clip (0: off)."""
    norm_adv: bool = field(
        default=True, metadata=dict(flag="--normalize", sets=True, algos=("reinforce",))
    )
    """Standardise each batch's returns (or advantages): subtracting the batch mean is itself
    a baseline, so plain REINFORCE leaves it off. (PPO and A2C always normalise advantages
    per minibatch.)"""
    target_kl: float | None = field(default=None, metadata=dict(algos=("ppo",)))
    """PPO: stop an update's epochs early once approx-KL exceeds this."""
    kl_penalty: bool = field(default=False, metadata=dict(sets=True, algos=("ppo",)))
    """PPO: adaptive-β KL penalty instead of clipping (PPO paper, section 4)."""
    kl_target: float = field(default=0.01, metadata=dict(algos=("ppo",)))
    """--kl-penalty: target KL d_targ; β halves below d_targ/1.5, doubles above 1.5·d_targ."""
    beta: float = field(default=1.0, metadata=dict(cli=False))
    """PPO --kl-penalty: initial β. GRPO: see kl_coef."""
    baseline: bool = field(default=False, metadata=dict(sets=True, algos=("reinforce",)))
    """REINFORCE: subtract a learned value baseline V(s)."""
    group_size: int = field(default=8, metadata=dict(flag=("--group-size", "-G"), algos=("grpo",)))
    """GRPO: completions (episodes) per prompt (start state)."""
    kl_coef: float = field(default=0.0, metadata=dict(algos=("grpo",)))
    """GRPO: β of the k3 KL to the frozen reference (initial) policy."""
    window: int = 20
    """Episodes in the rolling mean return: the mean is over the last max(window, episodes
    finished this iteration)."""
    target: float | None = None
    """Stop once the mean return reaches it (cartpole: 475, Gymnasium's solved threshold);
    the command exits 1 if it never does."""
    task_options: dict[str, Any] = field(default_factory=dict, metadata=dict(cli=False))
    """Task settings: arms, k (bandit); max_episode_steps (gridworld); env_id, env_kwargs
    (a Gymnasium environment)."""

    def updated(self, **changes: Any) -> TrainConfig:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


class ConfigError(UsageError):
    """A setting that cannot work. The message names ``TrainConfig`` fields (``total_steps
    must be at least 1, got 0``); ``fields`` lists them, so that a front end can put its own
    names for them (``--steps``) in their place."""

    def __init__(self, message: str, *fields: str):
        super().__init__(message)
        self.message = message
        self.fields = fields


@cache
def field_docs() -> dict[str, str]:
    """Each ``TrainConfig`` field's docstring (the string literal under it), one line each."""
    tree = ast.parse(inspect.getsource(TrainConfig))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, after in itertools.pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr):
            docs[node.target.id] = " ".join(after.value.value.split())  # type: ignore[attr-defined]
    return docs


def option_fields(algo: str) -> list[Field]:
    """The fields that are command-line options of ``algo``, in declaration order."""
    return [
        f
        for f in fields(TrainConfig)
        if f.metadata.get("cli", True) and algo in f.metadata.get("algos", ALGOS)
    ]


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
    # any Gymnasium environment: CleanRL's ppo.py (discrete actions) ...
    "env": dict(
        total_steps=500_000,
        n_envs=4,
        n_steps=128,
        lr=2.5e-4,
        gamma=0.99,
        lam=0.95,
        epochs=4,
        minibatches=4,
        ent_coef=0.01,
        hidden=(64, 64),
        float32=True,
        target=None,
    ),
}
# ... and its ppo_continuous_action.py (Box actions: a Gaussian policy)
_CONTINUOUS = dict(
    total_steps=1_000_000, n_envs=1, n_steps=2048, lr=3e-4, epochs=10, minibatches=32, ent_coef=0.0
)
_ALGO = {"reinforce": dict(norm_adv=False)}
_ALGO_TASK = {
    ("reinforce", "cartpole"): dict(lr=3e-3, total_steps=150_000),
    ("a2c", "cartpole"): dict(n_steps=8, lr=3e-3, total_steps=150_000, lam=0.95),
    ("grpo", "cartpole"): dict(group_size=4, n_envs=8, lr=3e-3, total_steps=150_000),
    ("grpo", "bandit"): dict(group_size=8, n_envs=32),
    ("grpo", "gridworld"): dict(group_size=8, n_envs=32, gamma=1.0),
}


def default_config(algo: str, task: str, continuous: bool = False) -> TrainConfig:
    """The tuned defaults for ``algo`` on ``task`` (``continuous``: a Gymnasium environment
    with Box actions)."""
    settings = {**_TASK[task], **_ALGO.get(algo, {}), **_ALGO_TASK.get((algo, task), {})}
    if task == "env" and continuous:
        settings.update(_CONTINUOUS)
    return TrainConfig(**settings)

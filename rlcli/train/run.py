"""A training run: build the task and agent, iterate an algorithm, record the learning curve."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rlcli.envs.vector import SettingError
from rlcli.errors import NumericalError, UsageError
from rlcli.train.a2c import a2c_iteration
from rlcli.train.agent import ActorCritic
from rlcli.train.config import (
    ALGOS,
    ROLLOUT_ALGOS,
    TASKS,
    ConfigError,
    TrainConfig,
    default_config,
)
from rlcli.train.curves import EpisodeTracker
from rlcli.train.grpo import grpo_iteration
from rlcli.train.ppo import ppo_iteration
from rlcli.train.reinforce import reinforce_iteration


class DivergedError(NumericalError):
    """NaN or inf in the loss or the weights; ``fields`` are the settings that may help."""

    fields = ("lr", "max_grad_norm")


# statistics that are NaN by definition at times (constant returns), not a sign of divergence
MAY_BE_NAN = ("explained_variance",)

ITERATIONS = {
    "reinforce": reinforce_iteration,
    "a2c": a2c_iteration,
    "ppo": ppo_iteration,
    "grpo": grpo_iteration,
}


@dataclass
class TrainResult:
    algo: str
    task: str
    seed: int
    config: TrainConfig
    curve: list[tuple[int, float]]  # (env steps, mean return) after each iteration
    history: list[dict[str, Any]]  # every iteration's statistics
    solved_at_steps: int | None
    wall_seconds: float
    env_steps: int
    episodes: int
    reference_return: float | None = None  # what an optimal policy gets, when known
    uniform_return: float | None = None  # what the equiprobable start policy gets, when known

    @property
    def name(self) -> str:
        """What was trained on: the task, or the Gymnasium environment's id."""
        return self.config.task_options.get("env_id", self.task)

    @property
    def time_limits(self) -> str:
        """How an episode cut by a time limit (truncated, not terminated) entered the targets."""
        if self.algo not in ROLLOUT_ALGOS:
            return "treated as the episode's end (Monte Carlo returns, no bootstrap)"
        if self.config.bootstrap_truncation:
            return "bootstrapped: a truncated step gets r + γV(s_final)"
        return "treated as terminations (no bootstrap)"


def make_env(task: str, cfg: TrainConfig, mdp: Any = None):
    """The vectorised task with ``cfg.n_envs`` copies; bad task settings raise ConfigError."""
    try:
        return _make_env(task, cfg, mdp)
    except SettingError as exc:
        where = "" if task == "env" else f"{task}: "
        raise ConfigError(f"{where}{exc}", exc.field) from None
    except ValueError as exc:
        raise UsageError(f"{task}: {exc}") from None


def _make_env(task: str, cfg: TrainConfig, mdp: Any = None):
    opts = cfg.task_options
    if task == "bandit":
        from rlcli.envs.bandit import BanditEnv

        return BanditEnv(cfg.n_envs, k=int(opts.get("k", 10)), arms=opts.get("arms", "gaussian"))
    if task == "cartpole":
        from rlcli.envs.cartpole import CartPoleEnv

        return CartPoleEnv(cfg.n_envs)
    if task == "gridworld":
        from rlcli.envs.gridworld import GridworldEnv

        if mdp is None:
            raise UsageError("the gridworld task needs an MDP (the mdp argument)")
        return GridworldEnv(mdp, cfg.n_envs, int(opts.get("max_episode_steps", 100)))
    if task == "env":
        from rlcli.envs.gymnasium_task import GymnasiumTask

        return GymnasiumTask(
            opts["env_id"], cfg.n_envs, opts.get("env_kwargs"), opts.get("normalize"), cfg.gamma
        )
    raise UsageError(f"unknown task {task!r} (tasks: {', '.join(TASKS)})")


def env_config(algo: str, env_id: str, kwargs: dict[str, Any]) -> TrainConfig:
    """The defaults for ``algo`` on the Gymnasium environment ``env_id`` (those of CleanRL's
    continuous PPO if its actions are a Box), with the environment in ``task_options``."""
    from rlcli.envs.gymnasium_task import action_space_is_box

    try:
        continuous = action_space_is_box(env_id, kwargs)
    except SettingError as exc:
        raise ConfigError(str(exc), exc.field) from None
    cfg = default_config(algo, "env", continuous)
    return cfg.updated(task_options={"env_id": env_id, "env_kwargs": kwargs})


class Runner:
    """The state an algorithm's iteration works on: task, agent, RNG, episode tracker."""

    def __init__(self, algo: str, task: str, cfg: TrainConfig, mdp: Any = None):
        seeds = np.random.SeedSequence(cfg.seed).spawn(3)
        self.cfg = cfg
        self.env = make_env(task, cfg, mdp)
        init_rng = np.random.default_rng(seeds[0])
        self.rng = np.random.default_rng(seeds[1])
        critic = algo != "grpo" and (algo != "reinforce" or cfg.baseline)
        self.agent = ActorCritic(
            self.env.obs_dim,
            self.env.n_actions,
            cfg.hidden,
            cfg.lr,
            init_rng,
            critic,
            np.float32 if cfg.float32 else np.float64,
            continuous=getattr(self.env, "continuous", False),
        )
        self.reference = copy.deepcopy(self.agent) if algo == "grpo" else None
        self.tracker = EpisodeTracker(self.env.num_envs, cfg.window)
        self.obs, _ = self.env.reset(seed=int(np.random.default_rng(seeds[2]).integers(2**63)))
        self.beta = cfg.beta
        self.remaining = 1.0  # fraction of the run left, for annealing


def check_config(algo: str, task: str, cfg: TrainConfig) -> None:
    """Refuse settings that would crash or silently learn nothing (``ConfigError``, naming the
    fields)."""
    if algo not in ALGOS:
        raise UsageError(f"unknown algorithm {algo!r} (algorithms: {', '.join(ALGOS)})")
    if task not in TASKS:
        raise UsageError(f"unknown task {task!r} (tasks: {', '.join(TASKS)})")
    if task == "env" and algo == "grpo":
        raise UsageError(
            "grpo needs groups of episodes from the same start state, which a Gymnasium "
            "environment cannot promise: use reinforce, a2c or ppo"
        )
    positive = dict(
        total_steps=cfg.total_steps,
        n_envs=cfg.n_envs,
        n_steps=cfg.n_steps,
        epochs=cfg.epochs,
        minibatches=cfg.minibatches,
        group_size=cfg.group_size,
        window=cfg.window,
        max_episode_steps=int(cfg.task_options.get("max_episode_steps", 1)),
    )
    for name, value in positive.items():
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}", name)
    if not (cfg.lr > 0 and math.isfinite(cfg.lr)):
        raise ConfigError(f"lr must be a positive number, got {cfg.lr}", "lr")
    for name in ("gamma", "lam"):
        if not 0 <= getattr(cfg, name) <= 1:
            raise ConfigError(f"{name} must be in [0, 1], got {getattr(cfg, name)}", name)
    if not 0 < cfg.clip < 1:
        raise ConfigError(f"clip must be in (0, 1), got {cfg.clip}", "clip")
    if algo == "grpo" and cfg.n_envs % cfg.group_size:
        raise ConfigError(
            f"grpo: n_envs ({cfg.n_envs}) must be a multiple of group_size ({cfg.group_size})",
            "n_envs",
            "group_size",
        )
    if algo == "ppo" and cfg.minibatches > cfg.n_envs * cfg.n_steps:
        raise ConfigError(
            "ppo: more minibatches than samples per rollout (n_envs × n_steps)",
            "minibatches",
            "n_envs",
            "n_steps",
        )
    floats = dict(
        ent_coef=cfg.ent_coef, vf_coef=cfg.vf_coef, max_grad_norm=cfg.max_grad_norm,
        kl_target=cfg.kl_target, beta=cfg.beta, kl_coef=cfg.kl_coef,
        clip_value=cfg.clip_value, target_kl=cfg.target_kl,
    )  # fmt: skip
    for name, value in floats.items():
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"{name} must be a finite number ≥ 0, got {value}", name)
    for name in ("kl_target", "target_kl", "clip_value"):
        value = getattr(cfg, name)
        if value is not None and value == 0:
            raise ConfigError(f"{name} must be positive", name)
    if algo == "grpo" and cfg.group_size < 2:
        raise ConfigError(
            "grpo: group_size must be at least 2 (a group of one has no advantage)", "group_size"
        )
    if cfg.target is not None and not math.isfinite(cfg.target):
        raise ConfigError(f"target must be a finite number, got {cfg.target}", "target")
    limits = dict(
        total_steps=(cfg.total_steps, MAX_STEPS),
        epochs=(cfg.epochs, MAX_EPOCHS),
        n_envs=(cfg.n_envs, MAX_ENVS),
        n_steps=(cfg.n_steps, MAX_ROLLOUT),
        k=(int(cfg.task_options.get("k", 1)), MAX_ARMS),
        max_episode_steps=(int(cfg.task_options.get("max_episode_steps", 1)), MAX_ROLLOUT),
    )
    for name, (value, limit) in limits.items():
        if value > limit:
            raise ConfigError(f"{name} is at most {limit:,d}, got {value:,d}", name)
    if any(width > MAX_WIDTH for width in cfg.hidden):
        raise ConfigError(f"hidden widths are at most {MAX_WIDTH:,d}, got {cfg.hidden}", "hidden")


# Bounds that keep a run on a laptop's scale: past them memory or time explode (review).
MAX_STEPS = 1_000_000_000
MAX_EPOCHS = 1_000
MAX_ENVS = 1_000_000
MAX_ROLLOUT = 1_000_000  # --n-steps, --max-episode-steps
MAX_ARMS = 100_000
MAX_WIDTH = 10_000
MAX_ROLLOUT_BYTES = 2 * 1024**3
MAX_PARAMETERS = 20_000_000
MAX_ITERATIONS = 1_000_000


def check_size(algo: str, task: str, cfg: TrainConfig, mdp: Any = None) -> None:
    """Refuse a run whose rollouts or network would not fit in memory, or whose iteration log
    would have more than ``MAX_ITERATIONS`` rows (exit 2 via UsageError)."""
    probe = make_env(task, replace(cfg, n_envs=1), mdp)  # one copy: the sizes, cheaply
    rollout = algo in ROLLOUT_ALGOS
    if not rollout and probe.max_episode_steps < 1:
        raise ConfigError(
            f"{algo} collects whole episodes, and {getattr(probe, 'env_id', task)} has no time "
            "limit to end them: "
            "set max_episode_steps in env_kwargs",
            "env_kwargs",
        )
    length = cfg.n_steps if rollout else probe.max_episode_steps
    width = probe.obs_dim + 2 * probe.n_actions + 8  # numbers kept per sample
    needed = cfg.n_envs * length * width * 8
    if needed > MAX_ROLLOUT_BYTES:
        from rlcli.units import memory_size

        knob = "n_envs or n_steps" if rollout else "n_envs"
        raise ConfigError(
            f"one iteration would hold about {memory_size(needed)} of experience ({cfg.n_envs:,d} "
            f"copies × {length:,d} steps × {width} numbers); lower {knob}",
            "n_envs",
            "n_steps",
        )
    sizes = [probe.obs_dim, *cfg.hidden]
    weights = sum((a + 1) * b for a, b in zip(sizes, [*cfg.hidden, probe.n_actions], strict=True))
    weights += sum((a + 1) * b for a, b in zip(sizes, [*cfg.hidden, 1], strict=True))  # critic
    if weights > MAX_PARAMETERS:
        raise ConfigError(
            f"the networks would have {weights:,d} weights (at most {MAX_PARAMETERS:,d}); "
            "use smaller hidden layers",
            "hidden",
        )
    iterations = cfg.total_steps / (cfg.n_envs * (cfg.n_steps if rollout else 1))
    if iterations > MAX_ITERATIONS:
        raise ConfigError(
            f"total_steps {cfg.total_steps:,d} would take about {iterations:,.0f} iterations of "
            f"{cfg.n_envs:,d} copies (at most {MAX_ITERATIONS:,d}); raise n_envs or lower "
            "total_steps",
            "total_steps",
            "n_envs",
        )


def train(
    algo: str,
    task: str,
    cfg: TrainConfig,
    mdp: Any = None,
    on_iteration: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train ``algo`` on ``task`` for ``cfg.total_steps`` env steps (or until ``cfg.target``)."""
    check_config(algo, task, cfg)
    check_size(algo, task, cfg, mdp)
    start = time.perf_counter()
    runner = Runner(algo, task, cfg, mdp)
    iterate = ITERATIONS[algo]
    steps, curve, history = 0, [], []
    solved = None
    it = 0
    # overflow is detected below and explained (NumericalError), not warned about
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while steps < cfg.total_steps:
            it += 1
            runner.remaining = 1.0 - steps / cfg.total_steps
            if cfg.anneal_lr:
                runner.agent.optimizer.lr = cfg.lr * runner.remaining
            runner.tracker.start_iteration()
            t0 = time.perf_counter()
            stats = iterate(runner)
            done = stats.pop("steps")
            steps += done
            losses = [v for k, v in stats.items() if isinstance(v, float) and k not in MAY_BE_NAN]
            if not all(map(math.isfinite, losses)) or not all(
                np.isfinite(p).all() for p in runner.agent.params
            ):
                raise DivergedError(
                    f"training diverged: NaN/inf in the loss or the weights at iteration {it} "
                    f"({steps} env steps); try a smaller lr or max_grad_norm"
                )
            mean_return = runner.tracker.mean_return()
            stats.update(
                iteration=it,
                env_steps=steps,
                mean_return=mean_return,
                mean_over=runner.tracker.window_size(),
                lr=runner.agent.optimizer.lr,
                episodes=runner.tracker.total,
                steps_per_sec=done / max(time.perf_counter() - t0, 1e-9),
            )
            history.append(stats)
            if mean_return is not None:
                curve.append((steps, mean_return))
                if solved is None and cfg.target is not None and mean_return >= cfg.target:
                    solved = steps
            if on_iteration is not None:
                on_iteration(stats)
            if solved is not None:
                break
    wall = time.perf_counter() - start  # training only, not the reference computed below
    reference = uniform = None
    if task == "bandit":
        reference, uniform = runner.env.best_mean, float(runner.env.means.mean())
    elif task == "gridworld":
        from rlcli.envs.gridworld import optimal_start_value

        reference = optimal_start_value(mdp, runner.env.max_episode_steps)
    return TrainResult(
        algo,
        task,
        cfg.seed,
        cfg,
        curve,
        history,
        solved,
        wall,
        steps,
        runner.tracker.total,
        reference,
        uniform,
    )

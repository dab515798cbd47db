"""Any Gymnasium environment as a vectorised task (``rlcli train ALGO --env ENV_ID``).

Description: ``num_envs`` copies of ``gymnasium.make(env_id, **kwargs)`` in Gymnasium's
``SyncVectorEnv``, with same-step autoreset (the convention of ``vector.py``).
Actions: Discrete(n) (a softmax policy over n actions) or Box (a Gaussian policy over its
dimensions; the sampled action is clipped to the box when it is sent to the environment and
kept unclipped for the log-probability, as CleanRL's ``ClipAction``).
Observations: Box (flattened), or Discrete(n) as one-hot. With ``normalize``: standardised by
a running mean and variance and clipped to ±10 (CleanRL's continuous PPO:
``NormalizeObservation`` then clip), the statistics shared by the copies (as SB3's
``VecNormalize``; CleanRL keeps one per copy).
Rewards: the environment's; with ``normalize``, divided by the running standard deviation of
the discounted return and clipped to ±10 (``NormalizeReward`` then clip). ``info["raw_reward"]``
keeps the environment's reward, for the learning curve.
Episode end: the environment's ``terminated``; ``truncated`` from its time limit (the training
loop bootstraps it, see ``rollout``).

Gymnasium is optional: it is imported here only, with an install hint if missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcli.envs.vector import SettingError
from rlcli.errors import UsageError

INSTALL_HINT = "pip install 'rlcli[gym]'"
CLIP = 10.0
MAX_ENV_OBS_DIM = 100_000
# keywords of gymnasium.make itself, not of the environment's constructor
MAKE_KWARGS = ("max_episode_steps", "disable_env_checker", "order_enforce", "autoreset")


class RunningMeanStd:
    """Mean and variance of everything seen so far, updated a batch at a time (Chan et al.
    1979, the parallel form of Welford's algorithm, as Gymnasium's ``RunningMeanStd``)."""

    def __init__(self, shape: tuple[int, ...]):
        self.mean = np.zeros(shape)
        self.var = np.ones(shape)
        self.count = 1e-4

    def update(self, x: np.ndarray) -> None:
        batch_mean, batch_var, n = x.mean(axis=0), x.var(axis=0), len(x)
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        m2 = self.var * self.count + batch_var * n + delta**2 * self.count * n / total
        self.var = m2 / total
        self.count = total


def _gymnasium() -> Any:
    try:
        import gymnasium
    except ImportError:
        raise UsageError(
            f"training on a Gymnasium environment needs gymnasium: {INSTALL_HINT}"
        ) from None
    return gymnasium


def _make(gym: Any, env_id: str, kwargs: dict[str, Any]) -> Any:
    """``gymnasium.make``, its errors as SettingError naming the field at fault. The
    constructor's keywords are checked first against its defaults' types
    (``rlcli.gym.kwargs.check_kwargs``: a number for ``g``, true/false for a flag), and every
    number must be finite, so a wrong value is refused here, not in the first step."""
    from rlcli.gym.kwargs import check_kwargs

    if kwargs.get("render_mode") is not None:
        raise SettingError(
            "env_kwargs",
            f"env_kwargs for {env_id}: render_mode: training renders nothing; drop it",
        )
    for key, value in kwargs.items():
        if isinstance(value, float) and not np.isfinite(value):
            raise SettingError(
                "env_kwargs", f"env_kwargs for {env_id}: {key}: {value} is not a finite number"
            )
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as exc:
        raise SettingError("env_id", f"env_id {env_id!r}: {exc}") from None
    own = {k: v for k, v in kwargs.items() if k not in MAKE_KWARGS}
    try:
        check_kwargs(env_id, spec, own)
    except UsageError as exc:
        raise SettingError("env_kwargs", f"env_kwargs for {env_id}: {exc}") from None
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.Error as exc:
        raise SettingError("env_id", f"env_id {env_id!r}: {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError, AssertionError) as exc:
        # a keyword or value the environment refuses (FrozenLake map_name=9x9: KeyError)
        what = f"no such value {exc}" if isinstance(exc, KeyError) else str(exc)
        raise SettingError("env_kwargs", f"env_kwargs for {env_id}: {what}") from None


def action_space_is_box(env_id: str, kwargs: dict[str, Any] | None = None) -> bool:
    """Whether the environment's actions are continuous (a Box), to choose the defaults."""
    gym = _gymnasium()
    env = _make(gym, env_id, dict(kwargs or {}))
    try:
        return isinstance(env.action_space, gym.spaces.Box)
    finally:
        env.close()


class GymnasiumTask:
    """N copies of a Gymnasium environment behind the ``VectorEnv`` protocol."""

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        kwargs: dict[str, Any] | None = None,
        normalize: bool | None = None,
        gamma: float = 0.99,
    ):
        gym = _gymnasium()
        from gymnasium.vector import AutoresetMode, SyncVectorEnv

        kwargs = dict(kwargs or {})
        probe = _make(gym, env_id, kwargs)
        act, obs = probe.action_space, probe.observation_space
        self.max_episode_steps = int(probe.spec.max_episode_steps or 0) if probe.spec else 0
        probe.close()
        spaces = gym.spaces
        if isinstance(act, spaces.Discrete):
            self.continuous, self.n_actions = False, int(act.n)
        elif isinstance(act, spaces.Box) and np.all(np.isfinite(act.low) & np.isfinite(act.high)):
            self.continuous, self.n_actions = True, int(np.prod(act.shape))
            self.action_low, self.action_high = act.low.ravel(), act.high.ravel()
        else:
            raise SettingError(
                "env_id",
                f"env_id {env_id}: the action space {act} is not supported "
                "(Discrete, or a bounded Box)",
            )
        if isinstance(obs, spaces.Discrete):
            self.one_hot, self.obs_dim = int(obs.n), int(obs.n)
            self.low, self.high = np.zeros(self.obs_dim), np.ones(self.obs_dim)
        elif isinstance(obs, spaces.Box):
            self.one_hot, self.obs_dim = 0, int(np.prod(obs.shape))
            self.low, self.high = obs.low.ravel().astype(float), obs.high.ravel().astype(float)
        else:
            raise SettingError(
                "env_id",
                f"env_id {env_id}: the observation space {obs} is not supported (Box or Discrete)",
            )
        if self.obs_dim > MAX_ENV_OBS_DIM:
            raise SettingError(
                "env_id", f"env_id {env_id}: observations of {self.obs_dim:,d} numbers are too big"
            )
        self.env_id, self.kwargs = env_id, kwargs
        self.num_envs = num_envs
        self.normalize = self.continuous if normalize is None else normalize
        self.gamma = gamma
        self.envs = SyncVectorEnv(
            [lambda: gym.make(env_id, **kwargs) for _ in range(num_envs)],
            autoreset_mode=AutoresetMode.SAME_STEP,
        )
        self.obs_rms = RunningMeanStd((self.obs_dim,))
        self.return_rms = RunningMeanStd(())
        self.discounted = np.zeros(num_envs)

    def _features(self, raw: np.ndarray) -> np.ndarray:
        """(N, obs_dim) float64: flattened or one-hot."""
        if self.one_hot:
            out = np.zeros((len(raw), self.obs_dim))
            out[np.arange(len(raw)), np.asarray(raw, dtype=np.int64).ravel()] = 1.0
            return out
        return np.asarray(raw, dtype=np.float64).reshape(len(raw), -1)

    def _normalized(self, x: np.ndarray) -> np.ndarray:
        if not self.normalize:
            return x
        return np.clip((x - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + 1e-8), -CLIP, CLIP)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Copy i is seeded with ``seed + i`` (Gymnasium's vector convention)."""
        if options and int(options.get("group_size", 1)) > 1:
            raise UsageError("a Gymnasium environment cannot start copies in the same state")
        raw, _ = self.envs.reset(seed=seed)
        x = self._features(raw)
        if self.normalize:
            self.obs_rms.update(x)
        self.discounted[:] = 0.0
        return self._normalized(x), {}

    def step(self, actions: np.ndarray):
        if self.continuous:
            sent = np.clip(actions, self.action_low, self.action_high).astype(np.float32)
        else:
            sent = np.asarray(actions, dtype=np.int64)
        raw, reward, terminated, truncated, info = self.envs.step(sent)
        reward = np.asarray(reward, dtype=np.float64)
        terminated, truncated = np.asarray(terminated, bool), np.asarray(truncated, bool)
        x = self._features(raw)
        done = terminated | truncated
        final = x.copy()
        if done.any():
            ended = np.flatnonzero(done)
            final[ended] = self._features(np.stack([info["final_obs"][i] for i in ended]))
        if self.normalize:
            self.obs_rms.update(x)
            # NormalizeReward: r / std of the running discounted return R ← γR(1 − done) + r
            self.discounted = self.discounted * self.gamma + reward
            self.return_rms.update(self.discounted)
            self.discounted[done] = 0.0
            scaled = np.clip(reward / np.sqrt(self.return_rms.var + 1e-8), -CLIP, CLIP)
        else:
            scaled = reward
        return (
            self._normalized(x),
            scaled,
            terminated,
            truncated,
            {"final_obs": self._normalized(final), "raw_reward": reward},
        )

    def action_mask(self) -> None:
        return None

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if self.normalize:
            return np.full(self.obs_dim, -CLIP), np.full(self.obs_dim, CLIP)
        return self.low, self.high

    def close(self) -> None:
        self.envs.close()

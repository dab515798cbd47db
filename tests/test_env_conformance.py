"""Every built-in task keeps the same (vectorised) Gymnasium contract: reset(seed) → (obs,
info); step → (obs, reward, terminated, truncated, info) with boolean flags; observations
inside the declared box; a legal action each step; same seed, same trajectory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rlcli.envs.bandit import BanditEnv
from rlcli.envs.cartpole import CartPoleEnv
from rlcli.envs.gridworld import GridworldEnv
from rlcli.mdp.read.load import load_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
N = 4


def make(name: str):
    if name == "bandit":
        return BanditEnv(N, k=5)
    if name == "gridworld":
        return GridworldEnv(load_mdp(PROBLEMS / "gridworld-4x4.yaml"), N, max_episode_steps=7)
    if name == "cartpole":
        return CartPoleEnv(N, max_episode_steps=30)
    # the adapter of `train --env` keeps the same contract
    pytest.importorskip("gymnasium")
    from rlcli.envs.gymnasium_task import GymnasiumTask

    return GymnasiumTask(name.removeprefix("gymnasium:"), N, {"max_episode_steps": 30})


def legal_random_actions(env, rng: np.random.Generator) -> np.ndarray:
    if getattr(env, "continuous", False):  # a Box: beyond its bounds too (they are clipped)
        return rng.uniform(-3.0, 3.0, (env.num_envs, env.n_actions))
    mask = env.action_mask()
    if mask is None:
        return rng.integers(0, env.n_actions, env.num_envs)
    # a uniformly random legal action per copy
    scores = np.where(mask, rng.random(mask.shape), -1.0)
    return scores.argmax(axis=1)


def trajectory(name: str, seed: int, steps: int = 60) -> list[np.ndarray]:
    env = make(name)
    rng = np.random.default_rng(123)  # the agent's randomness, the same for both runs
    low, high = env.observation_bounds()
    assert low.shape == high.shape == (env.obs_dim,)
    out = env.reset(seed=seed)
    assert isinstance(out, tuple) and len(out) == 2
    obs, info = out
    assert isinstance(info, dict)
    assert obs.shape == (N, env.obs_dim) and obs.dtype == np.float64
    seen = [obs.copy()]
    ended = 0
    for _ in range(steps):
        result = env.step(legal_random_actions(env, rng))
        assert len(result) == 5
        obs, reward, terminated, truncated, info = result
        assert obs.shape == (N, env.obs_dim)
        assert reward.shape == terminated.shape == truncated.shape == (N,)
        assert terminated.dtype == bool and truncated.dtype == bool
        assert np.isfinite(reward).all()
        assert info["final_obs"].shape == (N, env.obs_dim)
        for o in (obs, info["final_obs"]):
            assert ((o >= low) & (o <= high)).all()
        ended += int((terminated | truncated).sum())
        seen += [obs.copy(), reward.copy(), terminated.copy(), truncated.copy()]
    assert ended > 0  # the episode ends (and the copy resets) are exercised
    return seen


@pytest.mark.parametrize(
    "name",
    ["bandit", "gridworld", "cartpole", "gymnasium:CartPole-v1", "gymnasium:Pendulum-v1"],
)
def test_every_builtin_task_keeps_the_gymnasium_contract(name: str) -> None:
    a, b = trajectory(name, seed=7), trajectory(name, seed=7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    c = trajectory(name, seed=8)  # another seed, another trajectory (a bandit: other rewards)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))

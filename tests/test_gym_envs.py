"""Our tasks registered as Gymnasium environments: Gymnasium's own checker passes on each,
and each behaves as the vectorised env it wraps."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

import rlcli.gym.envs  # noqa: E402, F401  (registers rlcli/...)

CASES = [
    ("rlcli/Gridworld-v0", {}),
    ("rlcli/Gridworld-v0", {"problem": "cliff-walking"}),
    ("rlcli/Gridworld-v0", {"problem": "frozenlake-4x4"}),
    ("rlcli/CartPole-v0", {}),
    ("rlcli/Bandit-v0", {}),
    ("rlcli/Bandit-v0", {"k": 3, "arms": "bernoulli"}),
]


@pytest.mark.filterwarnings("error::UserWarning")  # the checker's warnings count as failures
@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_gymnasium_check_env_passes(env_id, kwargs) -> None:
    env = gym.make(env_id, **kwargs)
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_same_seed_same_episodes(env_id, kwargs) -> None:
    def episodes(seed: int) -> list:
        env = gym.make(env_id, **kwargs)
        env.action_space.seed(seed)
        out = [env.reset(seed=seed)[0]]
        for _ in range(60):
            obs, r, term, trunc, _ = env.step(env.action_space.sample())
            out.append((np.asarray(obs).tolist(), r, term, trunc))
            if term or trunc:
                out.append(np.asarray(env.reset()[0]).tolist())
        return out

    assert repr(episodes(3)) == repr(episodes(3))
    assert repr(episodes(3)) != repr(episodes(4))


def test_gridworld_walk_ends_in_the_terminal_corner() -> None:
    # gridworld-4x4 (S&B Fig 4.1): from r3c2, "right" enters the terminal r3c3 with -1
    env = gym.make("rlcli/Gridworld-v0", problem="gridworld-4x4").unwrapped
    env.reset(seed=0)
    env.inner.state[:] = env.state_names.index("r3c2")
    obs, reward, terminated, truncated, _ = env.step(env.action_names.index("right"))
    assert env.state_names[obs] == "r3c3" and reward == -1 and terminated and not truncated


def test_cartpole_falls_like_gymnasium_cartpole() -> None:
    # always pushing right from the same start: the same number of steps as Gymnasium's own
    ours = gym.make("rlcli/CartPole-v0").unwrapped
    theirs = gym.make("CartPole-v1").unwrapped
    ours.reset(seed=0)
    theirs.reset(seed=0)
    start = np.array([0.01, -0.02, 0.03, 0.04])
    ours.inner.state[0] = start
    theirs.state = start.copy()
    steps = [0, 0]
    for i, env in enumerate((ours, theirs)):
        done = False
        while not done:
            _, _, done, _, _ = env.step(1)
            steps[i] += 1
    assert steps[0] == steps[1] and steps[0] < 20


def test_bandit_keeps_its_arms_between_episodes() -> None:
    env = gym.make("rlcli/Bandit-v0", k=4, arms="bernoulli").unwrapped
    env.reset(seed=1)
    means = env.inner.means.copy()
    rewards = []
    for _ in range(4000):
        env.reset()
        _, r, terminated, _, _ = env.step(2)
        assert terminated
        rewards.append(r)
    assert np.array_equal(env.inner.means, means)
    se = np.sqrt(means[2] * (1 - means[2]) / 4000)
    assert abs(np.mean(rewards) - means[2]) < 5 * se + 1e-9


def test_make_by_module_path_without_importing_first() -> None:
    code = (
        "import gymnasium as gym; "
        "env = gym.make('rlcli.gym.envs:rlcli/Gridworld-v0', problem='cliff-walking'); "
        "print(env.observation_space.n, env.action_space.n)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["38", "4"]

"""`rlcli train ALGO --env ENV_ID`: any Gymnasium environment with Discrete or Box actions."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app

gym = pytest.importorskip("gymnasium")


def run(*args: str):
    return CliRunner().invoke(app, ["train", *args])


def curve(*args: str) -> list[float]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["env"] == args[args.index("--env") + 1]
    assert doc["time_limits"].startswith("bootstrapped")
    return [r for _, r in doc["curve"]]


def test_short_cartpole_v1_run_improves_the_return() -> None:
    # a random policy balances CartPole ~22 steps; 24,576 steps of PPO more than double it
    returns = curve(
        "ppo", "--env", "CartPole-v1", "--steps", "24576", "--lr", "1e-3", "--seed", "1"
    )
    assert returns[0] < 35
    assert max(returns[-4:]) > 2 * returns[0]


def test_short_pendulum_v1_run_improves_the_return() -> None:
    # Box actions: a Gaussian policy. Random torques lose about 1,200 per episode; 20,480
    # steps with γ = 0.9 bring the mean return up by about 300 (the last five points average
    # -955 from -1276 here, -969 with OPENBLAS_CORETYPE=Sandybridge: another BLAS kernel takes
    # another trajectory, so the margin is 200 on the mean of the last five, not on one point).
    returns = curve(
        "ppo", "--env", "Pendulum-v1", "--steps", "20480", "--envs", "4", "--n-steps", "256",
        "--gamma", "0.9", "--lr", "1e-3", "--minibatches", "16", "--seed", "0",
    )  # fmt: skip
    assert returns[0] < -900
    assert sum(returns[-5:]) / 5 > returns[0] + 200


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_reinforce_collects_whole_episodes_of_either_kind_of_action(env_id: str) -> None:
    # one whole episode per copy per iteration: CartPole's end when the pole falls,
    # Pendulum's at its 200-step time limit
    result = run("reinforce", "--env", env_id, "--steps", "1200", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["time_limits"].startswith("treated as the episode's end")
    if env_id == "Pendulum-v1":
        assert doc["env_steps"] == 200 * doc["episodes"]
        assert all(-16.3 * 200 <= r <= 0 for _, r in doc["curve"])  # raw returns, not scaled


def test_same_seed_same_bytes_except_timing() -> None:
    args = ["a2c", "--env", "Pendulum-v1", "--steps", "1024", "--envs", "2", "--n-steps", "64"]
    a, b = (json.loads(run(*args, "--seed", "3", "--json").stdout) for _ in range(2))
    c = json.loads(run(*args, "--seed", "4", "--json").stdout)
    for doc in (a, b, c):
        doc.pop("wall_seconds")
    assert json.dumps(a) == json.dumps(b)
    assert a["curve"] != c["curve"]


def test_observations_and_rewards_are_normalised_for_box_actions_only() -> None:
    from rlcli.envs.gymnasium_task import GymnasiumTask

    pendulum = GymnasiumTask("Pendulum-v1", 3, gamma=0.99)
    cartpole = GymnasiumTask("CartPole-v1", 3)
    assert pendulum.continuous and pendulum.normalize
    assert not cartpole.continuous and not cartpole.normalize
    pendulum.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(300):
        obs, reward, _, _, info = pendulum.step(rng.uniform(-4, 4, (3, 1)))  # clipped to ±2
        assert np.abs(obs).max() <= 10 and np.abs(reward).max() <= 10
        # the environment's own reward is kept for the learning curve: −(θ² + .1θ̇² + .001u²)
        assert (info["raw_reward"] <= 0).all() and (info["raw_reward"] >= -16.3).all()
    # after 900 observations the running statistics standardise them
    assert np.abs(pendulum.obs_rms.mean).max() < 8.0 and pendulum.obs_rms.count > 900


def test_running_mean_std_matches_numpy_on_the_concatenated_batches() -> None:
    from rlcli.envs.gymnasium_task import RunningMeanStd

    rng = np.random.default_rng(2)
    batches = [rng.normal(3.0, 2.0, size=(n, 2)) for n in (5, 17, 1, 40)]
    rms = RunningMeanStd((2,))
    for x in batches:
        rms.update(x)
    every = np.concatenate(batches)
    # the prior count 1e-4 (at mean 0, variance 1) moves the answer by ~1e-4 / 63 at most
    np.testing.assert_allclose(rms.mean, every.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(rms.var, every.var(axis=0), rtol=1e-5)


class DictActions(gym.Env):
    observation_space = gym.spaces.Box(-1, 1, (2,))
    action_space = gym.spaces.Dict({"a": gym.spaces.Discrete(2)})


class NeverEnds(gym.Env):
    """Registered without max_episode_steps: whole episodes would never end."""

    observation_space = gym.spaces.Box(-1, 1, (2,))
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(2, dtype=np.float32), {}

    def step(self, action):
        return np.zeros(2, dtype=np.float32), 0.0, False, False, {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ppo", "--env", "NoSuchEnv-v0"], "--env 'NoSuchEnv-v0'"),
        (["ppo", "--env", "RlcliDictActions-v0"], "action space Dict"),
        (["ppo", "--env", "Blackjack-v1"], "observation space Tuple"),
        (["ppo", "--env", "CartPole-v1", "--env-kwargs", "no_such_arg=1"], "--env-kwargs"),
        (["ppo", "--env", "CartPole-v1", "--env-kwargs", "oops"], "NAME=VALUE"),
        (["ppo", "--env", "CartPole-v1", "--task", "cartpole"], "give one"),
        (["grpo", "--env", "CartPole-v1"], "same start state"),
        (["reinforce", "--env", "RlcliNoTimeLimit-v0"], "no time limit"),
        (["ppo", "--env", "CartPole-v1", "--problem", "cliff-walking"], "--problem"),
        (["ppo", "--env", "CartPole-v1", "--steps", "0"], "--steps must be at least 1"),
    ],
)
def test_bad_env_input_exits_2_with_a_clear_message(args: list[str], message: str) -> None:
    if "RlcliDictActions-v0" not in gym.registry:
        gym.register("RlcliDictActions-v0", entry_point=DictActions)
        gym.register("RlcliNoTimeLimit-v0", entry_point=NeverEnds)
    result = run(*args, "-q")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_missing_gymnasium_exits_2_with_the_install_hint(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # import gymnasium → ImportError
    result = run("ppo", "--env", "CartPole-v1")
    assert result.exit_code == 2, result.output
    assert "pip install 'rlcli[gym]'" in result.output and "Traceback" not in result.output


def test_builtin_tasks_do_not_import_gymnasium() -> None:
    import subprocess

    code = (
        "import sys; from typer.testing import CliRunner; from rlcli.cli.app import app; "
        "r = CliRunner().invoke(app, ['train', 'ppo', '--task', 'bandit', '--steps', '64', '-q']);"
        " assert r.exit_code == 0, r.output; print('gymnasium' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- train compare --env: several algorithms on one environment, same seeds, one table ----

COMPARE = ["compare", "--env", "CartPole-v1", "--seeds", "2", "--steps", "1024"]
ALGOS_ON_ENVS = ("reinforce", "a2c", "ppo", "grpo")


def test_compare_on_an_env_is_one_table_of_the_default_algorithms() -> None:
    result = run(*COMPARE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].strip().startswith("CartPole-v1: seeds 0..1")
    rows = [line.split() for line in lines if line.strip().split(" ")[0] in ALGOS_ON_ENVS]
    assert [r[0] for r in rows] == ["reinforce", "a2c", "ppo"]  # grpo is not for --env
    for r in rows:  # env steps, final ± sd, best ± sd, target, s/run
        assert len(r) == 6 and int(r[1].replace(",", "")) >= 1024 and "±" in r[2]


def test_compare_on_an_env_runs_each_algorithm_as_train_would_and_reproducibly() -> None:
    a, b = (json.loads(run(*COMPARE, "--algos", "ppo,a2c", "--json").stdout) for _ in range(2))
    assert a["env"] == "CartPole-v1" and a["seeds"] == [0, 1]
    assert [(r["algo"], r["seed"], r["env"]) for r in a["results"]] == [
        (algo, seed, "CartPole-v1") for algo in ("ppo", "a2c") for seed in (0, 1)
    ]
    for doc in (a, b):
        for r in doc["results"]:
            r.pop("wall_seconds")
    assert json.dumps(a) == json.dumps(b)  # same seeds, same bytes (but the timing)
    assert a["results"][0]["curve"] != a["results"][1]["curve"]  # seed 0 ≠ seed 1
    # each row is the run `train ALGO --env` gives for that seed and budget
    alone = json.loads(run("a2c", "--env", "CartPole-v1", "--steps", "1024", "--seed", "1",
                           "--json").stdout)  # fmt: skip
    assert alone["curve"] == a["results"][3]["curve"]
    assert alone["config"] == a["results"][3]["config"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--algos", "ppo,grpo"], "same start state"),
        (["--task", "cartpole"], "give one"),
        (["--problem", "cliff-walking"], "--problem"),
        (["--env-kwargs", "no_such_arg=1"], "--env-kwargs"),
        (["--steps", "0"], "--steps must be at least 1"),
    ],
)
def test_compare_bad_env_input_exits_2_before_any_run(args: list[str], message: str) -> None:
    result = run(*COMPARE, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert "seed 0…" not in result.output  # refused before the first run started


def test_compare_env_kwargs_need_an_env() -> None:
    result = run("compare", "--env-kwargs", "g=9.81")
    assert result.exit_code == 2 and "add --env ENV_ID" in result.output

"""GAE, reward-to-go and GRPO advantages against hand-worked examples; PPO's first ratio."""

from __future__ import annotations

import numpy as np
import pytest

from rlcli.train.config import default_config
from rlcli.train.gae import gae, reward_to_go
from rlcli.train.losses import approx_kl, group_advantages
from rlcli.train.run import train


def test_gae_hand_worked():
    # γ = 0.9, λ = 0.8, so γλ = 0.72; r = (1, 0, 2), V = (0.5, 1.0, 1.5), V(s_3) = 2.0
    # δ₂ = 2 + 0.9·2.0 − 1.5 = 2.3            Â₂ = 2.3
    # δ₁ = 0 + 0.9·1.5 − 1.0 = 0.35           Â₁ = 0.35 + 0.72·2.3   = 2.006
    # δ₀ = 1 + 0.9·1.0 − 0.5 = 1.4            Â₀ = 1.4  + 0.72·2.006 = 2.84432
    r = np.array([[1.0], [0.0], [2.0]])
    v = np.array([[0.5], [1.0], [1.5]])
    done = np.zeros((3, 1))
    adv = gae(r, v, np.array([2.0]), done, 0.9, 0.8)
    np.testing.assert_allclose(adv[:, 0], [2.84432, 2.006, 2.3], rtol=1e-12)


def test_gae_stops_at_episode_end():
    # the episode ends at t = 1: δ₁ = 0 − 1.0 = −1.0 (no bootstrap), Â₁ = −1.0,
    # Â₀ = 1.4 + 0.72·(−1.0) = 0.68; t = 2 starts a new episode: Â₂ = 2.3 as before
    r = np.array([[1.0], [0.0], [2.0]])
    v = np.array([[0.5], [1.0], [1.5]])
    done = np.array([[0.0], [1.0], [0.0]])
    adv = gae(r, v, np.array([2.0]), done, 0.9, 0.8)
    np.testing.assert_allclose(adv[:, 0], [0.68, -1.0, 2.3], rtol=1e-12)


def test_gae_lambda_one_is_return_minus_value():
    # λ = 1, γ = 0.5, V(s_3) = 4: G₂ = 1 + 0.5·4 = 3, G₁ = 1 + 1.5 = 2.5, G₀ = 1 + 1.25 = 2.25
    r = np.ones((3, 1))
    v = np.array([[0.25], [0.5], [1.0]])
    adv = gae(r, v, np.array([4.0]), np.zeros((3, 1)), 0.5, 1.0)
    np.testing.assert_allclose(adv[:, 0] + v[:, 0], [2.25, 2.5, 3.0], rtol=1e-12)


def test_reward_to_go_hand_worked():
    # γ = 0.5, rewards 1, 2, 4 with the episode ending at t = 2: G = (1 + 0.5·(2 + 0.5·4), 4, 4)
    r = np.array([[1.0], [2.0], [4.0]])
    done = np.array([[0.0], [0.0], [1.0]])
    np.testing.assert_allclose(reward_to_go(r, done, 0.5)[:, 0], [3.0, 4.0, 4.0])


def test_grpo_group_advantages_hand_worked():
    # group 1: rewards (1, 0, 0, 1): mean ½, std ½ → ±½/(½ + 10⁻⁴) = ±0.99980004
    # group 2: all correct: every advantage 0 (no signal)
    # group 3: (0, 0, 0, 1): mean ¼, std √(¼·¾) = 0.4330127 → −¼/0.4331127, ¾/0.4331127
    rewards = np.array([[1.0, 0, 0, 1], [1, 1, 1, 1], [0, 0, 0, 1]])
    adv = group_advantages(rewards)
    s = np.sqrt(0.25 * 0.75) + 1e-4
    expected = [
        [0.5 / 0.5001, -0.5 / 0.5001, -0.5 / 0.5001, 0.5 / 0.5001],
        [0, 0, 0, 0],
        [-0.25 / s, -0.25 / s, -0.25 / s, 0.75 / s],
    ]
    np.testing.assert_allclose(adv, expected, rtol=1e-12)
    np.testing.assert_allclose(adv[0, 0], 0.99980004, rtol=1e-8)


def test_approx_kl_k3_hand_worked():
    # log ρ = ln 2: (ρ − 1) − log ρ = 1 − 0.6931472 = 0.3068528
    assert approx_kl(np.array([np.log(2.0)]), np.array([0.0])) == pytest.approx(1 - np.log(2))


@pytest.mark.parametrize("task", ["cartpole", "gridworld", "bandit"])
def test_ppo_ratio_is_exactly_one_on_first_minibatch(task):
    from pathlib import Path

    from rlcli.mdp.read.load import load_mdp

    mdp = None
    if task == "gridworld":
        mdp = load_mdp(Path(__file__).resolve().parent.parent / "problems" / "gridworld-4x4.yaml")
    cfg = default_config("ppo", task).updated(total_steps=3000, seed=3, target=1e9)
    seen: list[float] = []
    train("ppo", task, cfg, mdp, on_iteration=lambda s: seen.append(s["first_ratio_dev"]))
    assert len(seen) >= 3
    # The policy has not moved yet, so r = π_θ/π_θold = 1 up to float32 rounding: the rollout
    # batch and the minibatch are different BLAS shapes, whose summation order (and so the last
    # bits of log π) depends on the CPU's kernels. A stale or wrong old log-probability would
    # give deviations of order 1e-2 or more.
    assert all(d < 1e-5 for d in seen), seen


def test_time_limit_truncation_is_bootstrapped(tmp_path):
    # one state that never ends, reward 1 per step, time limit 3: the third reward of each
    # episode becomes 1 + γV(s_final) and the step is marked done
    from rlcli.envs.gridworld import GridworldEnv
    from rlcli.mdp.read.load import load_mdp
    from rlcli.train.agent import ActorCritic
    from rlcli.train.curves import EpisodeTracker
    from rlcli.train.rollout import rollout

    f = tmp_path / "loop.yaml"
    f.write_text("gamma: 0.9\nstates: [a]\ntransitions:\n  a:\n    stay: {next: a, r: 1}\n")
    env = GridworldEnv(load_mdp(f), 2, max_episode_steps=3)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    agent = ActorCritic(1, 1, (4,), 1e-3, rng)
    v = agent.value(np.ones((1, 1)))[0]
    assert v != 0
    batch, _ = rollout(env, agent, obs, 4, rng, EpisodeTracker(2), 0.9)
    np.testing.assert_allclose(batch.rewards[:, 0], [1, 1, 1 + 0.9 * v, 1])
    np.testing.assert_array_equal(batch.dones[:, 0], [0, 0, 1, 0])
    plain, _ = rollout(env, agent, obs, 3, rng, EpisodeTracker(2), 0.9, False)
    np.testing.assert_allclose(plain.rewards[:, 1], [1, 1, 1])


def test_kl_penalty_beta_follows_the_adaptive_rule():
    # PPO paper, section 4: d < d_targ/1.5 → β/2; d > 1.5·d_targ → β·2; else unchanged
    cfg = default_config("ppo", "bandit").updated(
        total_steps=1500, seed=0, kl_penalty=True, kl_target=0.01
    )
    history: list[dict] = []
    train("ppo", "bandit", cfg, on_iteration=history.append)
    beta = cfg.beta
    changes = set()
    for h in history:
        if h["kl"] < 0.01 / 1.5:
            beta /= 2
        elif h["kl"] > 0.01 * 1.5:
            beta *= 2
        assert h["beta"] == beta
        changes.add(h["beta"])
    assert len(changes) > 2  # β actually moved both ways over the run

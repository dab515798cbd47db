"""The vectorised tasks: CartPole against its equations, tokens rewards, bandit, MDP sampling."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rlcli.envs.bandit import BanditEnv
from rlcli.envs.cartpole import CartPoleEnv, cartpole_step
from rlcli.envs.gridworld import GridworldEnv
from rlcli.envs.tokens import EOS, TokensEnv
from rlcli.mdp.read.load import load_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def cartpole_reference(state, action):
    """Barto-Sutton-Anderson cart-pole without friction (Florian 2007, eqs. 23-24), Euler τ=0.02."""
    g, mc, mp, half, tau = 9.8, 1.0, 0.1, 0.5, 0.02
    x, xd, th, thd = state
    F = 10.0 if action == 1 else -10.0
    M = mc + mp
    thdd = (g * math.sin(th) + math.cos(th) * (-F - mp * half * thd**2 * math.sin(th)) / M) / (
        half * (4.0 / 3.0 - mp * math.cos(th) ** 2 / M)
    )
    xdd = (F + mp * half * (thd**2 * math.sin(th) - thdd * math.cos(th))) / M
    return [x + tau * xd, xd + tau * xdd, th + tau * thd, thd + tau * thdd]


def test_cartpole_step_matches_equations():
    rng = np.random.default_rng(1)
    states = rng.uniform([-2, -2, -0.2, -2], [2, 2, 0.2, 2], size=(50, 4))
    actions = rng.integers(0, 2, 50)
    ours = cartpole_step(states, actions)
    ref = np.array([cartpole_reference(s, a) for s, a in zip(states, actions, strict=False)])
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_cartpole_termination_truncation_and_reward():
    env = CartPoleEnv(2, max_episode_steps=500)
    assert env.max_episode_steps == 500
    env.reset(seed=0)
    # x just inside the limit: not terminated; beyond 2.4 next step: terminated
    env.state = np.array([[2.39, 1.0, 0.0, 0.0], [0.0, 0.0, 0.2, 0.0]])
    obs, r, term, _trunc, info = env.step(np.array([1, 1]))
    assert r.tolist() == [1.0, 1.0]
    # x = 2.39 + 0.02·1 = 2.41 > 2.4; θ = 0.2 < 12° = 0.2094 → second not terminated
    assert term.tolist() == [True, False]
    np.testing.assert_allclose(info["final_obs"][0, 0], 2.41)
    assert abs(obs[0]).max() <= 0.05  # reset in the same step
    short = CartPoleEnv(1, max_episode_steps=3)
    short.reset(seed=0)
    flags = [short.step(np.array([i % 2]))[3][0] for i in range(3)]
    assert flags == [False, False, True]


def test_cartpole_reset_is_seeded_and_small():
    a, _ = CartPoleEnv(4).reset(seed=7)
    b, _ = CartPoleEnv(4).reset(seed=7)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a).max() <= 0.05
    g, _ = CartPoleEnv(4).reset(seed=7, options={"group_size": 2})
    np.testing.assert_array_equal(g[0], g[1])
    np.testing.assert_array_equal(g[2], g[3])


def test_cartpole_matches_gymnasium_when_installed():
    gym = pytest.importorskip("gymnasium")
    env = gym.make("CartPole-v1").unwrapped
    env.reset(seed=0)
    ours = CartPoleEnv(1)
    ours.reset(seed=0)
    rng = np.random.default_rng(0)
    state = np.array(env.state, dtype=float)
    for _ in range(200):
        ours.state = state[None].copy()
        env.state = tuple(state)
        a = int(rng.integers(2))
        env.step(a)
        nxt = cartpole_step(state[None], np.array([a]))[0]
        np.testing.assert_array_equal(nxt, np.array(env.state, dtype=float))
        state = nxt if abs(nxt[2]) < 0.2 and abs(nxt[0]) < 2.4 else rng.uniform(-0.05, 0.05, 4)


def test_tokens_reward_only_for_the_right_answer():
    env = TokensEnv(4, max_operand=9)
    assert env.max_len == 3  # "18" and <eos>
    # 3+4= → "7" <eos>;  9+8= → "1" "7" <eos>
    env.reset(options={"prompts": ([3, 3, 9, 9], [4, 4, 8, 8])})
    _, r, term, _, _ = env.step(np.array([7, 7, 1, 7]))
    assert r.tolist() == [0, 0, 0, 0] and not term.any()
    _, r, term, _, _ = env.step(np.array([EOS, 3, 7, EOS]))
    assert r.tolist() == [1, 0, 0, 0]
    assert term.tolist() == [True, False, False, True]
    _, r, term, _, _ = env.step(np.array([EOS, EOS, EOS, 0]))
    assert r[1:3].tolist() == [0, 1] and term[1:3].all()


def test_tokens_length_limit_without_eos_is_wrong():
    env = TokensEnv(1, max_operand=4)  # answers are one digit: max_len 2
    env.reset(options={"prompts": ([2], [2])})
    env.step(np.array([4]))
    _, r, term, _, _ = env.step(np.array([4]))  # "44": limit reached, no <eos>
    assert term[0] and r[0] == 0


def test_tokens_early_eos_ends_without_reward():
    env = TokensEnv(1)
    env.reset(options={"prompts": ([2], [2])})
    _, r, term, _, _ = env.step(np.array([EOS]))
    assert term[0] and r[0] == 0


def test_tokens_observation_is_prompt_plus_tokens():
    env = TokensEnv(1, max_operand=9)
    obs, _ = env.reset(options={"prompts": ([3], [5])})
    assert obs.shape == (1, 10 + 10 + 3 * 12)
    assert obs[0, 3] == 1 and obs[0, 15] == 1 and obs[0].sum() == 5  # a, b, three "not yet"
    obs, *_ = env.step(np.array([8]))
    assert obs[0, 20 + 8] == 1 and obs[0].sum() == 5


def test_bandit_means_follow_the_seed_and_rewards_have_them_as_mean():
    env = BanditEnv(20_000, k=3, arms="bernoulli")
    env.reset(seed=3)
    means = env.means.copy()
    _, r, term, trunc, _ = env.step(np.full(20_000, 1))
    assert term.all() and not trunc.any()
    assert abs(r.mean() - means[1]) < 4 * math.sqrt(means[1] * (1 - means[1]) / 20_000)
    env2 = BanditEnv(2, k=3, arms="bernoulli")
    env2.reset(seed=3)
    np.testing.assert_array_equal(env2.means, means)


def test_gridworld_samples_transition_probabilities():
    # FrozenLake: intended move with probability 1/3, each perpendicular with 1/3
    mdp = load_mdp(PROBLEMS / "frozenlake-4x4.yaml")
    n = 30_000
    env = GridworldEnv(mdp, n)
    env.reset(seed=0)
    s = mdp.state_index[next(s for s in mdp.states if mdp.layout.cells[s] == (1, 2))]
    env.state[:] = s
    a = mdp.action_index["down"]
    _, _, _, _, info = env.step(np.full(n, a))
    nxt = info["final_obs"].argmax(axis=1)
    k = mdp.pair(mdp.states[s], "down")
    for z in mdp.outcomes(k):
        freq = (nxt == mdp.out_next[z]).mean()
        p = mdp.out_prob[z]
        assert abs(freq - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_gridworld_masks_actions_and_terminates():
    mdp = load_mdp(PROBLEMS / "recycling-robot.yaml")
    env = GridworldEnv(mdp, 2, max_episode_steps=2)
    env.reset(seed=0)
    env.state[:] = [mdp.state_index["high"], mdp.state_index["low"]]
    mask = env.action_mask()
    assert mask[0, mdp.action_index["recharge"]] == False  # noqa: E712
    assert mask[1, mdp.action_index["recharge"]] == True  # noqa: E712
    env.step(np.array([mdp.action_index["wait"]] * 2))
    _, _, term, trunc, _ = env.step(np.array([mdp.action_index["wait"]] * 2))
    assert trunc.all() and not term.any()


def test_tokens_unary_encoding_orders_the_digits():
    env = TokensEnv(2, max_operand=4, unary=True)
    obs, _ = env.reset(options={"prompts": ([3, 0], [1, 4])})
    np.testing.assert_array_equal(obs[0, :10], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(obs[1, :10], [0, 0, 0, 0, 0, 1, 1, 1, 1, 0])


def test_tokens_prompts_come_in_shuffled_passes_over_every_pair():
    # Like epochs over a fine-tuning dataset: 100 copies of a 25-prompt task see each
    # prompt exactly 4 times; groups (G copies per prompt) draw whole passes too.
    env = TokensEnv(100, max_operand=4)
    env.reset(seed=3)
    counts = np.bincount(env.a * 5 + env.b, minlength=25)
    assert (counts == 4).all()
    env = TokensEnv(8 * 50, max_operand=4)
    env.reset(seed=3, options={"group_size": 8})
    pairs = (env.a * 5 + env.b).reshape(50, 8)
    assert (pairs == pairs[:, :1]).all()  # one prompt per group
    assert (np.bincount(pairs[:, 0], minlength=25) == 2).all()
    # autoreset continues the same passes: 25 more single-token episodes (<eos> at once)
    env = TokensEnv(25, max_operand=4)
    env.reset(seed=1)
    env.step(np.full(25, EOS))
    assert sorted(env.a * 5 + env.b) == list(range(25))


def test_whole_episode_batches_deal_every_prompt_equally_often():
    # Review: GRPO's batches took 32 prompts from the deck, then every copy that ended drew
    # one more (unused) at its autoreset, so the groups saw a random window of the passes.
    from rlcli.train.agent import ActorCritic
    from rlcli.train.curves import EpisodeTracker
    from rlcli.train.rollout import episodes

    env = TokensEnv(5 * 4, max_operand=4)  # 5 prompts × G = 4 per batch
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    agent = ActorCritic(env.obs_dim, env.n_actions, (8,), 1e-3, rng, False, np.float64)
    env.deck = np.empty(0, dtype=np.int64)  # start a fresh pass
    seen = []
    for _ in range(25):  # 125 group prompts = exactly 5 passes over the 25
        batch = episodes(env, agent, rng, EpisodeTracker(env.num_envs), {"group_size": 4})
        first = batch.obs[0][::4]  # each group's first observation encodes its prompt
        seen += [(int(o[:5].argmax()), int(o[5:10].argmax())) for o in first]  # one-hot a, b
    counts = {p: seen.count(p) for p in set(seen)}
    assert len(counts) == 25 and set(counts.values()) == {5}

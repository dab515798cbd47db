"""The shortcuts taken for speed compute what the plain code computes.

Each fast path (CartPole on Python floats, row reductions column by column, the value head's
outer product, gradients written in place into one flat vector, PPO's first step reusing the
rollout's forward pass) is checked against the plain computation written out here, or against
finite differences.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from rlcli.envs.cartpole import (
    SCALAR_MAX_ENVS,
    CartPoleEnv,
    cartpole_step,
    cartpole_step_scalar,
    cartpole_terminated,
)
from rlcli.nn.categorical import entropy, kl, log_softmax, row_reduce
from rlcli.nn.mlp import MLP
from rlcli.train import ppo
from rlcli.train.agent import ActorCritic
from rlcli.train.config import default_config
from rlcli.train.run import Runner


def test_scalar_cartpole_step_is_the_vectorised_one_bit_for_bit() -> None:
    # the same exactly rounded operations in the same order (u·u, not u**2, whose C pow()
    # differs from NumPy's square in about 1 case of 1000): not one bit may differ, or seeds
    # would move; 200,000 states catch a rare difference
    rng = np.random.default_rng(0)
    state = rng.uniform([-2.5, -3, -0.25, -3], [2.5, 3, 0.25, 3], size=(200_000, 4))
    actions = rng.integers(0, 2, 200_000)
    ours, ended = cartpole_step_scalar(state, actions)
    np.testing.assert_array_equal(ours, cartpole_step(state, actions))
    np.testing.assert_array_equal(ended, cartpole_terminated(cartpole_step(state, actions)))
    assert 20_000 < ended.sum() < 180_000  # both outcomes are exercised


@pytest.mark.parametrize("n", [SCALAR_MAX_ENVS, SCALAR_MAX_ENVS + 1])
def test_cartpole_env_takes_the_same_steps_on_either_path(n: int) -> None:
    # one env below the threshold (Python floats), one above (NumPy), same start states
    env = CartPoleEnv(n)
    env.reset(seed=3)
    start = env.state.copy()
    rng = np.random.default_rng(1)
    for _ in range(40):
        before = env.state.copy()
        actions = rng.integers(0, 2, n)
        _, _, terminated, _, info = env.step(actions)
        np.testing.assert_array_equal(info["final_obs"], cartpole_step(before, actions))
        np.testing.assert_array_equal(terminated, cartpole_terminated(info["final_obs"]))
    assert not np.array_equal(env.state, start)


@pytest.mark.parametrize("cols", [1, 2, 3, 7, 8, 11])
def test_row_reduce_is_numpys_reduction(cols: int) -> None:
    # below 8 columns the loop adds left to right as NumPy does: equal bit for bit
    x = np.exp(np.random.default_rng(cols).normal(0, 3, (257, cols)))
    np.testing.assert_array_equal(row_reduce(np.add, x), x.sum(axis=-1, keepdims=True))
    np.testing.assert_array_equal(row_reduce(np.maximum, x), x.max(axis=-1, keepdims=True))


def test_softmax_functions_by_hand_with_three_actions() -> None:
    # z = (0, ln 2, ln 5): π = (1, 2, 5)/8, H = −Σ π log π, KL to uniform = Σ π log(3π)
    z = np.log(np.array([[1.0, 2.0, 5.0]]))
    logp = log_softmax(z)
    np.testing.assert_allclose(np.exp(logp), [[1 / 8, 2 / 8, 5 / 8]], rtol=1e-15)
    p = np.array([1, 2, 5]) / 8
    assert entropy(logp)[0] == pytest.approx(-(p * np.log(p)).sum(), rel=1e-14)
    uniform = np.log(np.full((1, 3), 1 / 3))
    assert kl(logp, uniform)[0] == pytest.approx((p * np.log(3 * p)).sum(), rel=1e-13)


def central_differences(f, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """(f(p + h e_i) − f(p − h e_i)) / 2h for every entry i of p (changed in place, restored)."""
    numeric = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        old = p[i]
        p[i] = old + h
        up = f()
        p[i] = old - h
        numeric[i] = (up - f()) / (2 * h)
        p[i] = old
    return numeric


def test_value_head_gradients_match_finite_differences() -> None:
    # one output: ∂L/∂x through the last layer is the outer product dy Wᵀ
    rng = np.random.default_rng(2)
    net = MLP(3, (5, 4), 1, rng)
    x = rng.standard_normal((6, 3))
    c = rng.standard_normal((6, 1))

    def loss() -> float:
        return float((net(x) * c).sum())

    _, cache = net.forward(x)
    grads = net.backward(cache, c)
    for p, g in [*zip(net.params, grads, strict=True), (x, net.input_grad(cache, c))]:
        np.testing.assert_allclose(g, central_differences(loss, p), rtol=1e-6, atol=1e-8)


def test_gradients_land_in_the_flat_vector_in_the_weights_layout() -> None:
    # the in-place gradient equals the per-layer gradients concatenated in params order, and
    # an Adam step from it equals one from the concatenated copy
    rng = np.random.default_rng(4)
    agent = ActorCritic(4, 2, (6, 5), 1e-2, rng)
    twin = copy.deepcopy(agent)
    obs = rng.standard_normal((16, 4))
    dlogits = rng.standard_normal((16, 2))
    dv = rng.standard_normal(16)
    _, a_cache = agent.policy_out(obs, None)
    _, c_cache = agent.values(obs)
    grads = agent.actor_grads(a_cache, dlogits) + agent.critic_grads(c_cache, dv)
    assert [g.shape for g in grads] == [p.shape for p in agent.params]
    copies = [g.copy() for g in grads]
    np.testing.assert_array_equal(agent.grad, np.concatenate([g.ravel() for g in copies]))
    assert agent.apply(grads, 0.5) == pytest.approx(twin.apply(copies, 0.5), rel=1e-12)
    np.testing.assert_array_equal(agent.flat, twin.flat)


def test_ppo_first_step_on_the_rollouts_forward_pass_is_the_recomputed_one(monkeypatch) -> None:
    # the reused forward pass was made with the same weights on the same batch: the update
    # must end where one that recomputes π and V ends
    cfg = default_config("ppo", "cartpole").updated(seed=5)
    runs = [Runner("ppo", "cartpole", cfg) for _ in range(2)]
    stats = [ppo.ppo_iteration(runs[0])]
    original = ppo.rollout_advantages

    def without_forward(run):
        b = original(run)
        b.forward = None
        return b

    monkeypatch.setattr(ppo, "rollout_advantages", without_forward)
    stats.append(ppo.ppo_iteration(runs[1]))
    assert stats[0]["first_ratio_dev"] == 0.0  # ρ = π/π_old from one forward pass
    assert stats[1]["first_ratio_dev"] < 1e-5
    moved = np.abs(runs[0].agent.flat - Runner("ppo", "cartpole", cfg).agent.flat).max()
    assert moved > 1e-3  # the update did something
    np.testing.assert_allclose(runs[0].agent.flat, runs[1].agent.flat, rtol=1e-4, atol=1e-6)
    for key in ("policy_loss", "value_loss", "approx_kl"):
        assert stats[0][key] == pytest.approx(stats[1][key], rel=1e-3, abs=1e-7)

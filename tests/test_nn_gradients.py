"""Finite-difference checks (float64, central differences) for every layer and loss."""

from __future__ import annotations

import numpy as np
import pytest

from rlcli.nn import categorical as cat
from rlcli.nn.adam import Adam, clip_grad_norm
from rlcli.nn.layers import Linear, orthogonal, tanh_backward, tanh_forward
from rlcli.nn.mlp import MLP
from rlcli.nn.tabular import TabularSoftmax
from rlcli.train import losses

EPS = 1e-6


def numeric_grad(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f() with respect to the array x (changed in place)."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + EPS
        fp = f()
        x[i] = old - EPS
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * EPS)
    return g


def assert_close(analytic, numeric, tol=1e-6):
    scale = max(1.0, float(np.abs(numeric).max()))
    assert np.abs(analytic - numeric).max() <= tol * scale, (analytic, numeric)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_orthogonal_init_is_orthogonal(rng):
    w = orthogonal(5, 3, 2.0, rng)
    np.testing.assert_allclose(w.T @ w, 4.0 * np.eye(3), atol=1e-12)
    w = orthogonal(3, 5, 1.0, rng)
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-12)


def test_linear_gradients(rng):
    layer = Linear(4, 3, 1.0, rng)
    x = rng.standard_normal((5, 4))
    c = rng.standard_normal((5, 3))  # L = Σ c ⊙ y

    def loss():
        return float((layer.forward(x)[0] * c).sum())

    dx, (dW, db) = layer.backward(x, c)
    assert_close(dW, numeric_grad(loss, layer.W))
    assert_close(db, numeric_grad(loss, layer.b))
    assert_close(dx, numeric_grad(loss, x))


def test_tanh_gradient(rng):
    x = rng.standard_normal((4, 3))
    c = rng.standard_normal((4, 3))
    _y, cache = tanh_forward(x)
    assert_close(tanh_backward(cache, c), numeric_grad(lambda: float((np.tanh(x) * c).sum()), x))


@pytest.mark.parametrize("hidden", [(), (6,), (5, 4)])
def test_mlp_gradients(rng, hidden):
    net = MLP(3, hidden, 2, rng, out_gain=0.5)
    x = rng.standard_normal((7, 3))
    c = rng.standard_normal((7, 2))

    def loss():
        return float((net(x) * c).sum())

    _, cache = net.forward(x)
    grads = net.backward(cache, c)
    for p, g in zip(net.params, grads, strict=False):
        assert_close(g, numeric_grad(loss, p))
    assert_close(net.input_grad(cache, c), numeric_grad(loss, x))


def logits_case(rng, n=6, a=4, masked=False):
    z = rng.standard_normal((n, a))
    mask = None
    if masked:
        mask = np.ones((n, a), dtype=bool)
        mask[:, 1] = False
        mask[0, 3] = False
    actions = np.array([0, 2, 3, 0, 2, 3][:n]) if not masked else np.array([0, 2, 2, 0, 3, 2][:n])
    return z, mask, actions


@pytest.mark.parametrize("masked", [False, True])
def test_log_prob_and_entropy_gradients(rng, masked):
    z, mask, actions = logits_case(rng, masked=masked)
    g = rng.standard_normal(len(z))

    def lp_loss():
        return float((cat.log_prob(cat.log_softmax(z, mask), actions) * g).sum())

    def ent_loss():
        return float((cat.entropy(cat.log_softmax(z, mask)) * g).sum())

    logp_all = cat.log_softmax(z, mask)
    assert_close(cat.grad_log_prob(logp_all, actions, g), numeric_grad(lp_loss, z))
    assert_close(cat.grad_entropy(logp_all, g), numeric_grad(ent_loss, z))
    if masked:
        assert np.exp(logp_all)[~mask].max() == 0.0


def test_softmax_values_by_hand():
    # logits (0, ln 3): π = (1/4, 3/4); H = −(¼ ln ¼ + ¾ ln ¾) = 0.5623351446188083
    logp = cat.log_softmax(np.array([[0.0, np.log(3.0)]]))
    np.testing.assert_allclose(np.exp(logp), [[0.25, 0.75]], rtol=1e-15)
    np.testing.assert_allclose(cat.entropy(logp), [0.5623351446188083], rtol=1e-14)


def test_kl_gradient_and_value(rng):
    z_old, _, _ = logits_case(rng)
    z = rng.standard_normal(z_old.shape)
    old = cat.log_softmax(z_old)
    g = rng.standard_normal(len(z))

    def loss():
        return float((cat.kl(old, cat.log_softmax(z)) * g).sum())

    assert_close(cat.grad_kl(old, cat.log_softmax(z), g), numeric_grad(loss, z))
    # KL((½, ½) ‖ (¼, ¾)) = ½ ln 2 + ½ ln(2/3)
    k = cat.kl(np.log([[0.5, 0.5]]), np.log([[0.25, 0.75]]))
    np.testing.assert_allclose(k, [0.5 * np.log(2) + 0.5 * np.log(2 / 3)], rtol=1e-14)


def test_tabular_softmax_gradient(rng):
    pol = TabularSoftmax(3, 4, mask=np.array([[1, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 0]], bool))
    pol.theta[:] = rng.standard_normal((3, 4))
    states = np.array([0, 1, 2, 1, 0])
    actions = np.array([3, 2, 0, 0, 1])
    g = rng.standard_normal(5)

    def loss():
        return float((cat.log_prob(pol.log_probs(states), actions) * g).sum())

    assert_close(pol.grad_log_prob(states, actions, g), numeric_grad(loss, pol.theta))


def dlogp_check(loss_fn, logp, rng):
    """∂L/∂log π of a loss written as loss_fn(logp) -> (loss, dlogp, ...)."""
    analytic = loss_fn(logp)[1]
    assert_close(analytic, numeric_grad(lambda: loss_fn(logp)[0], logp))


def test_policy_loss_gradients(rng):
    n = 8
    old = np.log(rng.uniform(0.1, 0.9, n))
    # ratios spread over both sides of the clip range (away from its kinks)
    logp = old + np.array([-0.5, -0.1, 0.05, 0.3, -0.35, 0.15, 0.6, -0.02])
    adv = rng.standard_normal(n)
    w = rng.uniform(0.01, 0.2, n)
    dlogp_check(lambda lp: losses.pg_loss(lp, adv), logp, rng)
    dlogp_check(lambda lp: losses.clipped_surrogate(lp, old, adv, 0.2), logp, rng)
    dlogp_check(lambda lp: losses.clipped_surrogate(lp, old, adv, 0.2, w), logp, rng)
    dlogp_check(lambda lp: losses.importance_weighted(lp, old, adv), logp, rng)
    ref = old + 0.3 * rng.standard_normal(n)
    dlogp_check(lambda lp: (float(losses.k3(lp, ref)[0].sum()), losses.k3(lp, ref)[1]), logp, rng)


def test_clipped_surrogate_gradient_vanishes_outside_clip():
    # ρ = e^{0.5} > 1.2 with Â > 0: the clipped term is active, no gradient
    loss, dlogp, _ = losses.clipped_surrogate(
        np.array([0.5]), np.array([0.0]), np.array([2.0]), 0.2
    )
    assert dlogp[0] == 0.0 and loss == pytest.approx(-2.0 * 1.2)
    # ρ = e^{−0.5} < 0.8 with Â > 0: the unclipped (smaller) term is active
    _, dlogp, _ = losses.clipped_surrogate(np.array([-0.5]), np.array([0.0]), np.array([2.0]), 0.2)
    assert dlogp[0] == pytest.approx(-2.0 * np.exp(-0.5))


@pytest.mark.parametrize("clip", [None, 0.2])
def test_value_loss_gradient(rng, clip):
    v = rng.standard_normal(8)
    old_v = v + np.array([0.5, -0.5, 0.1, -0.1, 0.3, -0.25, 0.05, 0.4])
    returns = rng.standard_normal(8)

    def f(vv):
        return losses.value_loss(vv, returns, old_v, clip)

    dlogp_check(f, v, rng)


def test_k3_is_nonnegative_and_zero_at_reference():
    kl_t, d = losses.k3(np.log([0.5, 0.2, 0.3]), np.log([0.5, 0.2, 0.3]))
    assert (kl_t == 0).all() and (d == 0).all()
    kl_t, _ = losses.k3(np.log([0.5, 0.2]), np.log([0.1, 0.6]))
    # e^{ln 0.2} − ln 0.2 − 1 = 0.2 + 1.6094379 − 1;  e^{ln 3} − ln 3 − 1 = 3 − 1.0986123 − 1
    np.testing.assert_allclose(kl_t, [0.2 - np.log(0.2) - 1, 3 - np.log(3) - 1], rtol=1e-12)


def test_clip_grad_norm_scales_globally():
    g = [np.array([3.0]), np.array([[4.0]])]
    assert clip_grad_norm(g, 1.0) == pytest.approx(5.0)
    total = np.sqrt(sum((x**2).sum() for x in g))
    assert total == pytest.approx(1.0, rel=1e-5)
    g2 = [np.array([0.3, 0.4])]
    clip_grad_norm(g2, 1.0)
    np.testing.assert_array_equal(g2[0], [0.3, 0.4])


def test_adam_first_step_is_lr_times_sign():
    # after one step m̂ = g, v̂ = g², so Δθ = −lr·g/(|g| + ε) ≈ −lr·sign(g)
    p = np.array([1.0, -2.0, 0.5])
    opt = Adam([p], lr=0.1)
    opt.step([np.array([0.3, -4.0, 1e-3])])
    expected = np.array([1.0, -2.0, 0.5]) - 0.1 * np.array([0.3, -4.0, 1e-3]) / (
        np.array([0.3, 4.0, 1e-3]) + 1e-5
    )
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    assert opt.eps == 1e-5


# ---------------------------------------------------------------- the Gaussian policy


def gaussian_log_density(a: np.ndarray, mu: np.ndarray, log_std: np.ndarray) -> np.ndarray:
    """log N(a; μ, diag σ²) written out: −½ Σ ((a−μ)/σ)² − Σ log σ − (D/2) log 2π."""
    sigma = np.exp(log_std)
    d = a.shape[-1]
    return -0.5 * (((a - mu) / sigma) ** 2).sum(-1) - log_std.sum(-1) - 0.5 * d * np.log(2 * np.pi)


def test_gaussian_log_prob_entropy_and_kl_against_their_formulas(rng):
    from rlcli.nn import gaussian

    mu, ls = rng.standard_normal((6, 2)), 0.3 * rng.standard_normal((6, 2))
    a = rng.standard_normal((6, 2))
    out = np.concatenate([mu, ls], axis=1)
    np.testing.assert_allclose(gaussian.log_prob(out, a), gaussian_log_density(a, mu, ls))
    # H of N(μ, σ²) per dimension: ½ log(2πe σ²)
    np.testing.assert_allclose(gaussian.entropy(out), (0.5 * np.log(2 * np.pi * np.e) + ls).sum(1))
    # KL by Monte Carlo: E_old[log p_old − log p_new] over 400,000 draws, to ~1 %
    mu2, ls2 = mu + 0.3, ls - 0.2
    new = np.concatenate([mu2, ls2], axis=1)
    draws = mu[0] + np.exp(ls[0]) * np.random.default_rng(1).standard_normal((400_000, 2))
    mc = np.mean(
        gaussian_log_density(draws, mu[0], ls[0]) - gaussian_log_density(draws, mu2[0], ls2[0])
    )
    assert gaussian.kl(out, new)[0] == pytest.approx(mc, rel=0.02)
    assert np.allclose(gaussian.kl(out, out), 0.0)


def test_gaussian_gradients_match_finite_differences(rng):
    # ∂/∂μ and ∂/∂log σ of Σ g·log π(a|s), of Σ g·H and of Σ g·KL(old ‖ new)
    from rlcli.nn import gaussian

    out = np.concatenate([rng.standard_normal((5, 3)), 0.4 * rng.standard_normal((5, 3))], 1)
    old = out + 0.2 * rng.standard_normal(out.shape)
    a = rng.standard_normal((5, 3))
    g = rng.standard_normal(5)
    assert_close(
        gaussian.grad_log_prob(out, a, g),
        numeric_grad(lambda: float((gaussian.log_prob(out, a) * g).sum()), out),
    )
    assert_close(
        gaussian.grad_entropy(out, g),
        numeric_grad(lambda: float((gaussian.entropy(out) * g).sum()), out),
    )
    assert_close(
        gaussian.grad_kl(old, out, g),
        numeric_grad(lambda: float((gaussian.kl(old, out) * g).sum()), out),
    )


def test_gaussian_agent_gradients_reach_the_mean_network_and_the_log_std(rng):
    # Backprop through the actor MLP and the state-independent log σ (one shared parameter
    # vector) against finite differences of L = Σ g·log π(a|s) over the flat parameters.
    from rlcli.train.agent import ActorCritic

    agent = ActorCritic(4, 2, (5,), 1e-3, rng, critic=True, continuous=True)
    agent.log_std[:] = [0.3, -0.2]
    obs, a, g = rng.standard_normal((7, 4)), rng.standard_normal((7, 2)), rng.standard_normal(7)

    def loss():
        return float((agent.dist.log_prob(agent.policy_out(obs, None)[0], a) * g).sum())

    out, cache = agent.policy_out(obs, None)
    grads = agent.actor_grads(cache, agent.dist.grad_log_prob(out, a, g))
    analytic = np.concatenate([x.ravel() for x in grads])
    n_actor = analytic.size  # the actor and log σ come first in the flat vector
    numeric = numeric_grad(loss, agent.flat)
    assert_close(analytic, numeric[:n_actor])
    assert np.all(numeric[n_actor:] == 0)  # the critic plays no part in log π
    assert analytic[-2:] == pytest.approx(numeric[n_actor - 2 : n_actor], abs=1e-6)


@pytest.mark.parametrize("sampler", ["inverse_cdf", "gumbel_max"])
def test_sampling_follows_the_probabilities_and_never_draws_a_masked_action(sampler):
    # 3 rows of probabilities (one with a masked action); 100,000 draws each: every action's
    # frequency lies within 5 standard errors √(p(1−p)/n) of its probability. Gumbel-max gets
    # unnormalised logits (log p + 2 per row: no change to the distribution) and the mask.
    p = np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    mask = p > 0
    logp_all = cat.log_softmax(np.log(np.where(mask, p, 1.0)), mask)
    logits = np.log(np.where(mask, p, 7.0)) + 2.0  # the masked entry would be the likeliest
    n = 100_000
    rng = np.random.default_rng(7)
    counts = np.zeros_like(p)
    for _ in range(n // 1000):
        if sampler == "inverse_cdf":
            actions = cat.sample(np.repeat(logp_all, 1000, axis=0), rng)
        else:
            rows = np.repeat(logits, 1000, axis=0)
            actions = cat.gumbel_max(rows, rng, np.repeat(mask, 1000, axis=0))
        actions = actions.reshape(3, 1000)
        for i in range(3):
            counts[i] += np.bincount(actions[i], minlength=3)
    assert counts[1, 1] == 0
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(counts / n - p) <= 5 * se + 1e-12), counts / n

"""Exact diagnostics on the enumerable micro problem, against brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest

from rlcli.lm import micro
from rlcli.lm.rl import advantages_for
from rlcli.lm.rl_config import RLConfig
from rlcli.lm.rollout import Rollout


@pytest.fixture(scope="module")
def setup():
    cfg, p = micro.micro_model(0)
    noise = np.random.default_rng(1)
    ref = {k: np.asarray(v + noise.normal(0, 0.3, v.shape)) for k, v in p.items()}
    r = (micro.COMPLETIONS[:, 0] == 2) * 1.0 + (micro.COMPLETIONS[:, 1] == 1) * 0.5
    return cfg, p, ref, r


def test_completions_are_all_of_them(setup):
    cfg, p, _, _ = setup
    assert micro.COMPLETIONS.shape == (13, 2)
    assert np.exp(micro.sequence_logprobs(p, cfg, micro.COMPLETIONS)).sum() == pytest.approx(1)


def test_exact_gradient_matches_finite_differences_of_exact_objective(setup):
    cfg, p, _, r = setup
    _, grads = micro.exact_objective(p, cfg, r)
    rng = np.random.default_rng(2)
    for name in ("wte", "h0.w_qkv", "w_head"):
        for idx in [tuple(rng.integers(0, s) for s in p[name].shape) for _ in range(3)]:
            old = p[name][idx]
            p[name][idx] = old + 1e-6
            jp = micro.exact_objective(p, cfg, r)[0]
            p[name][idx] = old - 1e-6
            jm = micro.exact_objective(p, cfg, r)[0]
            p[name][idx] = old
            assert grads[name][idx] == pytest.approx((jp - jm) / 2e-6, rel=1e-5, abs=1e-10)


def test_exact_kl_is_the_brute_force_sum(setup):
    cfg, p, ref, _ = setup
    lp = micro.sequence_logprobs(p, cfg, micro.COMPLETIONS)
    lr = micro.sequence_logprobs(ref, cfg, micro.COMPLETIONS)
    brute = sum(np.exp(a) * (a - b) for a, b in zip(lp, lr, strict=True))
    assert micro.exact_kl(p, ref, cfg) == pytest.approx(brute, rel=1e-12)
    assert micro.exact_kl(p, p, cfg) == pytest.approx(0, abs=1e-12)


def test_kl_estimators_k1_k3_unbiased_k2_not(setup):
    cfg, p, ref, _ = setup
    n = 20000
    stats = micro.kl_estimator_stats(p, ref, cfg, n)
    for k in ("k1", "k3"):
        bias, var = stats[k]
        assert abs(bias) < 4 * np.sqrt(var / n), k  # within 4 standard errors
    bias2, var2 = stats["k2"]
    assert abs(bias2) > 4 * np.sqrt(var2 / n)
    # near the reference k3 has the lower variance (Schulman 2020); far from it, not always
    noise = np.random.default_rng(3)
    near = {k: np.asarray(v + noise.normal(0, 0.05, v.shape)) for k, v in p.items()}
    close = micro.kl_estimator_stats(p, near, cfg, n)
    assert close["k3"][1] < close["k1"][1]


def test_rloo_estimate_averages_to_the_exact_gradient(setup):
    cfg, p, _, r = setup
    s = micro.estimator_stats("rloo", p, cfg, r, group_size=4, repeats=300)
    assert s.cosine > 0.98


def test_ppo_advantages_of_a_hand_worked_group(setup):
    """PPO at its first step with the fresh critic (V = 0), γ = 1, λ = 0.95, β = 0.
    y_A = (a, <eos>): R = 1 + ½ = 1.5, T = 2; y_B = (<eos>): R = 0, T = 1.
    GAE: Â_A = (λ·1.5, 1.5) = (1.425, 1.5), Â_B = (0,). Whitened over the three tokens:
    mean = 2.925/3 = 0.975, variance = (0.45² + 0.525² + 0.975²)/3 = 1.42875/3."""
    r = setup[3]
    pick = np.array([6, 0])
    assert micro.COMPLETIONS[6].tolist() == [2, 1] and r[6] == 1.5 and r[0] == 0.0
    std = np.sqrt(1.42875 / 3)
    want = np.array([[0.45 / std, 0.525 / std], [-0.975 / std, 0.0]])
    seq = np.concatenate([np.full((2, 1), micro.PROMPT), micro.COMPLETIONS[pick]], axis=1)
    mask = np.array([[1.0, 1.0], [1.0, 0.0]])
    zeros = np.zeros((2, 2))
    ro = Rollout([], seq, 1, mask, r[pick], [], zeros, zeros, zeros, zeros, 2)
    adv, w, _ = advantages_for(RLConfig(algo="ppo", kl_coef=0.0, group_size=2), ro, 2)
    np.testing.assert_allclose(adv, want, rtol=1e-7)
    np.testing.assert_allclose(w, mask / 3)


def _brute_force_expectation(algo, p, cfg, r):
    """E ĝ = Σ_{y1, y2} π(y1) π(y2) ĝ(y1, y2) over all 13² ordered groups of G = 2."""
    pi = np.exp(micro.sequence_logprobs(p, cfg, micro.COMPLETIONS))
    pi = pi / pi.sum()
    n = len(micro.COMPLETIONS)
    return sum(
        pi[i] * pi[j] * micro.group_estimate(algo, p, cfg, r, np.array([i, j]))
        for i in range(n)
        for j in range(n)
    )


def test_ppo_estimate_mean_is_the_brute_force_expectation(setup):
    """The brute-force E ĝ, checked on RLOO (leave-one-out: E ĝ = ∇J exactly), then PPO's
    against the Monte Carlo mean of 400 sampled groups (within 3 standard errors: E‖mean − E ĝ‖²
    = variance/400). PPO's estimate points along ∇J but is biased: whitening re-centres the
    advantages over the tokens of answers of different lengths."""
    cfg, p, _, r = setup
    names = [k for k in p if k not in ("w_v", "b_v")]
    exact = micro.flat(micro.exact_objective(p, cfg, r)[1], names)
    np.testing.assert_allclose(_brute_force_expectation("rloo", p, cfg, r), exact, atol=1e-12)
    expect = _brute_force_expectation("ppo", p, cfg, r)
    est = micro.gradient_estimates("ppo", p, cfg, r, 2, 400, np.random.default_rng(5))
    var = ((est - est.mean(0)) ** 2).sum(1).mean()
    assert np.linalg.norm(est.mean(0) - expect) < 3 * np.sqrt(var / len(est))
    cos = expect @ exact / (np.linalg.norm(expect) * np.linalg.norm(exact))
    assert 0.9 < cos < 0.99  # (0.943 here; RLOO's is 1)

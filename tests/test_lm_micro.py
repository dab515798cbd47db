"""Exact diagnostics on the enumerable micro problem, against brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest

from rlcli.lm import micro


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

"""RL fine-tuning: hand-worked advantages, the per-token KL reward, GAE over tokens, masking,
finite-difference checks of every RL loss, and the facts of the formula card."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from rlcli.lm import advantages as A
from rlcli.lm import model as m
from rlcli.lm import task
from rlcli.lm.evaluate import Policy
from rlcli.lm.rl import advantages_for, loss_and_grads, rl_train
from rlcli.lm.rl_config import ALGOS, RLConfig
from rlcli.lm.rollout import collect, completion_forward
from rlcli.lm.sampling import completion_mask, generate


def test_group_advantages_by_hand():
    r = np.array([[1.0, 0.0, 0.0, 1.0]])
    # mean ½, population std ½: Â = ±½/(½ + 1e-4)
    np.testing.assert_allclose(A.grpo_advantages(r), np.array([[1, -1, -1, 1]]) * 0.5 / 0.5001)
    np.testing.assert_allclose(A.dr_grpo_advantages(r), [[0.5, -0.5, -0.5, 0.5]])
    # RLOO: baseline of sample 0 is (0 + 0 + 1)/3, of sample 1 (1 + 0 + 1)/3
    np.testing.assert_allclose(A.rloo_advantages(r), [[2 / 3, -2 / 3, -2 / 3, 2 / 3]])
    r2 = np.array([[1.0, 0.0], [1.0, 1.0]])  # batch mean ¾
    np.testing.assert_allclose(A.batch_mean_advantages(r2), [[0.25, -0.75], [0.25, 0.25]])
    assert A.zero_std_groups(r2) == 0.5
    np.testing.assert_allclose(A.grpo_advantages(np.array([[1.0, 1.0, 1.0]])), 0.0)


def test_completion_mask_stops_after_eos():
    c = np.array([[5, 1, 0, 0], [5, 6, 7, 8], [1, 5, 1, 5]])
    np.testing.assert_array_equal(completion_mask(c), [[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    np.testing.assert_array_equal(A.last_token(completion_mask(c)), [1, 3, 0])


def test_kl_penalised_token_rewards_by_hand():
    old = np.array([[-1.0, -2.0, -0.5, 0.0]])
    ref = np.array([[-1.5, -2.0, -1.0, -3.0]])
    mask = np.array([[1.0, 1.0, 1.0, 0.0]])
    rew = A.kl_penalised_token_rewards(np.array([1.0]), old, ref, mask, 0.1)
    # −0.1·(−1 + 1.5) = −0.05; 0; −0.1·(−0.5 + 1) + R = −0.05 + 1; padding 0
    np.testing.assert_allclose(rew, [[-0.05, 0.0, 0.95, 0.0]])


def test_gae_over_tokens_by_hand():
    rew = np.array([[0.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 0.0]])
    v = np.array([[0.5, 0.2, 0.1, 9.0], [1.0, 0.5, 7.0, 7.0]])
    mask = np.array([[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    adv, ret = A.token_gae(rew, v, mask, gamma=1.0, lam=0.5)
    # row 0: δ = (0 + .2 − .5, 0 + .1 − .2, 1 − .1) = (−.3, −.1, .9); V after the end is 0
    # Â2 = .9, Â1 = −.1 + .5·.9 = .35, Â0 = −.3 + .5·.35 = −.125; padding 0 (V = 9 ignored)
    # row 1: δ = (.5 − 1, 2 − .5) = (−.5, 1.5); Â1 = 1.5, Â0 = −.5 + .75 = .25
    np.testing.assert_allclose(adv, [[-0.125, 0.35, 0.9, 0], [0.25, 1.5, 0, 0]])
    np.testing.assert_allclose(ret, (adv + v) * mask)


def _tiny_policy(seed=0, dtype=np.float64):
    tok = task.tokenizer()
    p_len = task.prompt_length(tok)
    cfg = m.ModelConfig(len(tok), context=p_len + 6, d_model=16, n_layers=2, n_heads=2)
    params = m.init_params(cfg, np.random.default_rng(seed), dtype=dtype)
    return Policy(params, cfg, tok, p_len)


def _rollout(policy, reward, algo, seed=0):
    rng = np.random.default_rng(seed)
    problems = list(task.split()[0][:3])
    return collect(policy, policy.params, problems, 4, reward, rng, 1.0, algo == "ppo")


def _short_run(**changes) -> RLConfig:
    """A training run small enough for a unit test: 4 prompts × 2 completions, lr 1e-2, no
    held-out evaluation inside it (eval_every past the last iteration)."""
    short = {"prompts": 4, "group_size": 2, "lr": 1e-2, "eval_every": 100, "eval_prompts": 4}
    return RLConfig(**{**short, **changes})


def _alternating(problems, texts, seq, mask):
    return np.arange(len(texts)) % 2 * 1.0  # mixed rewards in every group of 4


@pytest.mark.parametrize("algo", ALGOS)
def test_every_rl_loss_gradient_by_finite_differences(algo):
    pol = _tiny_policy()
    ro = _rollout(pol, _alternating, algo)
    rng = np.random.default_rng(1)
    # π_θ ≠ π_old ≠ π_ref, so that ratios, clipping and the KL terms are all active
    ro.logp_old = ro.logp_old + rng.normal(0, 0.15, ro.mask.shape) * ro.mask
    ro.logp_ref = ro.logp_ref + rng.normal(0, 0.3, ro.mask.shape) * ro.mask
    if ro.values is not None:
        ro.values = rng.normal(0, 1, ro.mask.shape) * ro.mask
    # PPO with value clipping on: random V_old puts tokens in both branches of the max
    cfg = RLConfig(algo=algo, kl_coef=0.1, clip=0.1, value_clip=0.3 if algo == "ppo" else None)
    # PPO's critic is a head on detached features: its loss reaches w_v, b_v only, so the
    # transformer's gradient is checked against the policy loss (vf_coef 0)
    cfg_trunk = RLConfig(algo=algo, kl_coef=0.1, clip=0.1, vf_coef=0.0)
    adv, w, ret = advantages_for(cfg, ro, pol.max_new)
    params = pol.params
    for k in ("w_v", "b_v"):
        params[k] = np.asarray(params[k] + rng.normal(0, 0.5, params[k].shape))
    _loss, grads, st = loss_and_grads(params, pol.config, cfg, ro, adv, w, ret)
    if algo == "ppo":
        assert "value_loss" in st
    names = ["wte", "h0.w_qkv", "h1.w_fc", "lnf_g", "w_head"] + (["w_v", "b_v"] * (algo == "ppo"))
    eps = 1e-6
    for name in names:
        p = params[name]
        for idx in [tuple(rng.integers(0, s) for s in p.shape) for _ in range(4)]:
            old = p[idx].copy()
            p[idx] = old + eps
            c = cfg if name in ("w_v", "b_v") else cfg_trunk
            lp = loss_and_grads(params, pol.config, c, ro, adv, w, ret)[0]
            p[idx] = old - eps
            lm = loss_and_grads(params, pol.config, c, ro, adv, w, ret)[0]
            p[idx] = old
            num = (lp - lm) / (2 * eps)
            assert grads[name][idx] == pytest.approx(num, rel=1e-5, abs=1e-9), (name, idx)


def test_ppo_ratio_is_one_on_the_first_minibatch():
    pol = _tiny_policy(dtype=np.float32)
    ro = _rollout(pol, _alternating, "ppo")
    cfg = RLConfig(algo="ppo", prompts=3, group_size=4, minibatches=3)
    adv, w, ret = advantages_for(cfg, ro, pol.max_new)
    rows = np.array([5, 0, 9, 2])  # another batch shape than the rollout's
    _, _, st = loss_and_grads(
        pol.params, pol.config, cfg, ro.subset(rows), adv[rows], w[rows] * 3, ret[rows]
    )
    assert st["ratio_max"] < 1e-5 and st["clip_frac"] == 0.0


def test_ppo_ratio_is_one_on_the_first_minibatch_of_every_update_in_training():
    """In ``rl_train`` itself: max |ρ − 1| on the first minibatch of each update is float
    round-off (π_θ = π_old there), while later minibatches, after optimiser steps, move ρ."""
    pol = _tiny_policy(dtype=np.float32)
    cfg = _short_run(algo="ppo", iterations=2, epochs=2, minibatches=2)
    hist = rl_train(pol, cfg, _alternating).history[1:]
    assert len(hist) == 2
    for row in hist:
        assert row["ratio_dev_first"] < 1e-5
        assert row["ratio_dev_max"] > 1e-3


def test_grpo_loss_is_zero_at_the_first_step_but_its_gradient_is_not():
    pol = _tiny_policy()
    ro = _rollout(pol, _alternating, "grpo")
    cfg = RLConfig(algo="grpo", kl_coef=0.0)
    adv, w, ret = advantages_for(cfg, ro, pol.max_new)
    loss, grads, _ = loss_and_grads(pol.params, pol.config, cfg, ro, adv, w, ret)
    assert abs(loss) < 1e-12
    assert np.sqrt(sum((g**2).sum() for g in grads.values())) > 1e-3


def test_groups_with_equal_rewards_contribute_no_gradient():
    pol = _tiny_policy()
    ro = _rollout(pol, lambda *a: np.ones(len(a[1])), "grpo")
    for algo in ("grpo", "dr-grpo", "rloo"):
        cfg = RLConfig(algo=algo, kl_coef=0.0)
        adv, w, ret = advantages_for(cfg, ro, pol.max_new)
        _, grads, _ = loss_and_grads(pol.params, pol.config, cfg, ro, adv, w, ret)
        assert all(np.abs(g).max() == 0 for g in grads.values()), algo


def test_kv_cached_sampling_equals_recomputing():
    pol = _tiny_policy()
    prompts = pol.tok.pad_left(
        [pol.tok.encode(p.prompt) for p in task.split()[1][:5]], pol.prompt_len
    )
    a = generate(pol.params, pol.config, prompts, 6, np.random.default_rng(3), 1.0, 5)
    b = generate(
        pol.params, pol.config, prompts, 6, np.random.default_rng(3), 1.0, 5, use_cache=False
    )
    np.testing.assert_array_equal(a, b)


def test_rl_improves_held_out_reward_in_seconds():
    """GRPO on a tiny random model rewarded by the share of digits among its tokens: on
    held-out prompts that share rises (from about 10/58 at random)."""
    pol = _tiny_policy(dtype=np.float32)
    held = list(task.split()[1][:64])
    digits = np.array([t.isdigit() for t in pol.tok.vocab])

    def short(problems, texts, seq, mask):
        comp = seq[:, -mask.shape[1] :]
        return (digits[comp] * mask).sum(1) / mask.sum(1)

    def held_out_reward(policy):
        ro = collect(policy, policy.params, held, 1, short, np.random.default_rng(7), 1.0, False)
        return ro.scores.mean()

    before = held_out_reward(pol)
    cfg = _short_run(algo="grpo", iterations=10, prompts=8, group_size=8, epochs=1,
                     minibatches=1, eval_prompts=8)  # fmt: skip
    res = rl_train(pol, cfg, short)
    after = held_out_reward(Policy(res.params, pol.config, pol.tok, pol.prompt_len))
    assert after > before + 0.1, (before, after)


def test_ppo_value_clip_by_hand():
    """PPO2 / OpenRLHF value clipping, ½ max((V − R)², (V_old + clip(V − V_old, ±c) − R)²):
    the critic moved +0.5 since the rollout (V_old = V − 0.5), c = 0.2, so V_clip = V − 0.3.
    Even rows, R = V + 1: (V − R)² = 1 < (V_clip − R)² = 1.69, the clipped term wins and,
    being outside the clip range, passes no gradient. Odd rows, R = V − 1: 1 > 0.49, the
    unclipped term wins, ∂/∂V = V − R = 1."""
    pol = _tiny_policy()
    ro = _rollout(pol, _alternating, "ppo")
    on = ro.mask > 0
    h = completion_forward(pol.params, pol.config, ro.seq, ro.prompt_len, 1.0)[2]
    v = m.values_of(pol.params, h[:, ro.prompt_len - 1 :])
    ro.values = (v - 0.5) * ro.mask
    even = (np.arange(len(v)) % 2 == 0)[:, None]
    returns = np.where(even, v + 1.0, v - 1.0) * ro.mask
    n_even, n_odd, n = (on & even).sum(), (on & ~even).sum(), on.sum()
    adv = np.zeros_like(ro.mask)  # the policy term out of the way
    w = ro.mask / n
    clipped = RLConfig(algo="ppo", kl_coef=0.0, value_clip=0.2, vf_coef=0.5)
    _, grads, st = loss_and_grads(pol.params, pol.config, clipped, ro, adv, w, returns)
    assert st["value_loss"] == pytest.approx(0.5 * (1.69 * n_even + 1.0 * n_odd) / n, rel=1e-9)
    # V = h·w_v + b_v: ∂L/∂b_v = c_v Σ_t ∂L/∂V_t = 0.5 · (n_odd · 1)/n
    assert grads["b_v"] == pytest.approx(0.5 * n_odd / n, rel=1e-9)
    plain = RLConfig(algo="ppo", kl_coef=0.0, vf_coef=0.5)  # off (the default): ½ mean 1
    _, grads, st = loss_and_grads(pol.params, pol.config, plain, ro, adv, w, returns)
    assert st["value_loss"] == pytest.approx(0.5, rel=1e-9)
    assert grads["b_v"] == pytest.approx(0.5 * (n_odd - n_even) / n, rel=1e-9)


def test_adaptive_kl_coefficient_by_hand():
    # Ziegler et al. 2019: e = clip(KL/target − 1, ±0.2), β ← β(1 + e·n/horizon)
    # KL 9 vs target 6: e = clip(0.5) = 0.2; 256 completions, horizon 10,000: ×1.00512
    assert A.adaptive_kl_coef(0.1, 9.0, 6.0, 10_000, 256) == pytest.approx(0.100512, rel=1e-12)
    # KL 5.4: e = −0.1 → ×(1 − 0.00256)
    assert A.adaptive_kl_coef(0.1, 5.4, 6.0, 10_000, 256) == pytest.approx(0.099744, rel=1e-12)
    assert A.adaptive_kl_coef(0.1, 6.0, 6.0, 10_000, 256) == 0.1  # on target: unchanged
    assert A.adaptive_kl_coef(0.1, 0.0, 6.0, 100, 100) == pytest.approx(0.08)  # e = −0.2


def test_adaptive_kl_steers_beta_from_each_rollouts_kl_in_training():
    pol = _tiny_policy(dtype=np.float32)
    cfg = _short_run(algo="ppo", iterations=3, minibatches=1, epochs=1, kl_coef=0.1,
                     kl_target=0.5, kl_horizon=40)  # fmt: skip
    hist = rl_train(pol, cfg, _alternating).history[1:]
    assert hist[0]["kl_coef"] == 0.1  # the first rollout comes from π_ref: KL 0, e = −0.2
    for prev, row in pairwise(hist):
        e = min(max(prev["kl_k1"] / 0.5 - 1, -0.2), 0.2)
        assert row["kl_coef"] == pytest.approx(prev["kl_coef"] * (1 + e * 8 / 40), rel=1e-12)
    assert hist[1]["kl_coef"] == pytest.approx(0.1 * (1 - 0.2 * 8 / 40), rel=1e-9)
    plain = rl_train(pol, RLConfig(**{**cfg.__dict__, "kl_target": None}), _alternating)
    assert all("kl_coef" not in row for row in plain.history)  # off by default


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"algo": "grpo", "value_clip": 0.2}, "value_clip: grpo has no critic"),
        ({"algo": "ppo", "value_clip": 0.0}, "value_clip 0.0: must be > 0"),
        ({"kl_target": -1.0}, "kl_target -1.0: must be > 0"),
        ({"kl_target": 1.0, "kl_coef": 0.0}, "kl_coef must be > 0"),
        ({"kl_horizon": 0}, "kl_horizon 0: must be ≥ 1"),
    ],
)
def test_ppo_options_refuse_settings_that_cannot_work(changes, message):
    from rlcli.errors import UsageError

    with pytest.raises(UsageError, match=message):
        RLConfig(**changes).check()

"""The transformer: finite-difference checks (float64, central differences) of every layer and
of the whole model, and KV-cached inference against the plain forward pass."""

from __future__ import annotations

import numpy as np
import pytest

from rlcli.lm import layers as ly
from rlcli.lm import losses
from rlcli.lm import model as m

EPS = 1e-6


def numeric_grad(f, x: np.ndarray, max_entries: int = 40, rng=None) -> tuple[np.ndarray, list]:
    """Central differences of the scalar f() w.r.t. some entries of x (changed in place)."""
    rng = rng or np.random.default_rng(0)
    flat = list(np.ndindex(x.shape)) if x.ndim else [()]
    if len(flat) > max_entries:
        flat = [flat[i] for i in rng.choice(len(flat), max_entries, replace=False)]
    g = np.zeros(len(flat))
    for n, i in enumerate(flat):
        old = x[i].copy()
        x[i] = old + EPS
        fp = f()
        x[i] = old - EPS
        fm = f()
        x[i] = old
        g[n] = (fp - fm) / (2 * EPS)
    return g, flat


def check(analytic: np.ndarray, f, x: np.ndarray, tol: float = 1e-6) -> None:
    num, idx = numeric_grad(f, x)
    ana = np.array([analytic[i] for i in idx])
    scale = max(1e-3, float(np.abs(num).max()))
    assert np.abs(ana - num).max() <= tol * scale, (ana, num)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_layernorm_gradients(rng):
    x = rng.standard_normal((2, 3, 5))
    g, b = rng.standard_normal(5), rng.standard_normal(5)
    c = rng.standard_normal((2, 3, 5))

    def f():
        return float((ly.layernorm_forward(x, g, b)[0] * c).sum())

    _, cache = ly.layernorm_forward(x, g, b)
    dx, dg, db = ly.layernorm_backward(c, cache)
    check(dx, f, x)
    check(dg, f, g)
    check(db, f, b)


def test_layernorm_output_is_normalised(rng):
    x = rng.standard_normal((4, 6)) * 3 + 7
    y, _ = ly.layernorm_forward(x, np.ones(6), np.zeros(6))
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1), 1 / (1 + ly.LN_EPS / x.var(-1)), rtol=1e-9)


def test_mlp_gradients(rng):
    d = 4
    p = {
        "w_fc": rng.standard_normal((d, 4 * d)),
        "b_fc": rng.standard_normal(4 * d),
        "w_proj": rng.standard_normal((4 * d, d)),
        "b_proj": rng.standard_normal(d),
    }
    x = rng.standard_normal((2, 3, d))
    c = rng.standard_normal((2, 3, d))

    def f():
        return float((ly.mlp_forward(x, p)[0] * c).sum())

    dx, grads = ly.mlp_backward(c, ly.mlp_forward(x, p)[1], p)
    check(dx, f, x)
    for k in p:
        check(grads[k], f, p[k])


def test_attention_gradients_with_causal_mask(rng):
    d, heads = 6, 2
    p = {
        "w_qkv": rng.standard_normal((d, 3 * d)) * 0.5,
        "b_qkv": rng.standard_normal(3 * d) * 0.5,
        "w_o": rng.standard_normal((d, d)),
        "b_o": rng.standard_normal(d),
    }
    x = rng.standard_normal((2, 5, d))
    c = rng.standard_normal((2, 5, d))

    def f():
        return float((ly.attention_forward(x, p, heads)[0] * c).sum())

    _, cache, _ = ly.attention_forward(x, p, heads)
    dx, grads = ly.attention_backward(c, cache, p)
    check(dx, f, x)
    for k in p:
        check(grads[k], f, p[k])


def test_attention_is_causal(rng):
    """Changing a later token never changes an earlier output."""
    d = 6
    p = {
        "w_qkv": rng.standard_normal((d, 3 * d)),
        "b_qkv": np.zeros(3 * d),
        "w_o": rng.standard_normal((d, d)),
        "b_o": np.zeros(d),
    }
    x = rng.standard_normal((1, 5, d))
    y1 = ly.attention_forward(x, p, 3)[0]
    x[0, 3] += 10.0
    y2 = ly.attention_forward(x, p, 3)[0]
    np.testing.assert_allclose(y1[0, :3], y2[0, :3], atol=1e-12)
    assert np.abs(y1[0, 3:] - y2[0, 3:]).max() > 1e-3


def test_attention_one_head_by_hand():
    """One head, width 1, two positions: position 0 sees only itself; position 1 mixes
    v0, v1 with weights softmax(q1 k0, q1 k1)."""
    p = {
        "w_qkv": np.array([[1.0, 1.0, 1.0]]),
        "b_qkv": np.zeros(3),
        "w_o": np.eye(1),
        "b_o": np.zeros(1),
    }
    x = np.array([[[1.0], [2.0]]])  # q = k = v = x
    y = ly.attention_forward(x, p, 1)[0]
    w = np.exp([2.0, 4.0]) / np.exp([2.0, 4.0]).sum()  # scores q1·k = 2·1, 2·2
    np.testing.assert_allclose(y[0, :, 0], [1.0, w @ [1.0, 2.0]], rtol=1e-12)


def test_cross_entropy_gradients_and_mask(rng):
    logits = rng.standard_normal((2, 4, 5))
    targets = rng.integers(0, 5, (2, 4))
    mask = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], dtype=float)

    def f():
        return losses.cross_entropy(logits, targets, mask)[0]

    loss, dlogits = losses.cross_entropy(logits, targets, mask)
    check(dlogits, f, logits)
    assert np.all(dlogits[0, 3] == 0) and np.all(dlogits[1, 1:] == 0)  # masked: no gradient
    # by hand: mean over the 4 unmasked tokens of −log softmax
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picks = [
        lp[0, 0, targets[0, 0]],
        lp[0, 1, targets[0, 1]],
        lp[0, 2, targets[0, 2]],
        lp[1, 0, targets[1, 0]],
    ]
    assert loss == pytest.approx(-np.mean(picks), rel=1e-12)


def test_bradley_terry_gradients_and_value():
    rc, rr = np.array([1.0, -0.5, 2.0]), np.array([0.0, 0.5, 2.0])
    loss, dc, dr = losses.bradley_terry(rc, rr)
    # −log σ(1) = log(1+e^{-1}); −log σ(−1) = log(1+e); −log σ(0) = log 2
    assert loss == pytest.approx((np.log1p(np.exp(-1)) + np.log1p(np.e) + np.log(2)) / 3)
    check(dc, lambda: losses.bradley_terry(rc, rr)[0], rc)
    check(dr, lambda: losses.bradley_terry(rc, rr)[0], rr)


def _tiny(rng, vocab=7, context=6):
    cfg = m.ModelConfig(vocab_size=vocab, context=context, d_model=8, n_layers=2, n_heads=2)
    params = m.init_params(cfg, rng, dtype=np.float64)
    for k in params:  # larger than GPT-2's init so that every path carries gradient
        params[k] = np.asarray(params[k] + rng.standard_normal(params[k].shape) * 0.3)
    return cfg, params


def test_whole_model_gradients_every_parameter(rng):
    """Embeddings, every block, the final LayerNorm and both heads, through one loss."""
    cfg, params = _tiny(rng)
    idx = rng.integers(0, cfg.vocab_size, (2, 5))
    targets = rng.integers(0, cfg.vocab_size, (2, 5))
    mask = np.ones((2, 5))
    cv = rng.standard_normal((2, 5))

    def f():
        h, _ = m.forward(params, cfg, idx)
        ce = losses.cross_entropy(m.logits_of(params, h), targets, mask)[0]
        return ce + float((m.values_of(params, h) * cv).sum())

    h, cache = m.forward(params, cfg, idx)
    _, dlogits = losses.cross_entropy(m.logits_of(params, h), targets, mask)
    grads = m.gradients(params, cfg, cache, h, dlogits, cv)
    assert set(grads) == set(params)
    for k in params:
        check(grads[k], f, params[k])


def test_value_head_only_when_trunk_frozen(rng):
    cfg, params = _tiny(rng)
    idx = rng.integers(0, cfg.vocab_size, (2, 4))
    h, cache = m.forward(params, cfg, idx)
    grads = m.gradients(params, cfg, cache, h, None, np.ones((2, 4)), trunk=False)
    assert np.all(grads["wte"] == 0) and np.abs(grads["w_v"]).sum() > 0
    np.testing.assert_allclose(grads["b_v"], 8.0)  # ∂/∂b Σ V = number of positions


def test_kv_cache_matches_full_forward(rng):
    cfg, params = _tiny(rng, context=8)
    idx = rng.integers(0, cfg.vocab_size, (3, 8))
    h_full, _ = m.forward(params, cfg, idx)
    cache = m.KVCache(cfg.n_layers)
    parts = [m.forward_cached(params, cfg, idx[:, :3], cache)]
    for t in range(3, 8):
        parts.append(m.forward_cached(params, cfg, idx[:, t : t + 1], cache))
    np.testing.assert_allclose(np.concatenate(parts, axis=1), h_full, rtol=1e-10, atol=1e-12)


def test_float32_by_default(rng):
    cfg = m.ModelConfig(vocab_size=5)
    params = m.init_params(cfg, rng)
    assert all(p.dtype == np.float32 for p in params.values())
    h, _ = m.forward(params, cfg, np.zeros((1, 4), dtype=int))
    assert h.dtype == np.float32


def test_context_overflow_is_refused(rng):
    cfg, params = _tiny(rng, context=4)
    from rlcli.errors import UsageError

    with pytest.raises(UsageError, match="context"):
        m.forward(params, cfg, np.zeros((1, 5), dtype=int))

"""``rlcli calc gae | ppo-clip | kl | grpo | importance-sampling`` against hand-worked numbers,
``scipy.stats.entropy``, and finite differences."""

from __future__ import annotations

import json
import math
from fractions import Fraction as F

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.train.gae import gae


def calc(*args: str) -> dict:
    result = CliRunner().invoke(app, ["calc", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


GAE = ["--rewards", "1,0,2", "--values", "1/2,1,0,1", "--gamma", "9/10"]


def test_gae_lambda_0_is_the_td_error():
    # δ_0 = 1 + 9/10·1 − 1/2 = 7/5; δ_1 = 0 + 9/10·0 − 1 = −1; δ_2 = 2 + 9/10·1 − 0 = 29/10
    doc = calc("gae", *GAE, "--lambda", "0")
    assert doc["exact"]["deltas"] == ["7/5", "-1", "29/10"]
    assert doc["exact"]["advantages"] == doc["exact"]["deltas"]


def test_gae_lambda_1_is_return_minus_value():
    # G_2 = 2 + 9/10·1 = 29/10; G_1 = 9/10·29/10 = 261/100; G_0 = 1 + 9/10·261/100 = 3349/1000
    # Â = G − V: 3349/1000 − 1/2 = 2849/1000, 261/100 − 1 = 161/100, 29/10
    doc = calc("gae", *GAE, "--lambda", "1")
    assert doc["exact"]["advantages"] == ["2849/1000", "161/100", "29/10"]


def test_gae_done_stops_the_carry():
    # d_1 = 1: δ_1 = 0 − 1 = −1 (no bootstrap), Â_1 = δ_1; Â_0 = 7/5 + 9/10·1·(−1) = 1/2
    doc = calc("gae", *GAE, "--lambda", "1", "--dones", "0,1,0")
    assert doc["exact"]["advantages"] == ["1/2", "-1", "29/10"]


def test_gae_exact_path_agrees_with_the_float_path():
    rng = np.random.default_rng(0)
    r, v, d = rng.normal(size=(6, 1)), rng.normal(size=(6, 1)), (rng.random((6, 1)) < 0.3) * 1.0
    last = rng.normal(size=1)
    floats = gae(r, v, last, d, 0.9, 0.8)[:, 0]
    to_f = np.vectorize(lambda x: F(repr(x)), otypes=[object])
    exact = gae(to_f(r), to_f(v), to_f(last), to_f(d), F(9, 10), F(4, 5))[:, 0]
    np.testing.assert_allclose(exact.astype(float), floats, rtol=1e-12)


SIX = ["--ratio", "0.7,1,1.5,0.7,1,1.5", "--advantage", "1,1,1,-1,-1,-1", "--eps", "0.2"]


def test_ppo_clip_in_all_six_regions():
    # ε = 1/5, range [4/5, 6/5]
    # A = 1:  r = 7/10 → min(7/10, 4/5) = 7/10 (unclipped, ∂ = 1)
    #         r = 1    → 1 (∂ = 1);  r = 3/2 → min(3/2, 6/5) = 6/5 (clipped, ∂ = 0)
    # A = −1: r = 7/10 → min(−7/10, −4/5) = −4/5 (clipped, ∂ = 0)
    #         r = 1    → −1 (∂ = −1); r = 3/2 → min(−3/2, −6/5) = −3/2 (unclipped, ∂ = −1)
    doc = calc("ppo-clip", *SIX)
    assert doc["exact"]["objective"] == ["7/10", "1", "6/5", "-4/5", "-1", "-3/2"]
    assert doc["exact"]["gradient"] == ["1", "1", "0", "0", "-1", "-1"]
    assert doc["clipped"] == [False, False, True, True, False, False]
    regions = [s["region"] for s in doc["steps"][:6]]
    assert len(set(regions)) == 6


def test_ppo_gradient_matches_finite_differences():
    doc = calc("ppo-clip", *SIX)
    h = 1e-7
    for r, a, g in zip(
        [0.7, 1, 1.5, 0.7, 1, 1.5], [1, 1, 1, -1, -1, -1], doc["gradient"], strict=True
    ):

        def L(x: float, a: float = a) -> float:
            return min(x * a, min(max(x, 0.8), 1.2) * a)

        assert math.isclose((L(r + h) - L(r - h)) / (2 * h), g, abs_tol=1e-6)


def test_ppo_kl_penalty_form():
    # r = 2, A = 1, β = 1/2: L = 2 − 1/2[(2 − 1) − ln 2] = 3/2 + ln(2)/2
    # ∂L/∂r = A − β(1 − 1/r) = 1 − 1/2(1 − 1/2) = 3/4
    doc = calc("ppo-clip", "--ratio", "2", "--advantage", "1", "--kl-penalty", "1/2")
    assert math.isclose(doc["objective"][0], 1.5 + math.log(2) / 2)
    assert math.isclose(doc["gradient"][0], 0.75)


def test_kl_against_scipy_and_by_hand():
    from scipy.stats import entropy

    p, q = [0.5, 0.25, 0.25], [0.25, 0.25, 0.5]
    doc = calc("kl", "--p", "1/2,1/4,1/4", "--q", "1/4,1/4,1/2")
    # KL(p‖q) = 1/2·ln 2 + 0 + 1/4·ln(1/2) = ln(2)/4
    assert math.isclose(doc["kl"], math.log(2) / 4)
    assert math.isclose(doc["kl"], entropy(p, q))
    assert math.isclose(doc["reverse_kl"], entropy(q, p))


def test_kl_estimators_on_samples_proportional_to_p():
    # samples 0,0,1,2 have the frequencies of p, so each sample mean is its exact expectation:
    # k1: mean(−ln r) = (2 ln 2 + 0 − ln 2)/4 = ln(2)/4 = KL (unbiased)
    # k3: mean((r − 1) − ln r) = KL + Σ_{p>0} q − 1 = KL (q's mass lies inside p's support)
    doc = calc("kl", "--p", "1/2,1/4,1/4", "--q", "1/4,1/4,1/2", "--samples", "0,0,1,2")
    assert math.isclose(doc["k1"], math.log(2) / 4)
    assert math.isclose(doc["k3"], math.log(2) / 4)
    assert math.isclose(doc["expectations"]["k3"], math.log(2) / 4)
    # k2 = ½(ln r)²: mean (2·½ln²2 + 0 + ½ln²2)/4 = 3ln²2/8, biased
    assert math.isclose(doc["k2"], 3 * math.log(2) ** 2 / 8)
    assert math.isclose(doc["bias"]["k2"], 3 * math.log(2) ** 2 / 8 - math.log(2) / 4)
    # q with mass off p's support: E[k3] − KL = Σ_{p>0} q − 1 = 1/2 − 1
    doc = calc("kl", "--p", "1/2,1/2,0", "--q", "1/4,1/4,1/2", "--samples", "0,1")
    assert doc["bias"]["k3"] == -0.5


def test_kl_estimator_bias_when_kl_is_infinite():
    # p puts 1/10 on outcome 2 where q = 0: KL(p‖q) = ∞, and E_p k2 = ∞ too, so k2's bias
    # E_p k2 − KL = ∞ − ∞ is undefined (null, and said in words, never "nan"); the samples
    # avoid outcome 2, so every sample's k is finite. k1 stays unbiased; k3's bias is
    # Σ_{p>0} q − 1 = 9/10 + 1/10 + 0 − 1 = 0
    args = ["kl", "--p", "1/2,2/5,1/10", "--q", "9/10,1/10,0", "--samples", "0,1,0"]
    doc = calc(*args)
    assert doc["kl"] is None  # ∞ is not a JSON number
    assert doc["bias"] == {"k1": 0.0, "k2": None, "k3": 0.0}
    text = CliRunner().invoke(app, ["calc", *args]).output
    assert "nan" not in text
    assert "undefined (∞ − ∞)" in text


def test_grpo_both_std_conventions():
    # rewards 1,0,0,1: mean 1/2, deviations ±1/2
    # population std = √(4·1/4 / 4) = 1/2 → Â = ±1 (ε = 0)
    pop = calc("grpo", "--rewards", "1,0,0,1", "--eps", "0")
    assert pop["exact"] == {"mean": "1/2", "std": "1/2", "advantages": ["1", "-1", "-1", "1"]}
    # sample std = √(1/3) → Â = (1/2)/√(1/3) = √3/2
    smp = calc("grpo", "--rewards", "1,0,0,1", "--eps", "0", "--std", "sample")
    assert np.allclose(smp["advantages"], np.array([1, -1, -1, 1]) * math.sqrt(3) / 2)
    # default ε = 1e-4: (1/2)/(1/2 + 1/10000) = 5000/5001
    dflt = calc("grpo", "--rewards", "1,0,0,1")
    assert dflt["std_kind"] == "population"
    assert dflt["exact"]["advantages"][0] == "5000/5001"


def test_dr_grpo_and_rloo():
    # Dr. GRPO: r − mean = ±1/2; RLOO: 1 − (0 + 0 + 1)/3 = 2/3, 0 − 2/3 = −2/3
    assert calc("grpo", "--rewards", "1,0,0,1", "--dr-grpo")["exact"]["advantages"] == [
        "1/2",
        "-1/2",
        "-1/2",
        "1/2",
    ]
    assert calc("grpo", "--rewards", "1,0,0,1", "--rloo")["exact"]["advantages"] == [
        "2/3",
        "-2/3",
        "-2/3",
        "2/3",
    ]


def test_equal_rewards_give_zero_advantages():
    doc = calc("grpo", "--rewards", "1,1,1")
    assert doc["advantages"] == [0, 0, 0]


def test_importance_sampling_ordinary_and_weighted():
    # (2·3 + 0·1 + 4·2)/3 = 14/3; weighted 14/(2 + 0 + 4) = 7/3
    doc = calc("importance-sampling", "--returns", "3,1,2", "--ratios", "2,0,4")
    assert doc["exact"] == {"ordinary": "14/3", "weighted": "7/3"}
    # all ratios 0: the weighted estimate is defined as 0
    assert calc("importance-sampling", "--returns", "3", "--ratios", "0")["weighted"] == 0


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["gae", "--rewards", "1,2", "--values", "1,2"], "need 3"),
        (["ppo-clip", "--ratio", "1,2", "--advantage", "1"], "2 values"),
        (["ppo-clip", "--ratio", "-1", "--advantage", "1"], "positive"),
        (["kl", "--p", "1/2,1/2", "--q", "1/2,1/4"], "sum to 3/4"),
        (["kl", "--p", "1/2,1/2", "--q", "1,0", "--samples", "1"], "q = 0"),
        (["grpo", "--rewards", "1,x"], "item 2"),
        (["grpo", "--rewards", "1,2", "--std", "both"], "population or sample"),
    ],
)
def test_bad_numbers_exit_2(args, word):
    result = CliRunner().invoke(app, ["calc", *args])
    assert result.exit_code == 2 and word in result.output, result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_formats(fmt):
    result = CliRunner().invoke(app, ["calc", "gae", *GAE, "--lambda", "0", "--format", fmt])
    assert result.exit_code == 0
    assert ("\\tfrac{7}{5}" if fmt == "latex" else "7/5") in result.stdout

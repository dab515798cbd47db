"""Hostile and edge inputs on the features merged in session 4 (calc mistakes and topics,
estimate --error-state, train compare --env, lm rl ppo --value-clip/--kl-target): each test
is a defect found by trying the input, fixed, and kept here so it stays fixed. Bad input
exits 2 with a message naming the field, never a traceback."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rlcli.cli.app import app


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def refused(*args: str, field: str) -> str:
    """The command exits 2 with ``field`` in its message and no traceback."""
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert field in result.output, result.output
    return result.output


def test_grpo_equal_rewards_with_eps_zero_is_refused_not_a_zero_division():
    # std of (1, 1) is 0; with ε = 0, Â = (1 − 1)/(0 + 0) = 0/0: was a ZeroDivisionError.
    refused("calc", "grpo", "--rewards", "1,1", "--eps", "0", field="eps")
    refused("calc", "grpo", "--rewards", "1,1", "--std", "sample", "--eps", "0", field="eps")


def test_grpo_negative_eps_is_refused():
    # ε = −1/2 with rewards (1, 2): std = 1/2, denominator 1/2 − 1/2 = 0 (was a traceback);
    # ε = −1 gave Â = (∓1/2)/(1/2 − 1) = ±1: the signs flipped silently.
    refused("calc", "grpo", "--rewards", "1,2", "--eps", "-1/2", field="eps")
    refused("calc", "grpo", "--rewards", "1,2", "--eps", "-1", field="eps")


def test_grpo_equal_rewards_wrong_answer_is_graded_not_crashed():
    # Default ε = 1e-4: every Â = 0/(0 + 1e-4) = 0. The "ε left out" mistake would divide
    # 0 by 0; the grader must skip it (it was a traceback) and grade the answer: 1 is wrong.
    result = run("calc", "grpo", "--rewards", "1,1", "--answer", "advantages: [1, 0]", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert [c["ok"] for c in report["cells"]] == [False, True]
    # Dr. GRPO has no std: equal rewards with ε = 0 are fine, Â = 0.
    ok = run("calc", "grpo", "--rewards", "1,1", "--eps", "0", "--dr-grpo", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["advantages"] == [0, 0]


RW = """\
gamma: 1
states: [L, A, B, R, X]
terminal: [L, R]
start: A
transitions:
  A:
    left: {next: L, r: 0}
    right: {next: B, r: 0}
  B:
    left: {next: A, r: 0}
    right: {next: R, r: 1}
  X:
    left: {next: L, r: 0}
    right: {next: L, r: 5}
policies:
  goright: {A: right, B: right, X: right}
"""


def test_error_state_never_visited_is_refused(tmp_path):
    # X has no way in: from start A every episode ends in L or R without visiting X, so its
    # estimate stays V0 = 0 and the Fig 5.3 curve is the constant (0 − v_π(X))² = 5² = 25.
    # (It was run and plotted as a flat line.) Same for B when episodes start in X.
    f = tmp_path / "rw.yaml"
    f.write_text(RW)
    base = ["estimate", str(f), "-p", "goright", "-m", "mc", "--runs", "2", "--episodes", "3"]
    out = refused(*base, "--behavior", "uniform", "--error-state", "X", field="--error-state")
    assert "25" in out
    refused(*base, "--error-state", "B", "--start", "X", field="--error-state")
    # a reachable state is followed: X from --start X, under the behaviour policy too
    ok = run(*base, "--behavior", "uniform", "--error-state", "X", "--start", "X", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["error_state"] == "X"


def test_env_kwargs_refused_before_training():
    # Each of these reached gymnasium and came back as a traceback (exit 1): a
    # max_episode_steps gymnasium refuses (ValueError), render_mode=human (pygame missing, or
    # a window per copy), a number spelled nan/1e999 (YAML reads it as text: Pendulum's
    # step then divided a str), .nan (a float NaN: every observation NaN), and a flag given
    # text (sutton_barto_reward=maybe, silently truthy).
    import pytest

    pytest.importorskip("gymnasium")
    for env, kwargs in [
        ("CartPole-v1", "max_episode_steps=0"),
        ("CartPole-v1", "max_episode_steps=-5"),
        ("CartPole-v1", "render_mode=human"),
        ("CartPole-v1", "sutton_barto_reward=maybe"),
        ("Pendulum-v1", "g=nan"),
        ("Pendulum-v1", "g=1e999"),
        ("Pendulum-v1", "g=.nan"),
        ("Pendulum-v1", "g=.inf"),
    ]:
        refused("train", "ppo", "--env", env, "--env-kwargs", kwargs, "--steps", "64",
                field="--env-kwargs")  # fmt: skip
    refused("train", "compare", "--env", "CartPole-v1", "--env-kwargs", "max_episode_steps=0",
            "--seeds", "1", "--steps", "64", field="--env-kwargs")  # fmt: skip


def test_kl_horizon_that_would_turn_beta_negative_is_refused():
    # Ziegler et al. 2019: β ← β(1 + e·n/H), e = clip(KL/target − 1, −0.2, 0.2). With
    # n = 4 × 2 = 8 completions and H = 1, a rollout under the target gives
    # β ← β(1 − 0.2·8) = −0.6β: β went 0.04 → −0.024 → 0.0144 (a reward for drifting).
    # H must exceed n/5 = 1.6; H = 2 gives the factor 1 − 0.8 = 0.2 > 0.
    import pytest

    from rlcli.errors import UsageError
    from rlcli.lm.advantages import adaptive_kl_coef
    from rlcli.lm.rl_config import RLConfig

    base = {"algo": "ppo", "prompts": 4, "group_size": 2, "kl_target": 0.5}
    with pytest.raises(UsageError, match="kl_horizon 1: must exceed n/5"):
        RLConfig(**base, kl_horizon=1).check()
    RLConfig(**base, kl_horizon=2).check()
    assert adaptive_kl_coef(0.04, 0.0, 0.5, 2, 8) == pytest.approx(0.04 * 0.2)
    # and above the target: KL = 1 = 2 × target, e = clip(1, ±0.2) = 0.2, β·(1 + 0.2·8/2)
    assert adaptive_kl_coef(0.04, 1.0, 0.5, 2, 8) == pytest.approx(0.04 * 1.8)
    # within the clip: KL = 0.55, e = 0.1, n/H = 8/10000: β·(1 + 0.1·0.0008)
    assert adaptive_kl_coef(0.04, 0.55, 0.5, 10_000, 8) == pytest.approx(0.04 * 1.00008)


def test_lm_rl_non_finite_settings_refused(tmp_path):
    # --temperature nan sampled NaN logits and ended as "the loss became nan; lower lr";
    # --kl-target inf and --value-clip inf were taken (β shrinking every rollout; no clip).
    import numpy as np

    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm import task
    from rlcli.lm.model import ModelConfig, init_params

    tok = task.tokenizer()
    p_len = task.prompt_length(tok)
    cfg = ModelConfig(len(tok), context=p_len + 8, d_model=8, n_layers=1, n_heads=2)
    info = {"prompt_len": p_len, "seed": 0}
    params = init_params(cfg, np.random.default_rng(0))
    ckpt.save(tmp_path / "p.npz", ckpt.Checkpoint("policy", cfg, tok.vocab, params, info))
    base = ["lm", "rl", "ppo", str(tmp_path / "p.npz"), "-o", str(tmp_path / "o.npz"),
            "--iterations", "1", "--prompts", "4", "--group-size", "2", "-q"]  # fmt: skip
    refused(*base, "--temperature", "nan", field="--temperature nan: must be a finite number")
    refused(*base, "--kl-target", "inf", field="--kl-target inf: must be > 0")
    refused(*base, "--value-clip", "inf", field="--value-clip inf: must be > 0")
    refused(
        *base, "--kl-target", "0.1", "--kl-horizon", "1", field="--kl-horizon 1: must exceed n/5"
    )
    assert not (tmp_path / "o.npz").exists()


def test_kl_samples_empty_or_not_ascii_digits():
    # --samples "" gave k1 = k2 = k3 = mean of nothing = nan (exit 0); "²" passed
    # str.isdigit() and int("²") raised ValueError (a traceback); "١" (Arabic-Indic one)
    # was read as index 1.
    for text in ["", " , ", "²", "١"]:
        refused("calc", "kl", "--p", "1/2,1/2", "--q", "1/3,2/3", "--samples", text,
                field="samples")  # fmt: skip
    # the same samples in ASCII: x = 0, 1, r = (1/3)/(1/2) = 2/3 and (2/3)/(1/2) = 4/3,
    # k1 mean = −(ln 2/3 + ln 4/3)/2 = −ln(8/9)/2
    import math

    ok = run("calc", "kl", "--p", "1/2,1/2", "--q", "1/3,2/3", "--samples", "0,1", "--json")
    assert ok.exit_code == 0
    assert abs(json.loads(ok.stdout)["k1"] + math.log(8 / 9) / 2) < 1e-12


def test_calc_results_beyond_the_float_range_are_refused():
    # Each input is below 10**308, so the parser takes it; the result is not:
    # r·A = 10**600 in the KL-penalty form, and the sample variance of (10**300, 0, 1)
    # is about 10**600/3. Both were an OverflowError traceback.
    refused("calc", "ppo-clip", "--ratio", "1e300", "--advantage", "1e300", "--kl-penalty", "1",
            field="float range")  # fmt: skip
    refused("calc", "grpo", "--rewards", "1e300,0,1", "--std", "sample", field="float range")
    result = run("calc", "grpo", "--rewards", "1e300,0,1", "--std", "sample", "--json")
    assert result.exit_code == 2 and "float range" in json.loads(result.stdout)["error"]["message"]


def test_ppo_negative_kl_penalty_is_refused():
    # β = −1 rewarded the KL estimate: L = rA + k3 (was computed and shown, exit 0)
    refused("calc", "ppo-clip", "--ratio", "1/2", "--advantage", "1", "--kl-penalty", "-1",
            field="kl-penalty")  # fmt: skip


def test_actor_critic_missing_value_of_a_visited_state_is_refused():
    # --values "" took V(s1) = 0 silently: δ_0 = 1 + 0 − 0 = 1 and a gradient (−1/2, 1/2)
    # was printed as if V(s1) had been given. The final state may still be left out (a
    # terminal state, value 0).
    probs = "s1: L=1/2, R=1/2; s2: L=1/2, R=1/2"
    refused("calc", "actor-critic", "--probs", probs, "--trajectory", "s1 R 1", "--values", "",
            field="values: no value for state 's1'")  # fmt: skip
    ok = run("calc", "actor-critic", "--probs", probs, "--trajectory", "s1 R 1 s2",
             "--values", "s1=1", "--json")  # fmt: skip
    # δ_0 = 1 + 1·0 − 1 = 0: the gradient is 0
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["gradient"] == {"s1": {"L": 0, "R": 0}, "s2": {"L": 0, "R": 0}}


def test_env_kwargs_lists_and_values_the_env_refuses():
    # train's --env-kwargs split at every comma, so desc=[SF, FG] (a FrozenLake map) could
    # not be given; it now shares rlcli mdp import's parser. map_name=9x9 was a KeyError
    # traceback from inside FrozenLake.
    import pytest

    pytest.importorskip("gymnasium")
    ok = run("train", "ppo", "--env", "FrozenLake-v1", "--env-kwargs",
             "desc=[SF, FG],is_slippery=false", "--steps", "64", "--json")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    for kwargs, field in [
        ("map_name=9x9", "9x9"),
        ("desc=[SF, FG", "unbalanced"),
        ("is_slippery=true,is_slippery=false", "given twice"),
        ("a", "--env-kwargs"),
    ]:
        refused("train", "compare", "--env", "FrozenLake-v1", "--env-kwargs", kwargs,
                "--seeds", "1", "--steps", "64", field=field)  # fmt: skip


def test_value_clip_loss_by_hand_and_finite_differences():
    # lm rl ppo --value-clip c: L = ½ mean max((V − R)², (V_old + clip(V − V_old, ±c) − R)²).
    # V = (2, 1/2), R = 0, V_old = 1, c = 0.2:
    #   pair 1: (2)² = 4 vs (1 + 0.2)² = 1.44 → 4, ∂/∂V = (V − R)/n = 2/2 = 1;
    #   pair 2: (0.5)² = 0.25 vs (1 − 0.2)² = 0.64 → 0.64, clipped and V outside ±c: ∂ = 0.
    #   L = ½ (4 + 0.64)/2 = 1.16
    import numpy as np

    from rlcli.train.losses import value_loss

    v, r, old = np.array([2.0, 0.5]), np.zeros(2), np.ones(2)
    loss, dv = value_loss(v, r, old, 0.2)
    assert abs(loss - 1.16) < 1e-12
    assert np.allclose(dv, [1.0, 0.0])
    h = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        fd = (value_loss(v + e, r, old, 0.2)[0] - value_loss(v - e, r, old, 0.2)[0]) / (2 * h)
        assert abs(fd - dv[i]) < 1e-6


def test_lm_rl_sizes_bounded_before_allocating():
    # --prompts 100000000 --group-size 1000 built a list of 10^11 prompts: MemoryError
    # traceback; --iterations 10^11 ran on for days.
    import pytest

    from rlcli.errors import UsageError
    from rlcli.lm.rl_config import RLConfig

    with pytest.raises(UsageError, match="completions per rollout"):
        RLConfig(prompts=100_000_000, group_size=1000).check()
    with pytest.raises(UsageError, match="iterations 100,000,000,000: at most 1,000,000"):
        RLConfig(iterations=10**11).check()
    RLConfig(prompts=8192, group_size=8).check()  # 65,536: the limit itself is accepted

"""``rlcli lm`` commands: bad input exits 2 with a clear message, never a traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.lm import checkpoint as ckpt
from rlcli.lm import task
from rlcli.lm.model import ModelConfig, init_params

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    tok = task.tokenizer()
    p_len = task.prompt_length(tok)
    cfg = ModelConfig(len(tok), context=p_len + 8, d_model=8, n_layers=1, n_heads=2)
    params = init_params(cfg, np.random.default_rng(0))
    info = {"prompt_len": p_len, "seed": 0}
    ckpt.save(tmp_path / "policy.npz", ckpt.Checkpoint("policy", cfg, tok.vocab, params, info))
    ckpt.save(tmp_path / "rm.npz", ckpt.Checkpoint("reward-model", cfg, tok.vocab, params, info))
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 truncated")
    return tmp_path


def _fails(args, pattern):
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert pattern in res.output, res.output


def test_sample_prints_completions_as_json(files):
    prompt = "Ada has 7 apples and buys 5 more. How many apples does Ada have now?"
    res = runner.invoke(
        app, ["lm", "sample", str(files / "policy.npz"), prompt, "-n", "3", "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["completions"]) == 3 and len(doc["answers"]) == 3


def test_prompt_outside_the_vocabulary(files):
    _fails(
        ["lm", "sample", str(files / "policy.npz"), "Ada has 7 zebras"],
        "'zebras' at character 11 is not in the model's vocabulary",
    )


def test_prompt_longer_than_the_context(files):
    long = "Ada has 7 apples and buys 5 more. " * 3
    _fails(["lm", "sample", str(files / "policy.npz"), long], "prompts hold at most")


def test_reward_model_where_a_policy_belongs(files):
    _fails(
        ["lm", "sample", str(files / "rm.npz"), "Ada has 7 apples"],
        "is a reward-model, but a policy is needed",
    )
    _fails(["lm", "rl", "grpo", str(files / "rm.npz")], "a policy is needed")
    policy = str(files / "policy.npz")
    _fails(
        ["lm", "rl", "grpo", policy, "--reward", "model", policy],
        "is a policy, but a reward-model is needed",
    )


def test_corrupt_checkpoint(files):
    _fails(["lm", "eval", str(files / "corrupt.npz")], "not a readable .npz checkpoint")
    _fails(["lm", "sample", str(files / "missing.npz"), "Ada"], "no such checkpoint file")


def test_context_shorter_than_the_prompts(tmp_path):
    _fails(
        ["lm", "pretrain", "-o", str(tmp_path / "b.npz"), "--context", "20"],
        "--context 20: the prompts take up to 18 tokens",
    )


def test_existing_files_need_force(files):
    _fails(["lm", "pretrain", "-o", str(files / "policy.npz")], "use --force to overwrite it")
    _fails(
        ["lm", "rl", "grpo", str(files / "policy.npz"), "-o", str(files / "rm.npz")], "use --force"
    )


def test_eval_json_keys(files):
    res = runner.invoke(
        app, ["lm", "eval", str(files / "policy.npz"), "--prompts", "4", "--samples", "2",
              "--k", "1,2", "--json"]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc) >= {"greedy_accuracy", "pass_at", "maj_at"}
    assert set(doc["pass_at"]) == {"1", "2"}
    _fails(
        ["lm", "eval", str(files / "policy.npz"), "--k", "9", "--samples", "2"],
        "--k values must be between 1 and --samples",
    )


def _rl(files, *args):
    """One tiny RL iteration on the fixture's 1-layer model."""
    base = ["lm", "rl", "grpo", str(files / "policy.npz"), "--iterations", "1", "--prompts", "2"]
    base += ["--group-size", "2", "--minibatches", "1", "--epochs", "1", "-q"]
    return runner.invoke(app, [*base, *args])


def test_reward_is_spelled_verifier_or_model_file(files):
    res = _rl(files, "--reward", "model", str(files / "rm.npz"), "-o", str(files / "p.npz"))
    assert res.exit_code == 0, res.output
    info = ckpt.load(files / "p.npz", "policy").info
    assert info["reward"] == "model" and info["reward_model"] == str(files / "rm.npz")
    res = _rl(files, "--reward", "verifier", "-o", str(files / "q.npz"), "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["reward"] == "verifier" and doc["reward_model"] is None
    _fails(["lm", "rl", "grpo", str(files / "policy.npz"), "--reward", "model"], "name the reward")
    _fails(
        ["lm", "rl", "grpo", str(files / "policy.npz"), "--reward", str(files / "rm.npz")],
        "'verifier' or 'model FILE'",
    )
    _fails(
        ["lm", "rl", "grpo", str(files / "policy.npz"), str(files / "rm.npz")],
        "goes with --reward model",
    )


def test_rl_writes_csv_and_plot_and_refuses_to_overwrite_them(files):
    csv_path, png = files / "h.csv", files / "h.png"
    res = _rl(files, "-o", str(files / "p.npz"), "--csv", str(csv_path), "--plot", str(png))
    assert res.exit_code == 0, res.output
    lines = csv_path.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["iteration", "greedy_accuracy", "greedy_length"]
    assert {"reward_mean", "reward_std", "kl_k1", "kl_k3", "clip_frac", "zero_std_frac"} <= set(
        header
    )
    assert len(lines) == 3  # iteration 0 (the base model's evaluation) and iteration 1
    assert all(len(line.split(",")) == len(header) for line in lines)
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "1"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = csv_path.read_bytes(), png.read_bytes()
    for flag, path in (("--csv", csv_path), ("--plot", png)):
        rl = ["lm", "rl", "grpo", str(files / "policy.npz"), "-o", str(files / "r.npz")]
        _fails([*rl, flag, str(path)], "use --force to overwrite it")
    assert (csv_path.read_bytes(), png.read_bytes()) == before
    assert not (files / "r.npz").exists()
    res = _rl(files, "-o", str(files / "p.npz"), "--csv", str(csv_path), "--force")
    assert res.exit_code == 0, res.output


def test_rl_ppo_value_clip_and_adaptive_kl_from_the_command_line(files):
    base = ["lm", "rl", "ppo", str(files / "policy.npz"), "--iterations", "2", "--prompts", "2"]
    base += ["--group-size", "2", "--minibatches", "1", "--epochs", "1", "-q", "--json"]
    res = runner.invoke(
        app,
        [*base, "-o", str(files / "p.npz"), "--value-clip", "0.2", "--kl-target", "0.5"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    saved = ckpt.load(files / "p.npz", "policy").info["rl_config"]
    assert saved["value_clip"] == 0.2 and saved["kl_target"] == 0.5
    betas = [row["kl_coef"] for row in doc["curve"] if "kl_coef" in row]
    # iteration 1 samples from π_ref (KL 0, e = −0.2): β = 0.04 · (1 − 0.2 · 4/10,000)
    assert betas[0] == 0.04 and betas[1] == pytest.approx(0.04 * (1 - 0.2 * 4 / 10_000))
    _fails(
        ["lm", "rl", "grpo", str(files / "policy.npz"), "--value-clip", "0.2"],
        "--value-clip: grpo has no critic",
    )
    _fails(
        ["lm", "rl", "ppo", str(files / "policy.npz"), "--kl-target", "1", "--kl-coef", "0"],
        "kl_coef must be > 0",
    )


def test_rl_refuses_a_plot_name_matplotlib_cannot_write_before_any_work(tmp_path):
    # the policy file does not exist: the --plot check must come first, before any training
    _fails(
        ["lm", "rl", "grpo", str(tmp_path / "missing.npz"), "--plot", str(tmp_path / "c.txt")],
        "--plot",
    )
    assert not (tmp_path / "c.txt").exists()


def test_eval_json_of_several_models_is_per_model(files):
    # review: with two models the top-level greedy_accuracy, pass_at, maj_at were silently the
    # first model's. Two models with different weights: each one's entry must be what
    # evaluating it alone gives, and no top-level numbers may stand for "the" model.
    tok = task.tokenizer()
    cfg = ModelConfig(len(tok), context=task.prompt_length(tok) + 8, d_model=8, n_layers=1,
                      n_heads=2)  # fmt: skip
    info = {"prompt_len": task.prompt_length(tok), "seed": 1}
    # weights 40x the initialisation's: sharp, different completions (lengths differ)
    loud = {k: v * 40 for k, v in init_params(cfg, np.random.default_rng(7)).items()}
    other = ckpt.Checkpoint("policy", cfg, tok.vocab, loud, info)
    ckpt.save(files / "other.npz", other)
    opts = ["--prompts", "8", "--samples", "4", "--k", "1,4", "--json"]
    a, b = str(files / "policy.npz"), str(files / "other.npz")
    both = runner.invoke(app, ["lm", "eval", a, b, *opts])
    assert both.exit_code == 0, both.output
    doc = json.loads(both.stdout)
    assert set(doc) == {"models"} and list(doc["models"]) == [a, b]
    for path in (a, b):
        alone = json.loads(runner.invoke(app, ["lm", "eval", path, *opts]).stdout)
        assert _flat(doc["models"][path]) == pytest.approx(_flat(alone))
    assert doc["models"][a] != doc["models"][b]  # the test tells the two apart
    _fails(["lm", "eval", a, a, *opts], "given twice")


def _flat(doc: dict, prefix: str = "") -> dict:
    """{"pass_at.1": 0.5, ...}: nested numbers under dotted keys (pytest.approx takes flat
    mappings)."""
    out: dict = {}
    for k, v in doc.items():
        out |= _flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v}
    return out


def test_a_bad_rl_option_is_named_alone_as_its_flag(files):
    # review: --temperature 0 said "kl_coef must be ≥ 0, temperature and lr > 0"
    policy = str(files / "policy.npz")
    for flag, value in (("--temperature", "0"), ("--lr", "0"), ("--clip", "1")):
        res = runner.invoke(app, ["lm", "rl", "grpo", policy, flag, value, "-o",
                                  str(files / "out.npz")])  # fmt: skip
        assert res.exit_code == 2 and f"{flag} {float(value)}: must be" in res.output, res.output
        assert "kl_coef" not in res.output and not (files / "out.npz").exists()


def test_a_file_that_is_not_a_checkpoint_is_called_so(files):
    # review: a YAML file passed NumPy's "pickled data ... allow_pickle" text through
    (files / "two.yaml").write_text("gamma: 1\nstates: [A]\n")
    _fails(["lm", "sample", str(files / "two.yaml"), "Ada has 7 apples"], "not a checkpoint")
    res = runner.invoke(app, ["lm", "sample", str(files / "two.yaml"), "Ada has 7 apples"])
    assert "pickle" not in res.output

"""Pretraining learns, and the pipeline resumes from its checkpoints (tiny configs)."""

from __future__ import annotations

import math

import pytest

from rlcli.errors import UsageError
from rlcli.lm import task
from rlcli.lm.pipeline import STAGES, run_pipeline
from rlcli.lm.pretrain import PretrainConfig, pretrain
from rlcli.lm.reward_model import RewardModelConfig
from rlcli.lm.rl_config import RLConfig

TINY = PretrainConfig(
    seed=0, steps=40, batch=16, lr=1e-2, d_model=16, n_layers=1, n_heads=2, eval_every=40
)


def test_pretraining_loss_falls_well_below_uniform():
    res = pretrain(TINY)
    uniform = math.log(len(task.tokenizer()))  # cross-entropy of a uniform guess
    assert res.curve[0]["loss"] == pytest.approx(uniform, rel=0.05)
    assert res.curve[-1]["loss"] < 0.6 * uniform


def test_pipeline_resumes_and_refuses_another_seed(tmp_path):
    rl = RLConfig(algo="grpo", iterations=1, prompts=2, group_size=2, eval_prompts=4)
    rm = RewardModelConfig(seed=0, steps=2, batch=4, train_pairs=20, held_out_pairs=10)
    first = run_pipeline(tmp_path, 0, rl, "verifier", False, TINY, rm)
    assert first.reused == [] and set(first.curves) == {"pretrain", "reward_model", "rl"}
    stamps = {s: (tmp_path / s).stat().st_mtime_ns for s in STAGES}
    again = run_pipeline(tmp_path, 0, rl, "verifier", False, TINY, rm)
    assert again.reused == list(STAGES)
    assert {s: (tmp_path / s).stat().st_mtime_ns for s in STAGES} == stamps  # not rewritten
    assert again.final.greedy_accuracy == first.final.greedy_accuracy
    with pytest.raises(UsageError, match="made with seed 0, not 1"):
        run_pipeline(tmp_path, 1, rl, "verifier", False, TINY, rm)

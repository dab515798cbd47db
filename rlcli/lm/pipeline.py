"""Pretrain → reward model → RL → evaluation, each stage saved and reused when present."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rlcli.errors import UsageError
from rlcli.lm import checkpoint as ckpt
from rlcli.lm import task
from rlcli.lm.evaluate import EvalResult, Policy, evaluate
from rlcli.lm.pretrain import PretrainConfig, pretrain
from rlcli.lm.reward_model import RewardModelConfig, train_reward_model
from rlcli.lm.rl import rl_train
from rlcli.lm.rl_config import RLConfig
from rlcli.lm.rollout import RewardFn, model_reward, verifier_reward

STAGES = ("base.npz", "reward-model.npz", "policy.npz")


def policy_of(ck: ckpt.Checkpoint) -> Policy:
    return Policy(ck.params, ck.config, ck.tokenizer, int(ck.info["prompt_len"]))


def reward_fn(kind: str, rm: ckpt.Checkpoint | None, policy: Policy) -> RewardFn:
    """The verifier, or the reward model's score (same vocabulary required)."""
    if kind == "verifier":
        return verifier_reward
    if rm is None:
        raise UsageError("reward: a reward model file is needed")
    if rm.vocab != policy.tok.vocab or int(rm.info["prompt_len"]) != policy.prompt_len:
        raise UsageError("reward model: its vocabulary differs from the policy's")
    return model_reward(rm.params, rm.config, policy.prompt_len)


@dataclass
class PipelineResult:
    base: EvalResult
    final: EvalResult
    curves: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    reward_model_accuracy: float | None = None


def _reuse(path: Path, kind: str, seed: int, force: bool) -> ckpt.Checkpoint | None:
    if force or not path.exists():
        return None
    ck = ckpt.load(path, kind)
    if ck.info.get("seed") != seed:
        raise UsageError(
            f"{path}: made with seed {ck.info.get('seed')}, not {seed}; use --force to redo it"
        )
    return ck


def run_pipeline(
    out_dir: Path,
    seed: int,
    rl_cfg: RLConfig,
    reward: str,
    force: bool,
    pre_cfg: PretrainConfig | None = None,
    rm_cfg: RewardModelConfig | None = None,
    log: Callable[[str, dict[str, Any]], None] | None = None,
) -> PipelineResult:
    """Run or resume every stage in ``out_dir``; same seed, same files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pre_cfg = pre_cfg or PretrainConfig(seed=seed)
    rm_cfg = rm_cfg or RewardModelConfig(seed=seed)
    curves: dict[str, list[dict[str, Any]]] = {}
    reused: list[str] = []

    def note(stage: str) -> Callable[[dict[str, Any]], None] | None:
        return None if log is None else (lambda row: log(stage, row))

    base = _reuse(out_dir / STAGES[0], "policy", seed, force)
    if base is None:
        res = pretrain(pre_cfg, note("pretrain"))
        base, curves["pretrain"] = res.checkpoint, res.curve
        ckpt.save(out_dir / STAGES[0], base)
    else:
        reused.append(STAGES[0])
    rm = _reuse(out_dir / STAGES[1], "reward-model", seed, force)
    if rm is None:
        rres = train_reward_model(base, rm_cfg, note("reward-model"))
        rm, curves["reward_model"] = rres.checkpoint, rres.curve
        ckpt.save(out_dir / STAGES[1], rm)
    else:
        reused.append(STAGES[1])
    base_policy = policy_of(base)
    final = _reuse(out_dir / STAGES[2], "policy", seed, force)
    if final is None:
        rl = rl_train(base_policy, rl_cfg, reward_fn(reward, rm, base_policy), note("rl"))
        info = {
            "stage": "rl",
            "seed": seed,
            "prompt_len": base_policy.prompt_len,
            "algo": rl_cfg.algo,
            "reward": reward,
            "rl_config": asdict(rl_cfg),
        }
        final = ckpt.Checkpoint("policy", base.config, base.vocab, rl.params, info)
        curves["rl"] = rl.history
        ckpt.save(out_dir / STAGES[2], final)
    else:
        reused.append(STAGES[2])
    held = list(task.split()[1])
    base_eval = evaluate(base_policy, held, np.random.default_rng(seed))
    final_eval = evaluate(policy_of(final), held, np.random.default_rng(seed))
    acc = rm.info.get("held_out_pairwise_accuracy")
    return PipelineResult(base_eval, final_eval, curves, reused, acc)

"""The task, tokenizer, evaluation estimators and checkpoints."""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
import pytest

from rlcli.errors import UsageError
from rlcli.lm import checkpoint as ckpt
from rlcli.lm import task
from rlcli.lm.evaluate import majority_correct, pass_at_k
from rlcli.lm.model import ModelConfig, init_params
from rlcli.lm.preferences import LENGTH_BIAS, human_score, make_pairs


def test_train_and_held_out_prompts_do_not_overlap():
    train, held = task.split()
    assert len(held) == task.HELD_OUT
    assert not {p.prompt for p in train} & {p.prompt for p in held}
    assert len(train) + len(held) == len(task.all_problems())
    assert len({p.prompt for p in task.all_problems()}) == len(task.all_problems())  # distinct


def test_answer_extraction_follows_gsm8k():
    assert task.extract_answer("7 + 5 = 12 #### 12") == 12
    assert task.extract_answer("#### 3 then #### 7") == 7  # the last ####
    assert task.extract_answer("3 - 6 = - 3 #### - 3") == -3
    assert task.extract_answer("7 + 5 = 12") is None
    p = task.Problem("x", 7, "+", 5)
    assert task.verify(p, p.solution()) == 1.0
    assert task.verify(p, p.solution(slip=True)) == 0.0  # 7 - 5 = 2
    assert p.solution(slip=True) == "7 - 5 = 2 #### 2"


def test_tokenizer_round_trip_and_unknown_words():
    tok = task.tokenizer()
    for p in task.all_problems()[::997]:
        text = f"{p.prompt} {p.solution()}"
        assert tok.decode(tok.encode(text)) == text
    ids = tok.encode("7 + 15")
    assert [tok.vocab[i] for i in ids] == ["7", "+", "1", "5"]  # digits one by one
    with pytest.raises(UsageError, match=r"'zebras' at character 11"):
        tok.encode("Ada has 7 zebras")
    with pytest.raises(UsageError, match="character 5"):
        tok.encode("Ada é")


def test_pass_at_k_matches_enumeration():
    # n = 5 samples, c = 2 correct: 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    correct = [1, 1, 0, 0, 0]
    for k in range(1, 6):
        subsets = list(combinations(correct, k))
        brute = sum(any(s) for s in subsets) / comb(5, k)
        assert pass_at_k(5, 2, k) == pytest.approx(brute)
    assert pass_at_k(4, 0, 2) == 0.0 and pass_at_k(4, 3, 2) == 1.0


def test_majority_vote():
    assert majority_correct([3, 5, 5, None], 5)
    assert not majority_correct([3, 3, 5], 5)
    assert majority_correct([5, 3], 5)  # tie: the first to appear
    assert not majority_correct([None, None], 5)


def test_labeller_rule_prefers_correct_but_rewards_length():
    tok = task.tokenizer()
    p = task.Problem("x", 7, "+", 5)
    short_right = "7 + 5 = 12 #### 12"
    long_wrong = "7 + 5 = 13 , 7 + 5 = 13 , 7 + 5 = 13 #### 13"
    # 1 + 0.1·9 = 1.9 against 0 + 0.1·22 = 2.2: the biased labeller picks the long wrong one
    assert human_score(p, short_right, tok) == pytest.approx(1 + LENGTH_BIAS * 9)
    assert human_score(p, long_wrong, tok) > human_score(p, short_right, tok)
    pairs = make_pairs(task.split()[0], 50, tok, np.random.default_rng(0))
    assert all(
        human_score(q.problem, q.chosen, tok) > human_score(q.problem, q.rejected, tok)
        for q in pairs
    )


def _ck(kind="policy"):
    tok = task.tokenizer()
    cfg = ModelConfig(len(tok), context=32, d_model=8, n_layers=1, n_heads=2)
    return ckpt.Checkpoint(
        kind,
        cfg,
        tok.vocab,
        init_params(cfg, np.random.default_rng(0)),
        {"prompt_len": 18, "seed": 0},
    )


def test_checkpoint_round_trip(tmp_path):
    ck = _ck()
    ckpt.save(tmp_path / "a.npz", ck)
    back = ckpt.load(tmp_path / "a.npz", "policy")
    assert back.config == ck.config and back.vocab == ck.vocab
    for k in ck.params:
        np.testing.assert_array_equal(back.params[k], ck.params[k])


def test_checkpoint_refusals(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(UsageError, match="not a checkpoint"):
        ckpt.load(bad)
    bad.write_bytes(b"PK\x03\x04 a truncated zip")
    with pytest.raises(UsageError, match="not a readable"):
        ckpt.load(bad)
    ckpt.save(tmp_path / "rm.npz", _ck("reward-model"))
    with pytest.raises(UsageError, match="is a reward-model, but a policy is needed"):
        ckpt.load(tmp_path / "rm.npz", "policy")
    ck = _ck()
    ck.params["h0.w_qkv"] = ck.params["h0.w_qkv"][:, :5]
    ckpt.save(tmp_path / "shape.npz", ck)
    with pytest.raises(UsageError, match=r"param/h0.w_qkv: shape \(8, 5\)"):
        ckpt.load(tmp_path / "shape.npz")
    import json

    ck = _ck()
    head = ckpt.header(ck) | {"version": 99}
    with open(tmp_path / "old.npz", "wb") as f:
        np.savez(
            f,
            __header__=np.array(json.dumps(head)),
            **{f"param/{k}": v for k, v in ck.params.items()},
        )
    with pytest.raises(UsageError, match="version 99"):
        ckpt.load(tmp_path / "old.npz")


def test_best_of_n_handles_answers_cut_at_the_context(tmp_path):
    """A policy that never emits <eos> fills the context; the reward model still scores it."""
    from rlcli.lm.evaluate import best_of_n
    from rlcli.lm.pipeline import policy_of

    ck = _ck()
    ck.params["lnf_b"][:] = 1.0  # Σ_d h_d = D, so the <eos> logit is −50·D: never sampled
    ck.params["w_head"][:, 1] = -50.0
    rm = _ck("reward-model")
    res = best_of_n(policy_of(ck), rm, list(task.split()[1][:3]), 2, np.random.default_rng(0))
    assert res == {"n": 2, "accuracy": 0.0}

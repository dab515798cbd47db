"""The language-model story of GRPO, in ``rlcli lm`` (issue 14: one story, not two).

These assertions lived in the tests of the retired ``rlcli train --task tokens`` (an MLP over
one-hot "a+b=" prompts) and are made here on the language model itself:

- the verifier rewards a completion only when it ends in the right answer (judged from the
  problem's own numbers), not an early <eos>, not an answer cut before ``####``;
- greedy accuracy is the share of greedy completions the verifier accepts;
- GRPO makes the greedy answer right: on the enumerable micro problem, exact J(θ) rises and
  the argmax completion goes from reward 0 to a rewarded one.

The group advantages and "a group of equal rewards gives no gradient" are in
tests/test_lm_rl.py (test_group_advantages_by_hand, test_groups_with_equal_rewards_contribute_
no_gradient), and for train's GRPO on the bandit and a gridworld in tests/test_train_*.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from rlcli.lm import micro, task
from rlcli.lm.evaluate import accuracy
from rlcli.lm.rl import advantages_for, loss_and_grads
from rlcli.lm.rl_config import RLConfig
from rlcli.lm.rollout import Rollout, completion_forward, verifier_reward
from rlcli.lm.sampling import completion_mask, generate


def _truth(p: task.Problem) -> int:
    """The answer from the problem's numbers, written out here (not Problem.answer)."""
    return {"+": p.a + p.b, "-": p.a - p.b}[p.op]


def test_verifier_rewards_only_a_completion_that_ends_in_the_right_answer():
    tok = task.tokenizer()
    problems = list(task.split()[1][:6])
    for p in problems:
        right = f"{p.a} {p.op} {p.b} = {_truth(p)} #### {_truth(p)}"
        wrong = f"{p.a} {p.op} {p.b} = {_truth(p) + 1} #### {_truth(p) + 1}"
        ids = {
            "right": [*tok.encode(right), tok.eos],
            "right, then tokens after <eos>": [*tok.encode(right), tok.eos, *tok.encode("#### 0")],
            "wrong": [*tok.encode(wrong), tok.eos],
            "<eos> at once": [tok.eos],
            "cut before ####": tok.encode(right)[:-2],  # the context ran out
            "a later #### overrides": [*tok.encode(f"{right} #### {_truth(p) + 2}"), tok.eos],
        }
        texts = [tok.decode(row) for row in ids.values()]
        width = max(map(len, ids.values()))
        seq = np.array([row + [tok.pad] * (width - len(row)) for row in ids.values()])
        got = verifier_reward([p] * len(ids), texts, seq, completion_mask(seq))
        assert dict(zip(ids, got.tolist(), strict=True)) == {
            "right": 1.0,
            "right, then tokens after <eos>": 1.0,
            "wrong": 0.0,
            "<eos> at once": 0.0,
            "cut before ####": 0.0,
            "a later #### overrides": 0.0,
        }, p


def test_greedy_accuracy_is_the_share_the_verifier_accepts():
    problems = list(task.split()[1][:8])
    right = [f"{p.a} {p.op} {p.b} = {_truth(p)} #### {_truth(p)}" for p in problems]
    off_by_one = [f"{p.a} {p.op} {p.b} = {_truth(p) + 1} #### {_truth(p) + 1}" for p in problems]
    # right, wrong, right, nothing, right, right, wrong, cut: 4 of 8
    completions = [right[0], off_by_one[1], right[2], "", right[4], right[5], off_by_one[6]]
    completions.append(right[7].split("####")[0])
    assert accuracy(problems, completions) == 4 / 8


C = micro.COMPLETIONS
R = (C[:, 0] == 2) * 1.0 + (C[:, 1] == 1) * 0.5  # 1[first word a] + ½·1[then <eos>]


def _greedy_by_enumeration(params, cfg) -> int:
    """Index in COMPLETIONS of the argmax-per-token completion, from the 13 exact π(y): the
    first token maximises π(y1) = Σ_y2 π(y1, y2), the second π(y1, y2) given that y1."""
    pi = np.exp(micro.sequence_logprobs(params, cfg, C))
    first = max(range(4), key=lambda y1: pi[C[:, 0] == y1].sum())
    rows = np.flatnonzero(C[:, 0] == first)
    return int(rows[np.argmax(pi[rows])])


def _greedy_decoded(params, cfg) -> list[int]:
    out = generate(params, cfg, np.array([[micro.PROMPT]]), 2, np.random.default_rng(0), 0.0)
    return out[0, : int(completion_mask(out)[0].sum())].tolist()


def test_grpo_makes_the_greedy_answer_right_on_the_micro_problem():
    cfg, params = micro.micro_model(0)
    G, lr = 8, 0.1
    rl = RLConfig(algo="grpo", kl_coef=0.0, group_size=G)
    rng = np.random.default_rng(0)
    j_before = micro.exact_objective(params, cfg, R)[0]
    before = _greedy_by_enumeration(params, cfg)
    assert R[before] == 0 and j_before < 0.2  # the random model's greedy answer earns nothing
    assert _greedy_decoded(params, cfg) == [t for t in C[before] if t != -1]
    for _ in range(150):  # one group of G samples y ~ π per step, one SGD step on GRPO's loss
        pi = np.exp(micro.sequence_logprobs(params, cfg, C))
        pick = rng.choice(len(C), G, p=pi / pi.sum())
        seq = np.concatenate([np.full((G, 1), micro.PROMPT), C[pick]], axis=1)
        mask = completion_mask(C[pick])
        logp = completion_forward(params, cfg, seq, 1, 1.0)[0]
        ro = Rollout([], seq, 1, mask, R[pick], [], logp * mask, logp * mask, None, mask, G)
        adv, w, ret = advantages_for(rl, ro, 2)
        _, grads, _ = loss_and_grads(params, cfg, rl, ro, adv, w, ret)
        params = {k: v - lr * grads[k] for k, v in params.items()}
    after = _greedy_by_enumeration(params, cfg)
    assert C[after][0] == 2 and R[after] >= 1.0  # the greedy answer now starts with "a"
    assert micro.exact_objective(params, cfg, R)[0] > j_before + 0.7
    decoded = _greedy_decoded(params, cfg)
    assert decoded == C[after][: len(decoded)].tolist() and decoded[0] == 2


@pytest.mark.parametrize("seed", [0, 1])
def test_a_group_of_equal_rewards_is_no_signal_however_far_from_optimal(seed):
    # GRPO's known stall, seen exactly: a group whose G answers all earn the same (here all
    # "c c", reward 0) has advantage 0 everywhere and moves nothing, although ∇J ≠ 0.
    cfg, params = micro.micro_model(seed)
    pick = np.full(4, int(np.flatnonzero((C[:, 0] == 0) & (C[:, 1] == 0))[0]))
    seq = np.concatenate([np.full((4, 1), micro.PROMPT), C[pick]], axis=1)
    mask = completion_mask(C[pick])
    logp = completion_forward(params, cfg, seq, 1, 1.0)[0]
    ro = Rollout([], seq, 1, mask, R[pick], [], logp * mask, logp * mask, None, mask, 4)
    rl = RLConfig(algo="grpo", kl_coef=0.0, group_size=4)
    adv, w, ret = advantages_for(rl, ro, 2)
    _, grads, _ = loss_and_grads(params, cfg, rl, ro, adv, w, ret)
    assert all(np.abs(g).max() == 0 for g in grads.values())
    exact = micro.exact_objective(params, cfg, R)[1]
    assert max(np.abs(g).max() for g in exact.values()) > 1e-3

"""Every prediction method's mean estimate converges to the exact v_π on a small random
MDP with decaying step sizes (α = 1/N(s)), including off-policy MC and batch updating."""

from __future__ import annotations

import numpy as np
import pytest

from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.mdp.model import MDP
from rlcli.mdp.solve.evaluate import evaluate_policy


def random_mdp(seed: int, live: int = 4, gamma: float = 0.8) -> MDP:
    """``live`` states with two actions each, plus one terminal state (the last)."""
    rng = np.random.default_rng(seed)
    S = live + 1
    pair_ptr = np.arange(0, 2 * live + 1, 2)
    pair_ptr = np.append(pair_ptr, pair_ptr[-1])  # the terminal state has no pairs
    nexts, probs, rewards, out_ptr = [], [], [], [0]
    for _ in range(2 * live):
        targets = rng.choice(S, size=3, replace=False)
        p = rng.dirichlet(np.ones(3))
        nexts += targets.tolist()
        probs += p.tolist()
        rewards += rng.normal(0, 1, 3).round(2).tolist()
        out_ptr.append(len(nexts))
    terminal = np.zeros(S, dtype=bool)
    terminal[-1] = True
    start = np.where(terminal, 0.0, 1.0 / live)
    return MDP(
        states=tuple(f"s{i}" for i in range(S)), actions=("a", "b"), gamma=gamma,
        terminal=terminal, pair_ptr=pair_ptr, pair_action=np.tile([0, 1], live),
        out_ptr=np.array(out_ptr), out_next=np.array(nexts), out_prob=np.array(probs),
        out_reward=np.array(rewards), start=start, name="random",
    )  # fmt: skip


SETTINGS = [
    Setting("mc", visit="every"),
    Setting("mc", visit="first"),
    Setting("td"),
    Setting("nstep", n=3),
    Setting("td-lambda", lam=0.6, variant="offline"),
    Setting("td-lambda", lam=0.6, variant="accumulating"),
    Setting("td-lambda", lam=0.6, variant="replacing"),
    Setting("td-lambda", lam=0.6, variant="true-online"),
    Setting("td", batch=True),
    Setting("mc", batch=True, visit="every"),
    Setting("mc", batch=True, visit="first"),
]


@pytest.mark.parametrize("seed", [5])
def test_every_method_converges_to_v_pi_with_decaying_step_size(seed):
    mdp = random_mdp(seed)
    pi = np.random.default_rng(seed + 100).dirichlet([1, 1], size=4).ravel()
    truth = evaluate_policy(mdp, pi).values
    runs, episodes = 20, 1000
    exp = Experiment(mdp, pi, truth, mdp.start, runs, episodes, seed, v0=0.0)
    for result in run_prediction(exp, SETTINGS):
        # per run, the error shrinks like 1/√(visits); averaged over runs, the mean of the
        # final estimates is within a few standard errors of v_π
        assert result.rms[-1] < 0.25 * result.rms[0], result.setting.label
        assert result.rms[-1] < 0.12, (result.setting.label, result.rms[-1])
        assert np.allclose(result.final_values, truth, atol=0.06), result.setting.label


@pytest.mark.parametrize("kind", ["ordinary", "weighted"])
def test_off_policy_mc_converges_to_the_target_policy_values(kind):
    mdp = random_mdp(9)
    target = np.random.default_rng(1).dirichlet([1, 1], size=4).ravel()
    behavior = np.full(mdp.n_pairs, 0.5)
    truth = evaluate_policy(mdp, target).values
    exp = Experiment(mdp, target, truth, mdp.start, 20, 3000, 4, v0=0.0, behavior=behavior)
    (result,) = run_prediction(exp, [Setting("mc", visit="every", importance=kind)])
    assert np.allclose(result.final_values, truth, atol=0.1), result.final_values - truth
    assert result.rms[-1] < 0.5 * result.rms[100]  # ≈ √(100/3000) ≈ 0.18 expected

"""Short training runs improve the return (the full solves are benchmarks, not tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rlcli.mdp.read.load import load_mdp
from rlcli.train.config import default_config
from rlcli.train.run import train

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def early_late(result):
    r = [c[1] for c in result.curve]
    k = max(1, len(r) // 5)
    return float(np.mean(r[:k])), float(np.mean(r[-k:]))


@pytest.mark.parametrize("algo", ["reinforce", "a2c", "ppo", "grpo"])
def test_bandit_return_improves_towards_best_arm(algo):
    cfg = default_config(algo, "bandit").updated(total_steps=3000, seed=1)
    result = train(algo, "bandit", cfg)
    _, late = early_late(result)
    best, uniform = result.reference_return, result.uniform_return
    # the equiprobable start earns the mean arm value; training must close most of the gap
    assert late - uniform > 0.8 * (best - uniform), (uniform, late, best)


@pytest.mark.parametrize("algo", ["a2c", "ppo"])
def test_gridworld_4x4_learns_near_optimal_return(algo):
    # S&B Fig 4.1 gridworld: v* averaged over the 14 non-terminal starts is −28/14 = −2
    mdp = load_mdp(PROBLEMS / "gridworld-4x4.yaml")
    cfg = default_config(algo, "gridworld").updated(total_steps=12_000, seed=2, gamma=1.0)
    result = train(algo, "gridworld", cfg, mdp)
    assert result.reference_return == pytest.approx(-2.0, abs=1e-9)
    early, late = early_late(result)
    assert early < -4.0  # a random walk from a uniform start takes many steps
    assert late > -2.6


def test_reinforce_with_baseline_learns_gridworld():
    mdp = load_mdp(PROBLEMS / "gridworld-4x4.yaml")
    cfg = default_config("reinforce", "gridworld").updated(
        total_steps=8000, seed=0, gamma=1.0, baseline=True
    )
    early, late = early_late(train("reinforce", "gridworld", cfg, mdp))
    assert late > early + 2.0


def test_same_seed_same_curve_different_seed_different_curve():
    cfg = default_config("ppo", "cartpole").updated(total_steps=2048, seed=4)
    a = train("ppo", "cartpole", cfg).curve
    b = train("ppo", "cartpole", cfg).curve
    c = train("ppo", "cartpole", cfg.updated(seed=5)).curve
    assert a == b and a != c

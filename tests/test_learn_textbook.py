"""MC and TD prediction against published numbers (REFERENCE.md) and exact first-episode facts.

Tolerances come from the number of runs: REFERENCE.md gives ≈ 3 standard errors for
100 runs, so a test with R runs allows that × √(100/R), plus our own 3 standard errors.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rlcli.learn.batch import BatchData, batch_mc_episode, batch_td_episode
from rlcli.learn.episodes import Episode, discounted_returns, start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.learn.rms import mean_and_stderr
from rlcli.mdp.read.load import load_mdp, loads_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def experiment(name: str, runs: int, episodes: int, v0: float, seed: int = 1) -> Experiment:
    mdp = load_mdp(PROBLEMS / name)
    pi = mdp.uniform_policy()
    n = np.arange(mdp.n_states)
    if name == "random-walk-5.yaml":  # true values 1/6 … 5/6 (S&B Example 6.2)
        truth = np.where(mdp.terminal, 0.0, n / 6)
    else:  # 19-state walk: (i − 10)/10 (S&B Fig 7.2)
        truth = np.where(mdp.terminal, 0.0, (n - 10) / 10)
    return Experiment(mdp, pi, truth, start_distribution(mdp, None), runs, episodes, seed, v0=v0)


EXAMPLE_6_2 = [  # (method, α, RMS after episode 100, ± for 100 runs)
    ("td", 0.05, 0.034, 0.005),
    ("td", 0.10, 0.056, 0.007),
    ("td", 0.15, 0.069, 0.008),
    ("mc", 0.01, 0.097, 0.007),
    ("mc", 0.02, 0.082, 0.012),
    ("mc", 0.03, 0.094, 0.014),
    ("mc", 0.04, 0.105, 0.016),
]


def test_example_6_2_rms_after_100_episodes_every_visit_mc_and_td():
    runs = 100
    exp = experiment("random-walk-5.yaml", runs, 100, v0=0.5)
    settings = [
        Setting(m, alpha=a, visit="every" if m == "mc" else None) for m, a, _, _ in EXAMPLE_6_2
    ]
    for result, (_, _, published, plus_minus) in zip(
        run_prediction(exp, settings), EXAMPLE_6_2, strict=True
    ):
        mean, se = mean_and_stderr(result.rms_runs[:, -1])
        tolerance = plus_minus * math.sqrt(100 / runs) + 3 * se
        assert abs(mean - published) <= tolerance, (result.setting.label, mean, published)


def test_example_6_2_initial_rms_is_sqrt_one_eighteenth():
    # V0 = 0.5 against 1/6..5/6: errors ±1/3, ±1/6, 0 → mean square (2/9 + 2/36)/5 = 1/18
    exp = experiment("random-walk-5.yaml", 3, 1, v0=0.5)
    (result,) = run_prediction(exp, [Setting("td", alpha=0.1)])
    assert result.rms[0] == pytest.approx(math.sqrt(1 / 18), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_example_6_2_first_episode_changes_only_the_last_state(seed):
    # S&B Example 6.2: after the first episode only V(A) (left exit: 0.5 → 0.45) or
    # V(E) (right exit: 0.5 + 0.1·(1 − 0.5) = 0.55) has changed.
    exp = experiment("random-walk-5.yaml", 1, 1, v0=0.5, seed=seed)
    (result,) = run_prediction(exp, [Setting("td", alpha=0.1)])
    v = dict(zip(exp.mdp.states, result.final_values, strict=True))
    left = {"A": 0.45, "B": 0.5, "C": 0.5, "D": 0.5, "E": 0.5}
    right = {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5, "E": 0.55}
    got = {s: round(v[s], 12) for s in "ABCDE"}
    assert got in (left, right)


def test_fig_7_2_best_cell_n4_alpha04():
    runs = 100
    exp = experiment("random-walk-19.yaml", runs, 10, v0=0.0)
    (result,) = run_prediction(exp, [Setting("nstep", alpha=0.4, n=4)])
    mean, se = mean_and_stderr(result.rms_runs[:, 1:].mean(axis=1))
    assert abs(mean - 0.26) <= 0.016 * math.sqrt(100 / runs) + 3 * se


@pytest.mark.parametrize("n", [1, 4, 512])
def test_fig_7_2_alpha_zero_leaves_rms_at_sqrt_0_3(n):
    # V = 0 against (i − 10)/10: mean square Σ_{k=-9..9} k²/100 / 19 = 570/1900 = 0.3
    exp = experiment("random-walk-19.yaml", 5, 10, v0=0.0)
    (result,) = run_prediction(exp, [Setting("nstep", alpha=0.0, n=n)])
    assert np.allclose(result.rms, math.sqrt(0.3), atol=1e-12)


def test_fig_7_2_large_alpha_large_n_is_worse_than_best_cell():
    # the figure's shape: n = 512, α = 1 is far worse (≈ 0.8) than n = 4, α = 0.4 (≈ 0.26)
    exp = experiment("random-walk-19.yaml", 30, 10, v0=0.0)
    best, worst = run_prediction(
        exp, [Setting("nstep", alpha=0.4, n=4), Setting("nstep", alpha=1.0, n=512)]
    )
    assert worst.rms[1:].mean() > 0.7 > 0.35 > best.rms[1:].mean()


# ---- S&B Example 6.4 ("You are the predictor"): batch TD vs batch MC ---------------------

PREDICTOR = """
gamma: 1
states: [A, B, end]
terminal: [end]
start: A
transitions:
  A: {go: {next: B, r: 0}}
  B: {go: [{next: end, p: 3/4, r: 1}, {next: end, p: 1/4, r: 0}]}
"""


def predictor_episode(mdp, states: list[str], rewards: list[float]) -> Episode:
    s = np.array([[mdp.state_index[x] for x in states]])
    r = np.array([rewards], dtype=float)
    T = len(rewards)
    return Episode(0, s, r, np.zeros((1, T), dtype=np.int64), np.array([T]), np.array([False]),
                   discounted_returns(r, 1.0))  # fmt: skip


def test_example_6_4_batch_td_is_certainty_equivalence_batch_mc_is_sample_mean():
    # Episodes: A,0,B,0 once; B,1 six times; B,0 once. S&B: batch TD gives V(A) = 3/4,
    # batch MC gives V(A) = 0; both give V(B) = 3/4.
    mdp = loads_mdp(PREDICTOR, "predictor.yaml")
    episodes = [predictor_episode(mdp, ["A", "B", "end"], [0, 0])]
    episodes += [predictor_episode(mdp, ["B", "end"], [1])] * 6
    episodes += [predictor_episode(mdp, ["B", "end"], [0])]
    v_td, v_mc = np.full((1, 3), 0.5), np.full((1, 3), 0.5)
    td_data, mc_data = BatchData.empty(1, 3, td=True), BatchData.empty(1, 3, td=False)
    for ep in episodes:
        batch_td_episode(v_td, ep, td_data, 0.5, 1.0, mdp.terminal)
        batch_mc_episode(v_mc, ep, mc_data, 0.5, False, mdp.terminal)
    assert v_td[0].tolist() == pytest.approx([0.75, 0.75, 0.0])
    assert v_mc[0].tolist() == pytest.approx([0.0, 0.75, 0.0])


def test_fig_6_2_right_batch_td_beats_batch_mc_on_the_random_walk():
    # S&B Fig 6.2 (right): batch TD lies below batch MC after the first few episodes
    exp = experiment("random-walk-5.yaml", 50, 60, v0=-1.0)
    td, mc = run_prediction(exp, [Setting("td", batch=True), Setting("mc", batch=True,
                                                                    visit="every")])  # fmt: skip
    assert td.rms[20:].mean() < mc.rms[20:].mean()
    assert td.rms[-1] < 0.08

"""Batch TD(0) and batch MC (S&B §6.3) with γ < 1 and revisits (FrozenLake, γ = 0.99),
every run's curve against the definitions written here on the very same episodes: batch TD
is the solution of V = r̂ + γP̂V of the counted transitions so far (unvisited states keep V0),
batch MC the mean of the discounted returns observed from each state (first or every
visit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rlcli.learn.episodes import iter_episodes, start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def rms(V, truth, terminal):
    return np.sqrt(np.mean((V[~terminal] - truth[~terminal]) ** 2))


def batch_curve(mdp, episodes, run, method, first_visit, v0, truth):
    S, g = mdp.n_states, mdp.gamma
    V = np.where(mdp.terminal, 0.0, v0)
    curve = [rms(V, truth, mdp.terminal)]
    N, Rsum, C = np.zeros(S), np.zeros(S), np.zeros((S, S))
    returns: list[list[float]] = [[] for _ in range(S)]
    for ep in episodes:
        T = int(ep.length[run])
        states, rewards = ep.states[run], ep.rewards[run]
        G, Gs = 0.0, [0.0] * T
        for t in range(T - 1, -1, -1):
            G = g * G + rewards[t]
            Gs[t] = G
        for t in range(T):
            s = int(states[t])
            N[s] += 1
            Rsum[s] += rewards[t]
            C[s, states[t + 1]] += 1
            if not (first_visit and s in states[:t].tolist()):
                returns[s].append(Gs[t])
        seen = N > 0
        if method == "td":  # rows of unseen states: V(s) = V0 (terminal: 0)
            A, b = np.eye(S), np.where(mdp.terminal, 0.0, v0)
            A[seen] -= g * C[seen] / N[seen, None]
            b[seen] = Rsum[seen] / N[seen]
            V = np.linalg.solve(A, b)
        else:
            V = np.array([np.mean(r) if r else (0.0 if mdp.terminal[s] else v0)
                          for s, r in enumerate(returns)])  # fmt: skip
        curve.append(rms(V, truth, mdp.terminal))
    return V, np.array(curve)


@pytest.mark.parametrize(("method", "visit"), [("td", None), ("mc", "every"), ("mc", "first")])
def test_discounted_batch_learners_match_their_definitions(method, visit):
    mdp = load_mdp(PROBLEMS / "frozenlake-4x4.yaml")
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    exp = Experiment(mdp, pi, truth, start_distribution(mdp, None), 3, 15, 4, v0=0.5)
    setting = Setting(method, batch=True, visit=visit, init=-0.25)
    (result,) = run_prediction(exp, [setting])
    episodes = list(iter_episodes(mdp, pi, exp.start, exp.runs, exp.episodes, exp.seed,
                                  exp.max_steps))  # fmt: skip
    finals = []
    for run in range(exp.runs):
        V, curve = batch_curve(mdp, episodes, run, method, visit == "first", -0.25, truth)
        np.testing.assert_allclose(result.rms_runs[run], curve, rtol=0, atol=1e-10)
        finals.append(V)
    np.testing.assert_allclose(result.final_values, np.mean(finals, axis=0), atol=1e-10)

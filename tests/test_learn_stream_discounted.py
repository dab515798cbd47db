"""The run-stream learners (``rlcli.learn.stream``) on settings ``test_learn_stream`` does not
reach: Monte Carlo with γ < 1 (discounted returns) on a file whose episodes revisit states
(FrozenLake: a slip against a wall stays put), sample averages 1/N(s) and first visits with
the stream split over many chunks, TD(0) and MC rows in one pass with their own V0, and
TD(0) with γ < 1 where --max-steps cuts episodes of a continuing task. Each is checked row by
row against a plain S&B loop written here, on the very same episodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import rms

from rlcli.learn import episodes as episodes_module
from rlcli.learn import predict
from rlcli.learn.episodes import iter_episodes, start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def plain_loop(mdp, episodes, run, setting, v0, truth):
    """One run of the book's boxed algorithms, after each episode the RMS error:
    TD(0) (S&B §6.1) V(S) += α[R + γV(S') − V(S)] as each step happens; MC (S&B §5.1, every
    visit without the 'unless' test) G ← γG + R_{t+1} backwards, then V(S_t) += α[G_t − V(S_t)]
    in time order. α None: 1/N(S_t), N counting this update."""
    V = np.where(mdp.terminal, 0.0, v0)
    N = np.zeros(mdp.n_states)
    curve = [rms(V, truth, mdp.terminal)]
    for ep in episodes:
        T = int(ep.length[run])
        states, rewards = ep.states[run], ep.rewards[run]
        if setting.method == "td":
            updates = [(t, None) for t in range(T)]
        else:
            G, returns = 0.0, [0.0] * T
            for t in range(T - 1, -1, -1):
                G = mdp.gamma * G + rewards[t]
                returns[t] = G
            seen: set[int] = set()
            updates = []
            for t in range(T):
                if setting.visit == "first" and states[t] in seen:
                    continue
                seen.add(states[t])
                updates.append((t, returns[t]))
        for t, G in updates:
            s = states[t]
            target = rewards[t] + mdp.gamma * V[states[t + 1]] if G is None else G
            N[s] += 1
            step = 1.0 / N[s] if setting.alpha is None else setting.alpha
            V[s] += step * (target - V[s])
        curve.append(rms(V, truth, mdp.terminal))
    return V, np.array(curve)


def experiment(name, runs, count, seed, max_steps=100_000, start=None):
    mdp = load_mdp(PROBLEMS / name)
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    dist = start_distribution(mdp, start)
    return Experiment(mdp, pi, truth, dist, runs, count, seed, v0=0.2, max_steps=max_steps)


def check(exp, settings):
    """Every row, every episode's RMS and the final values against ``plain_loop``; returns
    the episodes."""
    mdp = exp.mdp
    episodes = list(iter_episodes(mdp, exp.pi, exp.start, exp.runs, exp.episodes, exp.seed,
                                  exp.max_steps))  # fmt: skip
    for setting, result in zip(settings, run_prediction(exp, settings), strict=True):
        finals = []
        for run in range(exp.runs):
            V, curve = plain_loop(mdp, episodes, run, setting, setting.v0(exp.v0),
                                  exp.true_values)  # fmt: skip
            np.testing.assert_allclose(result.rms_runs[run], curve, rtol=0, atol=1e-12)
            finals.append(V)
        np.testing.assert_allclose(result.final_values, np.mean(finals, axis=0), atol=1e-12)
    return episodes


def revisits(episodes, runs):
    """Episodes (of all runs) in which some state occurs twice."""
    return sum(
        len(set(ep.states[r, : ep.length[r]].tolist())) < int(ep.length[r])
        for ep in episodes for r in range(runs)
    )  # fmt: skip


@pytest.mark.parametrize("visit", ["every", "first"])
def test_discounted_mc_with_revisits_streams_as_the_boxed_loop(monkeypatch, visit):
    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 1)  # stream every MC family
    exp = experiment("frozenlake-4x4.yaml", 3, 25, 7)
    assert exp.mdp.gamma == pytest.approx(0.99)
    settings = [Setting("mc", alpha=a, visit=visit) for a in (None, 0.05, 0.5)]
    episodes = check(exp, settings)
    assert revisits(episodes, exp.runs) > 20  # the first/every-visit difference is exercised


def test_sample_average_first_visit_mc_over_many_chunks_hands_over_counts(monkeypatch):
    monkeypatch.setattr(episodes_module, "ROWS_PER_CHUNK", 5)  # 2 episodes of 2 runs a chunk
    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 1)
    exp = experiment("frozenlake-4x4.yaml", 2, 13, 3)
    check(exp, [Setting("mc", alpha=None, visit="first"), Setting("mc", alpha=None)])


def test_discounted_td_and_mc_rows_share_one_pass_with_their_own_v0(monkeypatch):
    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 1)
    exp = experiment("frozenlake-4x4.yaml", 3, 20, 11)
    settings = [
        Setting("td", alpha=None, init=0.7),
        Setting("mc", alpha=0.1, visit="first"),
        Setting("mc", alpha=None, visit="every", init=-0.4),
        Setting("td", alpha=0.3),
    ]
    assert len(predict.passes_of(settings, exp.runs)) == 1  # one stream pass for all four
    check(exp, settings)


def test_discounted_td_bootstraps_where_max_steps_cuts_a_continuing_task():
    # gridworld 5x5: γ = 9/10, no terminal state: every episode ends at max_steps, and the
    # next episode of the run starts over from the start state in the same stream
    exp = experiment("gridworld-5x5.yaml", 3, 8, 5, max_steps=13, start="r2c2")
    episodes = check(exp, [Setting("td", alpha=a) for a in (None, 0.1, 0.6)])
    assert all(ep.cut.all() for ep in episodes)

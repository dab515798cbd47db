"""TD(0) and on-policy MC learned from each run's episodes as one stream of steps
(``rlcli.learn.stream``) against plain per-run loops of the book's boxed algorithms on the
very same episodes: every row, every episode's RMS error, every final value. Covers several
step sizes at once, 1/N(s), first and every visit, episodes cut by max_steps, empty episodes
(a terminal start state), streams split over many chunks, and the watched error state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import mc_reference, rms

from rlcli.learn import episodes as episodes_module
from rlcli.learn import predict
from rlcli.learn.episodes import iter_episodes, start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def td0_reference(mdp, episodes, run, alpha, v0, truth, watch):
    """S&B §6.1 boxed tabular TD(0), one run; α None: 1/N(S_t) counting this update."""
    V = np.where(mdp.terminal, 0.0, v0)
    N = np.zeros(mdp.n_states)
    curve, watched = [rms(V, truth, mdp.terminal)], [V[watch]]
    for ep in episodes:
        for t in range(int(ep.length[run])):
            s, s2 = ep.states[run, t], ep.states[run, t + 1]
            N[s] += 1
            step = 1.0 / N[s] if alpha is None else alpha
            V[s] += step * (ep.rewards[run, t] + mdp.gamma * V[s2] - V[s])
        curve.append(rms(V, truth, mdp.terminal))
        watched.append(V[watch])
    return V, np.array(curve), np.array(watched)


def check(exp, settings, reference, **kw):
    """Every row of every setting against ``reference`` on the same episodes."""
    mdp, truth = exp.mdp, exp.true_values
    episodes = list(iter_episodes(mdp, exp.pi, exp.start, exp.runs, exp.episodes, exp.seed,
                                  exp.max_steps))  # fmt: skip
    results = run_prediction(exp, settings)
    for setting, result in zip(settings, results, strict=True):
        finals = []
        for run in range(exp.runs):
            V, curve, watched = reference(mdp, episodes, run, setting.alpha, v0=exp.v0,
                                          truth=truth, watch=exp.error_state, **kw)  # fmt: skip
            np.testing.assert_allclose(result.rms_runs[run], curve, rtol=0, atol=1e-12)
            np.testing.assert_allclose(result.state_runs[run], watched, rtol=0, atol=1e-12)
            finals.append(V)
        np.testing.assert_allclose(result.final_values, np.mean(finals, axis=0), atol=1e-12)
    return episodes


def experiment(name, runs, count, seed, start=None, max_steps=100_000):
    mdp = load_mdp(PROBLEMS / name)
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    dist = start_distribution(mdp, None) if start is None else start(mdp)
    return Experiment(mdp, pi, truth, dist, runs, count, seed, v0=0.3, max_steps=max_steps,
                      error_state=int(np.flatnonzero(~mdp.terminal)[1]))  # fmt: skip


def test_td0_streams_match_the_boxed_algorithm_per_run():
    exp = experiment("random-walk-19.yaml", 5, 12, 4)  # long episodes of different lengths
    check(exp, [Setting("td", alpha=a) for a in (None, 0.05, 0.2, 1.0)], td0_reference)


def test_td0_bootstraps_where_max_steps_cuts_an_episode():
    exp = experiment("random-walk-19.yaml", 4, 10, 2, max_steps=7)
    episodes = check(exp, [Setting("td", alpha=a) for a in (None, 0.1, 0.5)], td0_reference)
    assert sum(int(ep.cut.sum()) for ep in episodes) > 10  # most episodes were cut


def test_empty_episodes_from_a_terminal_start_leave_the_values_as_they_were(monkeypatch):
    def start(mdp):  # episodes start in C or, 40 % of the time, in the terminal left end
        dist = np.zeros(mdp.n_states)
        dist[mdp.state_index["C"]], dist[mdp.state_index["left_end"]] = 0.6, 0.4
        return dist

    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 1)
    exp = experiment("random-walk-5.yaml", 4, 15, 8, start=start)
    episodes = check(exp, [Setting("td", alpha=0.1), Setting("td", alpha=None)], td0_reference)
    assert sum(int((ep.length == 0).sum()) for ep in episodes) > 5
    check(exp, [Setting("mc", alpha=0.1, visit="every")], mc_reference, first_visit=False)


@pytest.mark.parametrize("first_visit", [True, False])
def test_mc_streams_match_the_boxed_algorithm_per_run(monkeypatch, first_visit):
    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 1)  # stream every MC family
    exp = experiment("random-walk-5.yaml", 4, 60, 21)  # states repeat within an episode
    visit = "first" if first_visit else "every"
    check(exp, [Setting("mc", alpha=a, visit=visit) for a in (None, 0.05, 0.3)], mc_reference,
          first_visit=first_visit)  # fmt: skip


def test_streams_split_over_many_chunks_hand_over_values_and_counts(monkeypatch):
    monkeypatch.setattr(episodes_module, "ROWS_PER_CHUNK", 7)  # 2 episodes of 3 runs a chunk
    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 1)
    exp = experiment("random-walk-5.yaml", 3, 11, 5)
    check(exp, [Setting("td", alpha=None), Setting("td", alpha=0.2)], td0_reference)
    check(exp, [Setting("mc", alpha=None, visit="first")], mc_reference, first_visit=True)


def test_many_rows_stream_mc_and_give_the_numbers_of_whole_chunks(monkeypatch):
    exp = experiment("random-walk-5.yaml", 60, 30, 9)
    settings = [Setting("mc", alpha=a, visit="every") for a in (0.01, 0.05, 0.1, 0.2, 0.4)]
    assert len(settings) * exp.runs >= predict.STREAM_MC_ROWS  # 300 rows: streamed
    calls = []
    stream_chunk = predict.stream_chunk
    monkeypatch.setattr(predict, "stream_chunk", lambda *a, **k: calls.append(1)
                        or stream_chunk(*a, **k))  # fmt: skip
    streamed = run_prediction(exp, settings)
    assert calls
    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 10**9)
    calls.clear()
    chunked = run_prediction(exp, settings)
    assert not calls
    for a, b in zip(streamed, chunked, strict=True):
        np.testing.assert_allclose(a.rms_runs, b.rms_runs, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.state_runs, b.state_runs, rtol=0, atol=1e-12)


def test_td0_discounts_the_bootstrap_on_a_continuing_task():
    # recycling robot: γ = 9/10, no terminal state, so every episode is cut at max_steps
    # and its last update bootstraps from γV(S_T)
    exp = experiment("recycling-robot.yaml", 3, 9, 6, max_steps=6)
    assert exp.mdp.gamma == pytest.approx(0.9)
    check(exp, [Setting("td", alpha=a) for a in (None, 0.3)], td0_reference)


def test_td_and_mc_rows_learn_in_one_pass_as_in_their_own(monkeypatch):
    # one stream pass holds TD(0), every-visit and first-visit MC rows with their own V0
    monkeypatch.setattr(predict, "STREAM_MC_ROWS", 1)
    exp = experiment("random-walk-5.yaml", 4, 25, 13)
    settings = [Setting("mc", alpha=0.1, visit="first", init=-0.5), Setting("td", alpha=0.1),
                Setting("mc", alpha=None, visit="every", init=1.0),
                Setting("td", alpha=None, init=0.25)]  # fmt: skip
    assert len(predict.passes_of(settings, exp.runs)) == 1
    episodes = list(iter_episodes(exp.mdp, exp.pi, exp.start, exp.runs, exp.episodes, exp.seed,
                                  exp.max_steps))  # fmt: skip
    for setting, result in zip(settings, run_prediction(exp, settings), strict=True):
        v0 = setting.v0(exp.v0)
        for run in range(exp.runs):
            if setting.method == "td":
                _, curve, _ = td0_reference(exp.mdp, episodes, run, setting.alpha, v0,
                                            exp.true_values, exp.error_state)  # fmt: skip
            else:
                _, curve, _ = mc_reference(exp.mdp, episodes, run, setting.alpha,
                                           setting.visit == "first", v0, exp.true_values,
                                           exp.error_state)  # fmt: skip
            np.testing.assert_allclose(result.rms_runs[run], curve, rtol=0, atol=1e-12)

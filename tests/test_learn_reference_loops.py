"""The vectorised learners against plain per-run loops written from the book's boxed
algorithms (S&B §5.1 first/every-visit MC, §5.5 importance sampling, §7.1 n-step TD, §12.5
true online TD(λ); §6.4–6.5 are in control tests),
on the very same episodes: every row of the sweep must match its run exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import mc_reference, rms

from rlcli.learn.episodes import iter_episodes, start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
RUNS, EPISODES, SEED = 4, 6, 21


def setup(name: str):
    mdp = load_mdp(PROBLEMS / name)
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    exp = Experiment(mdp, pi, truth, start_distribution(mdp, None), RUNS, EPISODES, SEED, v0=0.2)
    episodes = list(iter_episodes(mdp, pi, exp.start, RUNS, EPISODES, SEED, exp.max_steps))
    return mdp, exp, episodes


def nstep_reference(mdp, episodes, run, n, alpha, v0, truth):
    """S&B §7.1 boxed algorithm, literally: τ = t − n + 1, loop until τ = T − 1."""
    gamma = mdp.gamma
    V = np.where(mdp.terminal, 0.0, v0)
    curve = [rms(V, truth, mdp.terminal)]
    for ep in episodes:
        T = int(ep.length[run])
        S, R = ep.states[run], np.concatenate(([0.0], ep.rewards[run]))  # R[t] = R_t
        t = 0
        while True:
            tau = t - n + 1
            if tau >= 0:
                G = sum(gamma ** (i - tau - 1) * R[i] for i in range(tau + 1, min(tau + n, T) + 1))
                if tau + n < T:
                    G += gamma**n * V[S[tau + n]]
                V[S[tau]] += alpha * (G - V[S[tau]])
            if tau == T - 1:
                break
            t += 1
        curve.append(rms(V, truth, mdp.terminal))
    return np.array(curve)


def true_online_reference(mdp, episodes, run, lam, alpha, v0, truth):
    """S&B §12.5 boxed algorithm with one-hot features x(s)."""
    gamma, S_n = mdp.gamma, mdp.n_states
    w = np.where(mdp.terminal, 0.0, v0)
    curve = [rms(w, truth, mdp.terminal)]
    for ep in episodes:
        T = int(ep.length[run])
        x = np.eye(S_n)[ep.states[run, 0]]
        z, v_old = np.zeros(S_n), 0.0
        for t in range(T):
            s_next = ep.states[run, t + 1]
            x_next = np.zeros(S_n) if mdp.terminal[s_next] else np.eye(S_n)[s_next]
            v, v_next = w @ x, w @ x_next
            delta = ep.rewards[run, t] + gamma * v_next - v
            z = gamma * lam * z + (1 - alpha * gamma * lam * (z @ x)) * x
            w = w + alpha * (delta + v - v_old) * z - alpha * (v - v_old) * x
            v_old, x = v_next, x_next
        curve.append(rms(w, truth, mdp.terminal))
    return np.array(curve)


@pytest.mark.parametrize("name", ["random-walk-19.yaml", "student-mdp.yaml"])
def test_vectorised_nstep_matches_the_boxed_algorithm_per_run(name):
    mdp, exp, episodes = setup(name)
    grid = [(n, a) for n in (1, 3, 8) for a in (0.1, 0.5)]
    results = run_prediction(exp, [Setting("nstep", alpha=a, n=n) for n, a in grid])
    for (n, a), result in zip(grid, results, strict=True):
        for run in range(RUNS):
            expected = nstep_reference(mdp, episodes, run, n, a, exp.v0, exp.true_values)
            assert np.allclose(result.rms_runs[run], expected, atol=1e-10), (n, a, run)


def test_vectorised_true_online_matches_the_boxed_algorithm_per_run():
    mdp, exp, episodes = setup("random-walk-19.yaml")
    grid = [(lam, a) for lam in (0.5, 0.9) for a in (0.2, 0.6)]
    results = run_prediction(
        exp, [Setting("td-lambda", alpha=a, lam=lam, variant="true-online") for lam, a in grid]
    )
    for (lam, a), result in zip(grid, results, strict=True):
        for run in range(RUNS):
            expected = true_online_reference(mdp, episodes, run, lam, a, exp.v0, exp.true_values)
            assert np.allclose(result.rms_runs[run], expected, atol=1e-10), (lam, a, run)


def traces_reference(mdp, episodes, run, lam, alpha, v0, truth, replacing):
    """S&B §12.2 boxed semi-gradient TD(λ), tabular: z ← γλz + x (or z(S) = 1); w += αδz."""
    gamma = mdp.gamma
    w = np.where(mdp.terminal, 0.0, v0)
    curve = [rms(w, truth, mdp.terminal)]
    for ep in episodes:
        z = np.zeros(mdp.n_states)
        for t in range(int(ep.length[run])):
            s, s_next = ep.states[run, t], ep.states[run, t + 1]
            z *= gamma * lam
            z[s] = 1.0 if replacing else z[s] + 1.0
            delta = ep.rewards[run, t] + gamma * w[s_next] - w[s]
            w = w + alpha * delta * z
        curve.append(rms(w, truth, mdp.terminal))
    return np.array(curve)


@pytest.mark.parametrize("variant", ["accumulating", "replacing"])
def test_vectorised_traces_match_the_boxed_algorithm_per_run(variant):
    mdp, exp, episodes = setup("random-walk-19.yaml")
    grid = [(lam, a) for lam in (0.4, 0.95) for a in (0.1, 0.5)]
    results = run_prediction(
        exp, [Setting("td-lambda", alpha=a, lam=lam, variant=variant) for lam, a in grid]
    )
    for (lam, a), result in zip(grid, results, strict=True):
        for run in range(RUNS):
            expected = traces_reference(
                mdp, episodes, run, lam, a, exp.v0, exp.true_values, variant == "replacing"
            )
            assert np.allclose(result.rms_runs[run], expected, atol=1e-10), (lam, a, run)


# ---- Monte Carlo and importance sampling: learned a chunk of episodes at a time ----------------
# RUNS = 4 and 1500 episodes span two chunks of generated episodes (1024 per run each), so the
# hand-over of values, visit counts and IS sums between chunks is checked too.


@pytest.mark.parametrize("first_visit", [True, False])
def test_chunked_mc_matches_the_boxed_algorithm_per_run(first_visit):
    mdp = load_mdp(PROBLEMS / "random-walk-5.yaml")  # states repeat within an episode
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    exp = Experiment(mdp, pi, truth, start_distribution(mdp, None), RUNS, 1500, SEED, v0=0.2)
    episodes = list(iter_episodes(mdp, pi, exp.start, RUNS, 1500, SEED, exp.max_steps))
    visit = "first" if first_visit else "every"
    alphas = [None, 0.05, 0.3]
    results = run_prediction(exp, [Setting("mc", alpha=a, visit=visit) for a in alphas])
    for a, result in zip(alphas, results, strict=True):
        finals = []
        for run in range(RUNS):
            V, expected, _ = mc_reference(mdp, episodes, run, a, first_visit, exp.v0, truth)
            assert np.allclose(result.rms_runs[run], expected, atol=1e-12), (a, run)
            finals.append(V)
        assert np.allclose(result.final_values, np.mean(finals, axis=0), atol=1e-12), a


def importance_reference(mdp, episodes, run, ratio, weighted, first_visit, v0, s_watch):
    """S&B §5.5 eqs. 5.5 / 5.6 from running sums: V(s) = Σ ρG / N(s) (ordinary) or
    Σ ρG / Σ ρ (weighted) over the visits so far, V0 while the denominator is 0; returns
    V(s_watch) after every episode and the final V."""
    S = mdp.n_states
    top, rho_sum, n = np.zeros(S), np.zeros(S), np.zeros(S)
    V = np.where(mdp.terminal, 0.0, v0)
    watched = [V[s_watch]]
    for ep in episodes:
        T = int(ep.length[run])
        states, rewards, pairs = ep.states[run], ep.rewards[run], ep.pairs[run]
        G, rho = 0.0, 1.0
        seen_later = []
        for t in range(T - 1, -1, -1):
            G = mdp.gamma * G + rewards[t]
            rho *= ratio[pairs[t]]
            seen_later.append((t, G, rho))
        for t, G, rho in reversed(seen_later):  # forward in time
            s = states[t]
            if first_visit and s in states[:t]:
                continue
            top[s] += rho * G
            rho_sum[s] += rho
            n[s] += 1
            d = rho_sum[s] if weighted else n[s]
            V[s] = top[s] / d if d > 0 else v0
        watched.append(V[s_watch])
    return V, np.array(watched)


@pytest.mark.parametrize("first_visit", [True, False])
def test_chunked_importance_sampling_matches_running_sums_per_run(first_visit):
    from rlcli.learn.offpolicy import ratios
    from rlcli.mdp.policy import resolve_policy

    mdp = load_mdp(PROBLEMS / "student-mdp.yaml")  # Class states repeat within an episode
    target = resolve_policy(mdp, "Facebook=quit,Class1=study,Class2=study,Class3=study")
    b = mdp.uniform_policy()
    truth = evaluate_policy(mdp, target).values
    watch = mdp.state_index["Class1"]
    exp = Experiment(mdp, target, truth, start_distribution(mdp, None), RUNS, 1500, SEED,
                     v0=-1.0, behavior=b, error_state=watch)  # fmt: skip
    episodes = list(iter_episodes(mdp, b, exp.start, RUNS, 1500, SEED, exp.max_steps))
    visit = "first" if first_visit else "every"
    kinds = ("ordinary", "weighted")
    results = run_prediction(exp, [Setting("mc", visit=visit, importance=k) for k in kinds])
    ratio = ratios(mdp, target, b)
    for kind, result in zip(kinds, results, strict=True):
        finals = []
        for run in range(RUNS):
            V, watched = importance_reference(
                mdp, episodes, run, ratio, kind == "weighted", first_visit, exp.v0, watch
            )
            assert np.allclose(result.state_runs[run], watched, atol=1e-12), (kind, run)
            finals.append(V)
        assert np.allclose(result.final_values, np.mean(finals, axis=0), atol=1e-12), kind


def test_a_chunk_learned_in_parts_gives_the_same_estimates(monkeypatch):
    # A sweep whose chunk holds more than MAX_UPDATES updates is learned a few episodes at a
    # time; 37 updates forces parts of one to a few episodes, with keys updated across parts.
    import rlcli.learn.predict as predict

    mdp = load_mdp(PROBLEMS / "random-walk-5.yaml")
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    exp = Experiment(mdp, pi, truth, start_distribution(mdp, None), RUNS, 300, SEED, v0=0.2,
                     error_state=mdp.state_index["C"])  # fmt: skip
    settings = [Setting("mc", alpha=a, visit="every") for a in (None, 0.1)]
    whole = run_prediction(exp, settings)
    monkeypatch.setattr(predict, "MAX_UPDATES", 37)
    parts = run_prediction(exp, settings)
    for a, b in zip(whole, parts, strict=True):
        assert np.allclose(a.final_values, b.final_values, rtol=0, atol=1e-12)
        assert np.allclose(a.state_runs, b.state_runs, rtol=0, atol=1e-12)
        assert np.allclose(a.rms_runs, b.rms_runs, rtol=0, atol=1e-12)

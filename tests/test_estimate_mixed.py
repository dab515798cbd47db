"""One ``rlcli estimate`` call mixing online and batch learners, each with its own V0
(S&B Example 6.2 with V0 = 0.5 and Fig 6.2 right with V0 = −1 in one process).

Guaranteed: the episodes depend only on (seed, runs, episodes, policy, start, max steps), and
each learner learns from them independently of the others, so the mixed call reports exactly
the numbers of the two separate calls (the same floats, not merely close ones)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.learn.episodes import iter_episodes, start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
WALK = ["random-walk-5", "-p", "uniform", "--runs", "6", "--episodes", "8", "--seed", "3"]


def run(*args: str):
    return CliRunner().invoke(app, ["estimate", *WALK, *args])


def run_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_one_mixed_call_reports_the_numbers_of_the_two_separate_calls():
    online = run_json("--method", "td,mc", "--alpha", "0.05,0.1", "--init", "0.5")
    batch = run_json("--method", "td,mc", "--batch", "--init", "-1")
    mixed = run_json("--method", "td,mc,batch-td,batch-mc", "--alpha", "0.05,0.1",
                     "--init", "0.5,batch=-1")  # fmt: skip
    separate = online["results"] + batch["results"]
    assert [(r["method"], r.get("alpha"), r.get("batch", False), r["init"])
            for r in mixed["results"]] == [
        ("td", 0.05, False, 0.5), ("td", 0.1, False, 0.5), ("mc", 0.05, False, 0.5),
        ("mc", 0.1, False, 0.5), ("td", None, True, -1.0), ("mc", None, True, -1.0),
    ]  # fmt: skip
    for m, s in zip(mixed["results"], separate, strict=True):
        assert m["rms"] == s["rms"]  # identical floats
        assert m["final_values"] == s["final_values"]
        assert m["label"] == s["label"] + f" V0={m['init']:g}"
        assert "init" not in s  # one V0 for all: the results are as before
    assert mixed["init"] == 0.5 and online["init"] == 0.5 and batch["init"] == -1


def test_the_batch_flag_and_the_batch_method_names_are_the_same_learners():
    flag = run_json("--method", "td,mc", "--batch", "--init", "-1")
    names = run_json("--method", "batch-td,batch-mc", "--init", "-1")
    assert flag["results"] == names["results"]


def test_a_method_key_overrides_the_batch_key_and_the_default():
    doc = run_json("--method", "td,batch-td,batch-mc", "--alpha", "0.1",
                   "--init", "batch-mc=2,batch=-1,0.25")  # fmt: skip
    assert [r["init"] for r in doc["results"]] == [0.25, -1.0, 2.0]
    # RMS before learning, V0 everywhere against v_π = 1/6 … 5/6:
    # √(Σ_k (V0 − k/6)² / 5)
    for r in doc["results"]:
        expected = np.sqrt(np.mean([(r["init"] - k / 6) ** 2 for k in range(1, 6)]))
        assert r["rms"][0] == pytest.approx(expected, abs=1e-12)


def test_the_text_output_compares_the_batch_learners_beside_the_alpha_table():
    alphas = "0.01,0.02,0.03,0.04,0.05,0.1,0.15"
    result = run("--method", "td,mc,batch-td,batch-mc", "--alpha", alphas,
                 "--init", "0.5,batch=-1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "V0 = 0.5, batch=-1" in result.output
    assert "learner \\ α" in result.output  # the α table of the 14 online learners
    comparison = result.output.split("comparison")[1]  # the batch learners' own table
    assert "batch TD(0) V0=-1" in comparison and "batch every-visit" in comparison
    assert "1.5184" in comparison  # RMS at start: √(Σ_k (−1 − k/6)² / 5) = 1.51840...


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--init", "0.5,nstep=1", "--method", "td"], "--init: nstep=1 names no learner"),
        (["--init", "0.5,batch=-1", "--method", "td"], "--init: batch=-1 names no learner"),
        (["--init", "0.5,foo=1"], "--init: 'foo=1': 'foo' is not a method"),
        (["--init", "0.5,1"], "--init: the default V0 is given twice"),
        (["--init", "td=1,td=2"], "--init: td is given twice"),
        (["--init", "td=x"], "--init: 'x' is not a number"),
        (["--init", "0.5,td=nan"], "--init: 'nan' is not a number"),
        (["--init", "0.5,td=1e400"], "--init must be a finite number, got 1e400"),
        (["--method", "batch-td", "--alpha", "0.1"], "--alpha applies to online learners"),
        (["--method", "batch-td,mc", "--behavior", "uniform"], "--behavior"),
        (["--method", "nstep,batch-td", "--batch"], "--batch works with --method td and mc"),
        (["--method", "batch-td", "--visit", "first"], "--visit applies to --method mc"),
    ],
)
def test_bad_combinations_exit_2_naming_the_option(args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


# ---- per-learner V0 against plain loops on the very same episodes ------------------------


def td0_reference(mdp, episodes, run, alpha, v0, truth):
    """S&B §6.1 boxed tabular TD(0), one run, RMS after each episode."""
    V = np.where(mdp.terminal, 0.0, v0)
    live = ~mdp.terminal
    curve = [np.sqrt(np.mean((V[live] - truth[live]) ** 2))]
    for ep in episodes:
        for t in range(int(ep.length[run])):
            s, s2 = ep.states[run, t], ep.states[run, t + 1]
            V[s] += alpha * (ep.rewards[run, t] + mdp.gamma * V[s2] - V[s])
        curve.append(np.sqrt(np.mean((V[live] - truth[live]) ** 2)))
    return np.array(curve)


def batch_references(mdp, episodes, run, v0):
    """Batch updating by its definition (S&B §6.3), per episode seen: batch MC is the mean
    of the every-visit returns per state; batch TD repeats sweeps of the mean TD target over
    all transitions seen, V(s) ← mean[r + γV(s')], until nothing changes (an iteration, not
    the linear solve the library uses). States not visited yet keep V0."""
    td_values, mc_values = [], []
    transitions: list[tuple[int, float, int]] = []
    returns: dict[int, list[float]] = {}
    for ep in episodes:
        T = int(ep.length[run])
        G = 0.0
        for t in reversed(range(T)):
            G = ep.rewards[run, t] + mdp.gamma * G
            returns.setdefault(int(ep.states[run, t]), []).append(G)
            transitions.append((int(ep.states[run, t]), float(ep.rewards[run, t]),
                                int(ep.states[run, t + 1])))  # fmt: skip
        mc = np.where(mdp.terminal, 0.0, v0)
        for s, gs in returns.items():
            mc[s] = np.mean(gs)
        td = np.where(mdp.terminal, 0.0, v0)
        for _ in range(100_000):
            sums = {s: [] for s, _, _ in transitions}
            for s, r, s2 in transitions:
                sums[s].append(r + mdp.gamma * td[s2])
            new = td.copy()
            for s, targets in sums.items():
                new[s] = np.mean(targets)
            if np.max(np.abs(new - td)) < 1e-14:
                break
            td = new
        td_values.append(new)
        mc_values.append(mc)
    return np.array(td_values), np.array(mc_values)


def test_each_learner_starts_from_its_own_v0_as_plain_loops_do():
    mdp = load_mdp(PROBLEMS / "random-walk-5.yaml")
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    runs, count, seed = 3, 6, 11
    exp = Experiment(mdp, pi, truth, start_distribution(mdp, None), runs, count, seed, v0=0.0)
    settings = [Setting("td", alpha=0.1, init=0.5), Setting("td", batch=True, init=-1.0),
                Setting("mc", batch=True, visit="every", init=-1.0)]  # fmt: skip
    td, batch_td, batch_mc = run_prediction(exp, settings)
    episodes = list(iter_episodes(mdp, pi, exp.start, runs, count, seed, exp.max_steps))
    finals_btd, finals_bmc, unvisited = [], [], 0
    live = ~mdp.terminal
    for run in range(runs):
        curve = td0_reference(mdp, episodes, run, 0.1, 0.5, truth)
        np.testing.assert_allclose(td.rms_runs[run], curve, rtol=0, atol=1e-12)
        btd, bmc = batch_references(mdp, episodes, run, -1.0)
        for values, result in ((btd, batch_td), (bmc, batch_mc)):
            errors = np.sqrt(np.mean((values[:, live] - truth[live]) ** 2, axis=1))
            np.testing.assert_allclose(result.rms_runs[run, 1:], errors, rtol=0, atol=1e-9)
        finals_btd.append(btd[-1])
        finals_bmc.append(bmc[-1])
        unvisited += int((bmc[0][live] == -1.0).sum())
    np.testing.assert_allclose(batch_td.final_values, np.mean(finals_btd, axis=0), atol=1e-9)
    np.testing.assert_allclose(batch_mc.final_values, np.mean(finals_bmc, axis=0), atol=1e-12)
    assert unvisited > 0  # after one episode some states still hold V0 = −1: it was used

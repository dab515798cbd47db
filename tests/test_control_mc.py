"""Monte Carlo control (S&B ch. 5) against independent computations: the optimal policy
from policy iteration, q_π from the linear solve, and hand-worked single-episode updates."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.learn.actions import greedy_pairs, padded_values
from rlcli.learn.control import ControlSetting, run_control
from rlcli.learn.episodes import start_distribution
from rlcli.learn.mc_control import (
    EpisodeBatch,
    MCControl,
    first_visit_average,
    play_mc,
    weighted_is_update,
)
from rlcli.mdp.read.load import loads_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy
from rlcli.mdp.solve.greedy import q_from_values
from rlcli.mdp.solve.optimal import policy_iteration

# Stochastic, with a loop back (c → a); gaps between Q* of the actions are ≥ 1.5.
LOOP = """gamma: 0.9
states: [a, b, c, end]
terminal: [end]
start: a
transitions:
  a:
    safe: {next: b, r: 0}
    risky: [{next: end, p: 1/2, r: 2}, {next: c, p: 1/2, r: 0}]
  b:
    go: {next: c, r: 1}
    quit: {next: end, r: 1/2}
  c:
    win: [{next: end, p: 4/5, r: 5}, {next: a, p: 1/5, r: 0}]
    lose: {next: end, r: 1}
"""

# Blackjack's shape (S&B Example 5.1): many start states drawn from a distribution,
# terminal states, γ = 1, rewards only at the end. A toy "hit or stick" on a sum; Q* gaps:
# s12 hit 1/8 vs stick −1/2, s13 hit −1/4 vs stick −3/5, s14 stick 1/2 vs hit −1.
BLACKJACK_LIKE = """gamma: 1
states: [s12, s13, s14, win, lose, draw]
terminal: [win, lose, draw]
start: {s12: 1/2, s13: 1/4, s14: 1/4}
transitions:
  s12:
    stick: [{next: win, p: 1/4, r: 1}, {next: lose, p: 3/4, r: -1}]
    hit: [{next: s13, p: 1/2, r: 0}, {next: s14, p: 1/2, r: 0}]
  s13:
    stick: [{next: win, p: 1/5, r: 1}, {next: lose, p: 4/5, r: -1}]
    hit: [{next: s14, p: 1/2, r: 0}, {next: lose, p: 1/2, r: -1}]
  s14:
    stick: [{next: win, p: 7/10, r: 1}, {next: lose, p: 1/5, r: -1}, {next: draw, p: 1/10, r: 0}]
    hit: {next: lose, r: -1}
"""


def mdp_of(text: str):
    return loads_mdp(text, "test.yaml")


@pytest.mark.parametrize(("method", "epsilon"), [("mc-es", None), ("mc-on-policy", 0.1)])
@pytest.mark.parametrize("text", [LOOP, BLACKJACK_LIKE])
def test_mc_es_and_on_policy_find_the_optimal_policy_of_policy_iteration(method, epsilon, text):
    mdp = mdp_of(text)
    optimal = policy_iteration(mdp)
    start = start_distribution(mdp, None)
    (result,) = run_control(mdp, [ControlSetting(method, None, epsilon)], start, 20, 2000, 4,
                            1000)  # fmt: skip
    greedy = greedy_pairs(mdp, result.q)
    agree = (greedy == optimal.policy).all(axis=1)
    assert agree.sum() >= 19, (method, agree)  # every run but at most one
    assert result.cut == 0


def test_weighted_is_estimate_of_q_pi_matches_the_linear_solve():
    # target: a=risky, b=quit, c=lose (deterministic); behaviour: uniform. q_π from the
    # linear solve (I − γP_π)v = r_π and q = r + γ P v.
    mdp = mdp_of(LOOP)
    target = np.zeros(mdp.n_pairs)
    for s, a in (("a", "risky"), ("b", "quit"), ("c", "lose")):
        target[mdp.pair(s, a)] = 1.0
    q_pi = q_from_values(mdp, evaluate_policy(mdp, target).values)
    rng = np.random.default_rng(7)
    runs = 50
    learner = MCControl(mdp, "mc-off-policy", np.zeros(runs), 0.0, rng,
                        behavior=mdp.uniform_policy(), target=target)  # fmt: skip
    play_mc(learner, start_distribution(mdp, "a"), 400, 1000)
    q = learner.final_q()
    visited = learner.counts > 0  # C(s, a) > 0: the pair got weight
    # q_π(a, ·) = (3.19…, 1.0); every pair is visited with positive weight in each run
    assert visited.all()
    mean = q.mean(axis=0)
    se = q.std(axis=0, ddof=1) / np.sqrt(runs)
    assert np.all(np.abs(mean - q_pi) < 4 * se + 1e-9), (mean, q_pi, se)
    assert np.abs(mean - q_pi).max() < 0.1


def test_first_visit_average_after_one_hand_worked_episode():
    # a —x→ (R=1) b —y→ (R=2) a —x→ (R=3) end, γ = 1/2:
    # G_2 = 3, G_1 = 2 + ½·3 = 3.5, G_0 = 1 + ½·3.5 = 2.75.
    # First visit of (a, x) is t = 0: Q(a, x) = 2.75 (every-visit would average 2.75 and 3).
    mdp = mdp_of("gamma: 1/2\nstates: [a, b, end]\nterminal: [end]\nstart: a\n"
                 "transitions:\n  a: {x: {next: b, r: 1}, z: {next: end, r: 0}}\n"
                 "  b: {y: {next: a, r: 2}}\n")  # fmt: skip
    ax, az, by = mdp.pair("a", "x"), mdp.pair("a", "z"), mdp.pair("b", "y")
    ep = EpisodeBatch(np.array([[ax, by, ax]]), np.array([[1.0, 2.0, 3.0]]), np.ones((1, 3)),
                      np.array([3]), np.array([False]))  # fmt: skip
    q = padded_values(1, mdp.n_pairs, -7.0)[0]
    sums, counts = np.zeros((1, 3)), np.zeros((1, 3))
    first_visit_average(q, sums, counts, ep, mdp.gamma)
    assert q[0, ax] == pytest.approx(2.75) and q[0, by] == pytest.approx(3.5)
    assert q[0, az] == -7.0  # not visited: keeps Q0
    # a second episode a —x→ (R=0) ... gives G_0 = 0 + ½·(2 + ½·3) = 1.75:
    # Q(a, x) = mean(2.75, 1.75) = 2.25, Q(b, y) = mean(3.5, 3.5)
    ep2 = EpisodeBatch(np.array([[ax, by, ax]]), np.array([[0.0, 2.0, 3.0]]), np.ones((1, 3)),
                       np.array([3]), np.array([False]))  # fmt: skip
    first_visit_average(q, sums, counts, ep2, mdp.gamma)
    assert q[0, ax] == pytest.approx(2.25) and q[0, by] == pytest.approx(3.5)


def test_weighted_is_control_update_after_one_hand_worked_episode():
    # γ = 1. Before: Q(b, y) = 0, Q(b, w) = 5 with C(b, w) = 1, so π(b) = w.
    # Episode: (a, x) b=1/2 R=1, (b, y) b=1/4 R=2, (b, w) b=1/2 R=4, end.
    # Backwards: t=2: G = 4, W = 1: C(b,w) = 2, Q(b,w) = 5 + ½(4 − 5) = 4.5; π(b) = w = A_2,
    #   so W = 1/(1/2) = 2.
    # t=1: G = 6, C(b,y) = 2, Q(b,y) = 0 + (2/2)(6 − 0) = 6; π(b) becomes y = A_1,
    #   W = 2/(1/4) = 8.
    # t=0: G = 7, C(a,x) = 8, Q(a,x) = 0 + (8/8)(7 − 0) = 7; π(a) = x: W = 16 (unused).
    mdp = mdp_of("gamma: 1\nstates: [a, b, end]\nterminal: [end]\nstart: a\n"
                 "transitions:\n  a: {x: {next: b, r: 1}, v: {next: end, r: 0}}\n"
                 "  b: {y: {next: b, r: 2}, w: {next: end, r: 4}}\n")  # fmt: skip
    ax, bw, by = mdp.pair("a", "x"), mdp.pair("b", "w"), mdp.pair("b", "y")
    q = padded_values(1, mdp.n_pairs, 0.0)[0]
    c = np.zeros((1, mdp.n_pairs))
    q[0, bw], c[0, bw] = 5.0, 1.0
    ep = EpisodeBatch(np.array([[ax, by, bw]]), np.array([[1.0, 2.0, 4.0]]),
                      np.array([[0.5, 0.25, 0.5]]), np.array([3]), np.array([False]))  # fmt: skip
    weighted_is_update(mdp, q, c, ep)
    assert q[0, bw] == pytest.approx(4.5) and c[0, bw] == 2.0
    assert q[0, by] == pytest.approx(6.0) and c[0, by] == 2.0
    assert q[0, ax] == pytest.approx(7.0) and c[0, ax] == 8.0
    # Same episode, but Q(b, w) = 50 before: after t=2, Q(b,w) = 50 + ½(4 − 50) = 27 and
    # at t=1 Q(b,y) = 6 < 27, so π(b) = w ≠ y = A_1: the episode stops teaching there.
    q = padded_values(1, mdp.n_pairs, 0.0)[0]
    c = np.zeros((1, mdp.n_pairs))
    q[0, bw], c[0, bw] = 50.0, 1.0
    weighted_is_update(mdp, q, c, ep)
    assert q[0, bw] == pytest.approx(27.0)
    assert q[0, by] == pytest.approx(6.0)
    assert q[0, ax] == 0.0 and c[0, ax] == 0.0  # before the non-greedy action: untouched


def test_off_policy_control_with_a_given_behaviour_finds_the_optimal_policy():
    mdp = mdp_of(BLACKJACK_LIKE)
    optimal = policy_iteration(mdp)
    (result,) = run_control(
        mdp, [ControlSetting("mc-off-policy", None, None, "uniform")],
        start_distribution(mdp, None), 10, 3000, 5, 1000, behavior=mdp.uniform_policy(),
    )  # fmt: skip
    agree = (greedy_pairs(mdp, result.q) == optimal.policy).all(axis=1)
    assert agree.sum() >= 9


def run(*args: str):
    return CliRunner().invoke(app, ["control", *args])


def test_json_contract_of_the_mc_methods(tmp_path):
    path = tmp_path / "bj.yaml"
    path.write_text(BLACKJACK_LIKE)
    result = run(str(path), "--method", "mc-es,mc-on-policy,mc-off-policy", "--epsilon",
                 "0.1,0.2", "--runs", "3", "--episodes", "20", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    params = [{k: v for k, v in r.items() if k in ("method", "alpha", "epsilon", "behavior")}
              for r in doc["results"]]  # fmt: skip
    assert params == [
        {"method": "mc-es"},
        {"method": "mc-on-policy", "epsilon": 0.1}, {"method": "mc-on-policy", "epsilon": 0.2},
        {"method": "mc-off-policy", "epsilon": 0.1}, {"method": "mc-off-policy", "epsilon": 0.2},
    ]  # fmt: skip
    for r in doc["results"]:
        assert len(r["episode_returns"]) == 20
        assert set(r["policy"]) == {"s12", "s13", "s14"}
    assert set(doc["optimal_values"]) == {"s12", "s13", "s14", "win", "lose", "draw"}
    given = run(str(path), "--method", "mc-off-policy", "--behavior", "uniform", "--runs", "2",
                "--episodes", "5", "--json")  # fmt: skip
    assert json.loads(given.stdout)["results"][0]["behavior"] == "uniform"
    again = run(str(path), "--method", "mc-es,mc-on-policy,mc-off-policy", "--epsilon",
                "0.1,0.2", "--runs", "3", "--episodes", "20", "--json")  # fmt: skip
    assert again.stdout == result.stdout  # same seed, same bytes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "sarsa", "--behavior", "uniform"], "--behavior applies to --method mc-off"),
        (["--method", "mc-off-policy", "--behavior", "s12=stick,s13=stick,s14=stick"],
         "--behavior must give every action a positive probability"),
    ],
)  # fmt: skip
def test_behaviour_policy_errors_exit_2(tmp_path, args, message):
    path = tmp_path / "bj.yaml"
    path.write_text(BLACKJACK_LIKE)
    result = run(str(path), *args, "--runs", "1", "--episodes", "1")
    assert result.exit_code == 2 and message in result.output


def test_monte_carlo_episode_buffers_count_in_the_size_check():
    # 10⁵ runs × one episode of up to 10,000 steps × 64 bytes ≈ 60 GB: refused at once,
    # while the same runs of Q-learning (no episode kept) fit
    result = run("student-mdp", "-m", "mc-es", "--runs", "100000", "--episodes", "1")
    assert result.exit_code == 2
    assert "--max-steps: Monte Carlo keeps whole episodes" in result.output
    from rlcli.learn.control import check_control_size
    from rlcli.mdp.read.load import load_mdp
    from rlcli.problem_library import find

    mdp = load_mdp(find("student-mdp").path)
    check_control_size(mdp, [ControlSetting("q-learning", 0.1, 0.1)], 100_000, 1, 10_000)

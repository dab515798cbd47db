"""Exact and symbolic evaluation: fractions, the recycling robot in closed form, and
hypothesis property tests on small random MDPs."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.mdp.policy import resolve_policy
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.arithmetic import Fractions
from rlcli.mdp.solve.evaluate import evaluate_policy
from rlcli.mdp.solve.exact import evaluate_exact, evaluate_symbolic, rational_policy
from rlcli.mdp.solve.greedy import q_from_values, state_max
from rlcli.mdp.solve.optimal import policy_iteration, value_iteration
from rlcli.mdp.solve.proper import improper_states

runner = CliRunner()


def test_recycling_robot_exact_fractions():
    mdp = load_mdp("problems/recycling-robot.yaml")
    ev = evaluate_exact(mdp, mdp.policies["cautious"])
    # V(h) = r_s / ((1-γ)(1+γ-αγ)) = 2 / (0.1 * 1.18) = 1000/59; V(l) = γ V(h)
    assert ev.values == [Fraction(1000, 59), Fraction(900, 59)]


def test_student_mdp_exact():
    mdp = load_mdp("problems/student-mdp.yaml")
    ev = evaluate_exact(mdp, mdp.uniform_policy())
    assert ev.values[:4] == [
        Fraction(-30, 13),
        Fraction(-17, 13),
        Fraction(35, 13),
        Fraction(96, 13),
    ]


def test_recycling_robot_closed_form_matches_hand_derivation_and_linear_solve():
    mdp = load_mdp("problems/recycling-robot.yaml")
    ev = evaluate_symbolic(mdp, mdp.policies["cautious"])
    alpha, gamma, r_s = sp.symbols("alpha gamma r_search", real=True)
    gamma_p = sp.Symbol("gamma", positive=True)
    high = ev.values[0].subs({gamma_p: gamma})
    # by hand: V(h) = r_s + γ(α V(h) + (1-α) V(l)), V(l) = γ V(h)
    hand = r_s / (1 - alpha * gamma - (1 - alpha) * gamma**2)
    assert sp.simplify(high - hand) == 0
    assert sp.simplify(ev.values[1].subs({gamma_p: gamma}) - gamma * hand) == 0
    # and against the float linear solve at several parameter values
    for a, b, g in [("0.8", "0.6", "0.9"), ("0.3", "0.1", "0.5"), ("0.95", "0.9", "0.99")]:
        numeric = load_mdp("problems/recycling-robot.yaml", {"alpha": a, "beta": b, "gamma": g})
        lin = evaluate_policy(numeric, numeric.policies["coin"]).values
        sym = evaluate_symbolic(mdp, mdp.policies["coin"])
        subs = {sp.Symbol(n, real=True): sp.Rational(v) for n, v in
                {"alpha": a, "beta": b, "r_search": "2", "r_wait": "1"}.items()}  # fmt: skip
        subs[gamma_p] = sp.Rational(g)
        got = [float(v.subs(subs)) for v in sym.values]
        np.testing.assert_allclose(got, lin, rtol=1e-12)


# ---- property tests on small random MDPs -------------------------------------------


@st.composite
def small_mdps(draw, gamma="9/10"):
    n = draw(st.integers(2, 5))
    states = [f"s{i}" for i in range(n)] + ["end"]
    transitions = {}
    for s in states[:-1]:
        actions = {}
        for a in range(draw(st.integers(1, 3))):
            targets = draw(st.lists(st.sampled_from(states), min_size=1, max_size=3, unique=True))
            weights = [draw(st.integers(1, 4)) for _ in targets]
            reward = draw(st.integers(-3, 3))  # equal rewards make ties common
            actions[f"a{a}"] = [
                {"next": t, "p": f"{w}/{sum(weights)}", "r": reward}
                for t, w in zip(targets, weights, strict=True)
            ]
        transitions[s] = actions
    text = json.dumps(
        {"gamma": gamma, "states": states, "terminal": ["end"], "transitions": transitions}
    )
    return loads_mdp(text, "random.json", json_format=True)


@settings(max_examples=60, deadline=None)
@given(small_mdps())
def test_pi_vi_and_exact_agree(mdp):
    pi = policy_iteration(mdp)
    vi = value_iteration(mdp, epsilon=1e-8)
    assert np.max(np.abs(vi.values - pi.values)) < 1e-8
    exact = evaluate_exact(mdp, pi.policy)
    np.testing.assert_allclose([float(v) for v in exact.values], pi.values, atol=1e-9)
    # V* satisfies the optimality equations: V = max_a Q(V)
    q = q_from_values(mdp, pi.values)
    np.testing.assert_allclose(state_max(mdp, q), pi.values, atol=1e-9)
    # exact policy iteration finds the same optimal values and the same tie sets
    ex = policy_iteration(mdp, field=Fractions(mdp))
    np.testing.assert_allclose([float(v) for v in ex.values], pi.values, atol=1e-9)
    assert np.array_equal(ex.optimal, pi.optimal)


@settings(max_examples=40, deadline=None)
@given(small_mdps())
def test_no_cycling_when_every_action_ties(mdp):
    # same reward on every outcome and a uniform self-similar structure: make all Q equal
    tie = loads_mdp(
        json.dumps({"gamma": "1/2", "states": list(mdp.states), "terminal": ["end"],
                    "transitions": {s: {a: {"next": s, "r": 1} for a in mdp.actions_of(i)}
                                    for i, s in enumerate(mdp.states[:-1])}}),
        "tie.json", json_format=True,
    )  # fmt: skip
    sol = policy_iteration(tie)
    assert sol.iterations == 1  # nothing strictly improves, so the start policy stays
    assert sol.optimal.all()
    np.testing.assert_allclose(sol.values[:-1], 2.0)  # 1 / (1 - 1/2)


@settings(max_examples=60, deadline=None)
@given(small_mdps(gamma="1"), st.data())
def test_singular_gamma_1_policies_are_reported_with_the_right_states(mdp, data):
    choice = [data.draw(st.sampled_from(mdp.actions_of(s))) for s in range(mdp.n_states - 1)]
    pi = resolve_policy(mdp, ",".join(f"{s}={a}" for s, a in zip(mdp.states, choice, strict=False)))
    bad = set(improper_states(mdp, pi).tolist())
    # independent check: simulate the absorption probability by powering the chain
    P = (mdp.policy_matrix(pi) @ mdp.P).toarray()
    P[-1, -1] = 1.0  # the terminal state absorbs
    absorbed = np.linalg.matrix_power(P, 10**6)[:, -1]
    expected = {s for s in range(mdp.n_states - 1) if absorbed[s] < 1 - 1e-6}
    assert bad == expected
    if not bad:
        ev = evaluate_policy(mdp, pi)
        assert ev.residual < 1e-9


# ---- regressions from the review of mdp evaluate | solve | equations (issue 3) ----


def test_exact_policy_probabilities_with_seven_digits():
    # high: search 0.1234567 | wait 0.8765433, low: recharge; the reviewer's value
    # (linear system in fractions) is V(high) = 5617283500/511111103
    result = runner.invoke(
        app,
        ["mdp", "evaluate", "recycling-robot", "-p",
         "high=search:0.1234567|wait:0.8765433,low=recharge", "--exact", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exact"]["high"] == "5617283500/511111103"
    third = rational_policy(np.array([1 / 3, 0.1234567]))
    assert third == [Fraction(1, 3), Fraction(1234567, 10**7)]


def _ring_json(n: int) -> str:
    """n states in a ring, one action, probabilities written as fraction strings."""
    states = [f"s{i}" for i in range(n)]
    transitions = {
        s: {"go": {"r": 1, "next": {states[(i + 1) % n]: "1/2", states[(i + 2) % n]: "1/2"}}}
        for i, s in enumerate(states)
    }
    return json.dumps({"gamma": "9/10", "states": states, "transitions": transitions})


@pytest.mark.parametrize(
    "args",
    [["solve", "--exact"], ["evaluate", "-p", "uniform", "--exact"],
     ["solve", "--method", "value-iteration", "--sweeps", "100000", "--exact"]],
)  # fmt: skip
def test_exact_size_limits_are_checked_before_the_numbers_become_fractions(
    tmp_path, monkeypatch, args
):
    # 251 non-terminal states is over the 250-state limit of rational elimination; 100,000
    # exact sweeps of 502 outcomes are over the sweep work limit: refused before rational()
    from rlcli.mdp.model import ExactData

    def too_early(self):
        raise AssertionError("the fractions were built before the size check")

    monkeypatch.setattr(ExactData, "rational", too_early)
    path = tmp_path / "ring.json"
    path.write_text(_ring_json(251))
    result = CliRunner().invoke(app, ["mdp", *args[:1], str(path), *args[1:]])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "--exact" in result.output or "sweeps" in result.output

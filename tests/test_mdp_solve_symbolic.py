"""`mdp solve --symbolic`: V* in closed form for the policy found, and the region where it
stays optimal, checked against numeric policy iteration at other parameter values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sympy as sp
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.optimal import policy_iteration

ROBOT = str(Path(__file__).parent.parent / "problems" / "recycling-robot.yaml")


def symbolic_solution() -> dict:
    result = CliRunner().invoke(app, ["mdp", "solve", ROBOT, "--symbolic", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_closed_form_matches_hand_derivation() -> None:
    # cautious policy (search when high, recharge when low):
    # v(h) = r_s + γ(α v(h) + (1-α) v(l)),  v(l) = γ v(h)
    # => v(h) = r_s / (1 - γα - γ²(1-α)) = r_s / ((1-γ)(1 + γ - αγ))
    doc = symbolic_solution()
    alpha, gamma, r_s = sp.symbols("alpha gamma r_search", real=True)
    names = {"alpha": alpha, "gamma": gamma, "r_search": r_s}
    v_high = sp.sympify(doc["exact"]["high"], locals=names)
    assert sp.simplify(v_high - r_s / ((1 - gamma) * (1 + gamma - alpha * gamma))) == 0
    assert doc["policy"] == {"high": "search", "low": "recharge"}


def test_conditions_mark_exactly_where_the_policy_stays_optimal() -> None:
    doc = symbolic_solution()
    symbols = {n: sp.Symbol(n, real=True) for n in ("alpha", "beta", "gamma", "r_search", "r_wait")}
    margins = [sp.sympify(c["margin"], locals=symbols) for c in doc["conditions"]]
    v_high = sp.sympify(doc["exact"]["high"], locals=symbols)
    rng = np.random.default_rng(0)
    inside = outside = 0
    for _ in range(40):
        values = {
            "alpha": rng.uniform(0.05, 0.95), "beta": rng.uniform(0.05, 0.95),
            "gamma": rng.uniform(0.5, 0.95), "r_search": rng.uniform(0.5, 3),
            "r_wait": rng.uniform(0, 2),
        }  # fmt: skip
        point = {symbols[n]: v for n, v in values.items()}
        holds = all(float(m.subs(point)) >= 0 for m in margins)
        mdp = load_mdp(ROBOT, overrides={n: repr(v) for n, v in values.items()})
        v_star = policy_iteration(mdp).values[mdp.state_index["high"]]
        closed = float(v_high.subs(point))
        if holds:  # the cautious policy is optimal: its closed form is V*
            inside += 1
            assert abs(v_star - closed) < 1e-9
        else:  # some state prefers another action: V* beats the cautious policy
            outside += 1
            assert v_star > closed - 1e-12
            assert policy_iteration(mdp).policy.tolist() != [1, 0, 0, 0, 1]
    assert inside and outside  # both regions were sampled


def _random_file(n: int) -> str:
    """n states, two actions each, five parameters (as /tmp/explore/gen.py wrote it)."""
    import random

    rng = random.Random(1)
    lines = ["gamma: 9/10", "parameters: {a: 1/2, b: 1/3, c: 1/5, d: 2, e: 3}",
             "states: [" + ", ".join(f"s{i}" for i in range(n)) + "]", "transitions:"]  # fmt: skip
    for i in range(n):
        lines.append(f"  s{i}:")
        for act in "xy":
            j, k = rng.sample(range(n), 2)
            p = rng.choice("abc")
            lines.append(
                f"    {act}: [{{next: s{j}, p: {p}, r: {rng.choice(['d', 'e', '-d', '1'])}}}, "
                f"{{next: s{k}, p: 1 - {p}, r: {rng.choice(['e', '-e', 'd*e', '0'])}}}]"
            )
    return "\n".join(lines) + "\n"


def test_symbolic_closed_form_stops_at_its_time_budget(tmp_path, monkeypatch) -> None:
    # 12 states and 6 symbols took over 90 s before the budget; with the budget cut to
    # 0.5 s of CPU the command must stop with a usage error that says what to do
    from rlcli.mdp.solve import limits

    monkeypatch.setattr(limits, "SYMBOLIC_SECONDS", 0.5)
    path = tmp_path / "big.yaml"
    path.write_text(_random_file(12))
    for args in (["solve"], ["evaluate", "-p", "uniform"]):
        result = CliRunner().invoke(app, ["mdp", *args, str(path), "--symbolic"])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "gave up on the closed form after 0.5 s" in result.output
        assert "keep fewer symbols" in result.output

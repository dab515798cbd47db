"""Issue 10: hostile and extreme inputs to `mdp evaluate | solve`. Each test failed on the
code before the fix (a hang, a memory blow-up, a minute of fraction arithmetic, a traceback
or a misdiagnosis); now each is refused at once, exit 2, naming the flag and the size."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import yaml
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import NumericalError
from rlcli.mdp.read.load import loads_mdp
from rlcli.mdp.solve.arithmetic import Floats, Fractions
from rlcli.mdp.solve.evaluate import evaluate_policy, iterative_evaluation
from rlcli.mdp.solve.limits import FieldError
from rlcli.mdp.solve.optimal import policy_iteration, value_iteration, value_iteration_sweeps

runner = CliRunner()


def _refused(args: list[str], *needles: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception
    for needle in needles:
        assert needle in result.output, (needle, result.output)
    return result.output


def slippery_grid(n: int) -> str:
    """An n×n grid: each move goes where meant or to either side, 1/3 each; the far
    corner is terminal."""
    moves = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
    side = {"up": "left right", "down": "left right", "left": "up down", "right": "up down"}

    def to(r: int, c: int, a: str) -> str:
        rr, cc = r + moves[a][0], c + moves[a][1]
        return f"r{rr}c{cc}" if 0 <= rr < n and 0 <= cc < n else f"r{r}c{c}"

    transitions = {}
    for r in range(n):
        for c in range(n):
            if (r, c) == (n - 1, n - 1):
                continue
            transitions[f"r{r}c{c}"] = {
                a: [{"next": to(r, c, b), "p": "1/3", "r": -1} for b in [a, *side[a].split()]]
                for a in moves
            }
    doc = {
        "gamma": "9/10",
        "states": [f"r{r}c{c}" for r in range(n) for c in range(n)],
        "terminal": [f"r{n - 1}c{n - 1}"],
        "transitions": transitions,
    }
    return yaml.safe_dump(doc)


def test_astronomical_sweeps_are_refused_before_starting():
    # 2**70 sweeps used to run forever
    out = _refused(
        ["mdp", "evaluate", "gridworld-4x4", "-p", "random", "--method", "iterative",
         "--sweeps", str(2**70)],
        "--sweeps", "1,180,591,620,717,411,303,424",
    )  # fmt: skip
    assert "1,000,000" in out  # the limit is stated


def test_a_trace_too_big_for_memory_is_refused_with_its_size():
    # 900,000 sweeps × 21 states = 18,900,000 values: about 151 MB before any JSON
    _refused(
        ["mdp", "evaluate", "random-walk-19", "-p", "uniform", "--method", "iterative",
         "--sweeps", "900000", "--trace", "--json"],
        "--trace", "36,000,000 values",  # 900,000 × (21 states + 19 pairs)
    )  # fmt: skip


def test_library_names_the_field_not_the_flag():
    mdp = loads_mdp("gamma: 1/2\nstates: [a]\ntransitions: {a: {x: {next: a, r: 1}}}", "a.yaml")
    with pytest.raises(FieldError) as info:
        iterative_evaluation(mdp, mdp.uniform_policy(), sweeps=10**7)
    assert info.value.field == "sweeps" and "--" not in str(info.value)


def test_exact_on_a_20x20_slippery_grid_is_refused_with_a_hint(tmp_path):
    # 399 non-terminal states: rational elimination took 70 s; now refused up front
    path = tmp_path / "grid20.yaml"
    path.write_text(slippery_grid(20))
    out = _refused(["mdp", "solve", str(path), "--exact"], "--exact", "399", "drop --exact")
    assert "250" in out


def test_exact_on_a_small_slippery_grid_still_works(tmp_path):
    # 3×3: corner r1c2 (next to the goal r2c2) — the limit must not refuse small grids
    path = tmp_path / "grid3.yaml"
    path.write_text(slippery_grid(3))
    result = runner.invoke(app, ["mdp", "solve", str(path), "--exact", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["values"]["r1c2"] == pytest.approx(float(Fraction(doc["exact"]["r1c2"])))


def test_symbolic_keep_none_keeps_the_state_limit():
    # 25 states with --keep none used to skip the 20-state limit of closed forms
    _refused(
        ["mdp", "evaluate", "gridworld-5x5", "-p", "random", "--symbolic", "--keep", "none"],
        "--symbolic", "20 non-terminal states", "(this MDP has 25)",
    )  # fmt: skip


def test_thousands_of_exact_sweeps_stop_cleanly_not_with_a_traceback():
    # recycling robot, gamma = 9/10 and alpha = 4/5: denominators gain digits every
    # sweep; printing a 4,300-digit integer raised ValueError
    _refused(
        ["mdp", "evaluate", "recycling-robot", "-p", "uniform", "--method", "iterative",
         "--sweeps", "3000", "--exact"],
        "--exact", "4,000 digits",
    )  # fmt: skip


HUGE = """
gamma: 9/10
states: [a, b]
transitions:
  a: {stay: {next: a, r: 1e308}, go: {next: b, r: 0}}
  b: {back: {next: a, r: 0}}
policies:
  still: {a: stay, b: back}
"""


def test_overflowing_values_are_named_as_such(tmp_path):
    # V(a) = 1e308 / (1 - 0.9) = 1e309 > 1.8e308: not a "linear solve did not converge"
    mdp = loads_mdp(HUGE, "huge.yaml")
    for solver in (
        lambda: evaluate_policy(mdp, mdp.policies["still"]),
        lambda: policy_iteration(mdp),
        lambda: value_iteration(mdp),
    ):
        with pytest.raises(NumericalError, match="overflow the float range") as info:
            solver()
        assert "--method" not in str(info.value)
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    out = _refused(["mdp", "solve", str(path)], "overflow the float range")
    assert "--method iterative" not in out


def test_iterative_evaluation_stops_at_the_first_non_finite_sweep():
    # V1(a) = 1e308, V2(a) = 1e308 + 0.9e308 = inf: stop at sweep 2, not after 1,000,000
    mdp = loads_mdp(HUGE, "huge.yaml")
    with pytest.raises(NumericalError, match="at sweep 2"):
        iterative_evaluation(mdp, mdp.policies["still"])


def test_exact_arithmetic_does_not_overflow(tmp_path):
    # V*(a) = 1e308 / (1 - 9/10) = 10**309 exactly, V*(b) = 9/10 · 10**309
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    result = runner.invoke(app, ["mdp", "solve", str(path), "--exact", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["exact"] == {"a": str(10**309), "b": str(9 * 10**308)}
    assert doc["policy"] == {"a": "stay", "b": "back"}
    assert doc["values"]["a"] is None  # beyond the float range: JSON null, not a crash


def test_exact_sweeps_do_not_overflow(tmp_path):
    # V3(a) = 1e308·(1 + 9/10 + 81/100) = 2.71e308, beyond the floats' 1.8e308
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE)
    result = runner.invoke(
        app,
        ["mdp", "evaluate", str(path), "-p", "still", "--method", "iterative", "--sweeps", "3",
         "--exact", "--trace", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["exact"]["a"] == str(271 * 10**306)
    assert [t["exact"]["a"] for t in doc["trace"]] == [str(10**308), str(19 * 10**307),
                                                       str(271 * 10**306)]  # fmt: skip


def many_actions(n: int) -> str:
    """One state with n actions, each to the terminal state: 2 states, n pairs."""
    acts = "\n".join(f"    a{i}: {{next: t, r: {i}}}" for i in range(n))
    return f"gamma: 1\nstates: [s, t]\nterminal: [t]\ntransitions:\n  s:\n{acts}\n"


def test_value_iteration_sweeps_count_q_and_ties_in_the_trace_limit():
    # Every sweep keeps V (2 states) and Q, ties, policy (2,000 pairs). 3,000 sweeps ×
    # 2,002 = 6,006,000 values > 5,000,000; counting states alone (6,000) let the
    # gambler's problem's --sweeps 20000 run for minutes into 4 GB and 367 MB of JSON.
    mdp = loads_mdp(many_actions(2000), "many.yaml")
    with pytest.raises(FieldError) as info:
        value_iteration_sweeps(mdp, 3000, Floats(mdp))
    assert info.value.field == "sweeps"  # the trace is not optional here: blame the sweeps
    assert "6,006,000 values" in str(info.value)
    assert "2,000 state-action pairs" in str(info.value)


def test_value_iteration_sweeps_trace_refusal_names_sweeps_not_trace():
    # the user never typed --trace: 1,000,000 × (16 + 56) values
    out = _refused(
        ["mdp", "solve", "gridworld-4x4", "--method", "value-iteration", "--sweeps", "1000000"],
        "--sweeps", "72,000,000 values",
    )  # fmt: skip
    assert "--trace" not in out


def test_evaluation_trace_counts_the_greedy_ties_per_pair():
    # sweep traces of evaluation keep the greedy ties of every pair too: 100,000 sweeps ×
    # (2 states + 2,000 pairs) = 200,200,000 values
    mdp = loads_mdp(many_actions(2000), "many.yaml")
    with pytest.raises(FieldError, match="200,200,000 values") as info:
        iterative_evaluation(mdp, mdp.uniform_policy(), sweeps=100_000, trace=True)
    assert info.value.field == "trace"


def test_exact_value_iteration_sweeps_have_the_rational_work_limit():
    # 40,000 sweeps × 56 outcomes = 2,240,000 fraction operations > 2,000,000: refused
    # up front like exact evaluation sweeps (it used to run for minutes)
    mdp = loads_mdp(
        "gamma: 1\ngrid:\n  map: |\n    T . . .\n    . . . .\n    . . . .\n    . . . T\n"
        "  step_reward: -1\n",
        "grid.yaml",
    )
    assert mdp.n_outcomes == 56
    with pytest.raises(FieldError, match="2,240,000 fraction operations") as info:
        value_iteration_sweeps(mdp, 40_000, Fractions(mdp))
    assert info.value.field == "exact" and info.value.droppable
    out = _refused(
        ["mdp", "solve", "gridworld-4x4", "--method", "value-iteration", "--sweeps", "40000",
         "--exact"],
        "--exact", "drop --exact",
    )  # fmt: skip
    assert "2,240,000" in out


EDGE = """
gamma: 1
states: [a, t]
terminal: [t]
transitions:
  a: {stay: {next: a, r: 1e308}, out: {next: t, r: 1e308}}
policies:
  leave: {a: out}
"""


def test_finite_values_whose_q_overflows_are_diagnosed_not_left_without_ties():
    # V1(a) = max(1e308 + 0, 1e308 + 0) = 1e308 is a float, but Q from V1:
    # stay 1e308 + 1e308 = 2e308 > 1.8e308 (inf), out 1e308. The greedy set came out
    # empty ("a": []) and the residual null; now the overflow is named and exact
    # arithmetic finds the greedy action: stay (2·10^308 > 10^308).
    mdp = loads_mdp(EDGE, "edge.yaml")
    with pytest.raises(NumericalError, match="in Q from the values of sweep 1"):
        value_iteration_sweeps(mdp, 1, Floats(mdp))
    with pytest.raises(NumericalError, match="in Q from the values of sweep 1"):
        iterative_evaluation(mdp, mdp.policies["leave"], sweeps=1, trace=True)
    exact = value_iteration_sweeps(mdp, 1, Fractions(mdp))
    k_stay, k_out = mdp.pair("a", "stay"), mdp.pair("a", "out")
    assert exact.exact_q[k_stay] == 2 * 10**308 and exact.exact_q[k_out] == 10**308
    assert exact.optimal[k_stay] and not exact.optimal[k_out]

"""Issue 12: value and policy iteration as exams define them — K sweeps, greedy actions
after every sweep, worked backups, exports. Expected numbers are worked by hand in the
comments (fractions), never taken from the code's output."""

from __future__ import annotations

import json
import re
from fractions import Fraction

from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.mdp.read.load import loads_mdp
from rlcli.mdp.solve.arithmetic import Floats, Fractions
from rlcli.mdp.solve.optimal import value_iteration_sweeps

runner = CliRunner()

# Two states, gamma = 1, no terminal state (fine for a fixed number of sweeps).
TWO = """
gamma: 1
states: [A, B]
transitions:
  A:
    stay: {next: A, r: 1}
    move: {next: B, r: 0}
  B:
    back: {next: A, r: 2}
    gamble: [{next: B, p: 1/2, r: 4}, {next: A, p: 1/2, r: 0}]
"""
# V0 = (0, 0)
# sweep 1: A: stay 1 + 0 = 1, move 0 + 0 = 0             -> V1(A) = 1
#          B: back 2 + 0 = 2, gamble 1/2·4 + 1/2·0 = 2   -> V1(B) = 2
# sweep 2: A: stay 1 + 1 = 2, move 0 + 2 = 2             -> V2(A) = 2
#          B: back 2 + 1 = 3, gamble 1/2·(4+2) + 1/2·(0+1) = 7/2 -> V2(B) = 7/2
# sweep 3: A: stay 1 + 2 = 3, move 0 + 7/2 = 7/2         -> V3(A) = 7/2
#          B: back 2 + 2 = 4, gamble 1/2·(4+7/2) + 1/2·(0+2) = 19/4 -> V3(B) = 19/4
# greedy w.r.t. V1 = (1, 2): A: stay 2 = move 2 (tie); B: back 3 < gamble 7/2
# greedy w.r.t. V2 = (2, 7/2): A: stay 3 < move 7/2; B: back 4 < gamble 19/4
# greedy w.r.t. V3 = (7/2, 19/4): A: stay 9/2 < move 19/4; B: back 11/2 < gamble 49/8
HAND = [
    (Fraction(1), Fraction(2)),
    (Fraction(2), Fraction(7, 2)),
    (Fraction(7, 2), Fraction(19, 4)),
]
GREEDY = [
    {"A": ["stay", "move"], "B": ["gamble"]},
    {"A": ["move"], "B": ["gamble"]},
    {"A": ["move"], "B": ["gamble"]},
]


def _file(tmp_path, text: str = TWO) -> str:
    path = tmp_path / "two.yaml"
    path.write_text(text)
    return str(path)


def _greedy(mdp, ties) -> dict[str, list[str]]:
    return {
        mdp.states[s]: [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(s) if ties[k]]
        for s in range(mdp.n_states)
    }


def test_value_iteration_k_sweeps_at_gamma_1_matches_the_hand_computation():
    mdp = loads_mdp(TWO, "two.yaml")
    exact = value_iteration_sweeps(mdp, 3, Fractions(mdp))
    assert [tuple(step.exact_values) for step in exact.trace] == HAND
    assert [_greedy(mdp, step.ties) for step in exact.trace] == GREEDY
    assert exact.stable_since == 2 and exact.iterations == 3
    floats = value_iteration_sweeps(mdp, 3, Floats(mdp))
    assert [tuple(step.values) for step in floats.trace] == [tuple(map(float, v)) for v in HAND]
    assert [_greedy(mdp, step.ties) for step in floats.trace] == GREEDY


def test_cli_k_sweeps_prints_greedy_ties_and_since_when_stable(tmp_path):
    file = _file(tmp_path)
    args = ["mdp", "solve", file, "--method", "value-iteration", "--sweeps", "3", "--exact"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "the greedy policy has not changed since sweep 2" in result.stdout
    assert "stay | move" in result.stdout  # the tie after sweep 1
    doc = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert [t["exact"] for t in doc["trace"]] == [
        {"A": "1", "B": "2"},
        {"A": "2", "B": "7/2"},
        {"A": "7/2", "B": "19/4"},
    ]
    assert [t["greedy"] for t in doc["trace"]] == GREEDY
    assert doc["exact"] == {"A": "7/2", "B": "19/4"} and doc["stable_since"] == 2
    assert doc["iterations"] == 3 and doc["values"] == {"A": 3.5, "B": 4.75}


def test_gamma_1_refusal_is_only_for_running_to_convergence(tmp_path):
    # no terminal state at gamma = 1: converging makes no sense, K sweeps do
    file = _file(tmp_path)
    result = runner.invoke(app, ["mdp", "solve", file, "--method", "value-iteration"])
    assert result.exit_code == 2 and "gamma = 1" in result.output
    result = runner.invoke(
        app, ["mdp", "solve", file, "--method", "value-iteration", "--sweeps", "3"]
    )
    assert result.exit_code == 0, result.output


def test_show_work_value_iteration_lines(tmp_path):
    file = _file(tmp_path)
    args = ["mdp", "solve", file, "--method", "value-iteration", "--sweeps", "2", "--show-work"]
    exact = runner.invoke(app, [*args, "--exact", "--json"])
    assert exact.exit_code == 0, exact.output
    work = json.loads(exact.stdout)["work"]
    # sweep 2 from V1 = (1, 2), numbers as in the comment at the top
    assert work[1]["lines"] == [
        "V₂(A) = max{stay: 1 + 1·1 = 2, move: 0 + 1·2 = 2} = 2",
        "V₂(B) = max{back: 2 + 1·1 = 3, gamble: 1/2·(4 + 1·2) + 1/2·(0 + 1·1) = 7/2} = 7/2",
    ]
    floats = json.loads(runner.invoke(app, [*args, "--json", "--state", "B"]).stdout)["work"]
    assert floats[1]["lines"] == [
        "V₂(B) = max{back: 2 + 1·1 = 3, gamble: 0.5·(4 + 1·2) + 0.5·(0 + 1·1) = 3.5} = 3.5"
    ]


def _random_gridworld(sweeps: int, *more: str):
    """``mdp evaluate gridworld-4x4 -p random`` (S&B Fig 4.1), ``sweeps`` iterative sweeps."""
    args = ["-p", "random", "--method", "iterative", "--sweeps", str(sweeps), *more]
    return runner.invoke(app, ["mdp", "evaluate", "gridworld-4x4", *args])


def test_show_work_evaluation_backup_fig_4_1():
    # S&B Fig 4.1, random policy, sweep 2 at r0c1 from V1 (all -1, terminals 0):
    # 1/4·(-1 - 1) + 1/4·(-1 - 1) + 1/4·(-1 + 0) + 1/4·(-1 - 1) = -7/4
    result = _random_gridworld(2, "--exact", "--show-work", "--state", "r0c1", "--json")
    assert result.exit_code == 0, result.output
    work = json.loads(result.stdout)["work"]
    assert work[1]["lines"] == [
        "V₂(r0c1) = 1/4·[up: -1 + 1·(-1) = -2] + 1/4·[down: -1 + 1·(-1) = -2] + "
        "1/4·[left: -1 + 1·0 = -1] + 1/4·[right: -1 + 1·(-1) = -2] = -7/4"
    ]


def test_show_work_policy_iteration_q_tables():
    # recycling robot (alpha 4/5, beta 3/5, gamma 9/10), pi_0 = search everywhere:
    # V(low) = 0.54 V(low) + 0.36 V(high) -> V(low) = 18/23 V(high);
    # V(high) = 2 + 0.72 V(high) + 0.18·18/23 V(high) -> V(high) = 115/8, V(low) = 45/4
    # q(high, wait) = 1 + 9/10·115/8 = 223/16; q(low, recharge) = 9/10·115/8 = 207/16 > 45/4
    # q(low, wait) = 1 + 9/10·45/4 = 89/8
    result = runner.invoke(
        app, ["mdp", "solve", "recycling-robot", "--exact", "--show-work", "--json"]
    )
    assert result.exit_code == 0, result.output
    work = json.loads(result.stdout)["work"]
    assert work[0]["lines"] == [
        "q_π₀(high, ·): search = 115/8 ★, wait = 223/16",
        "q_π₀(low, ·): search = 45/4, wait = 89/8, recharge = 207/16 ★",
        "changes: low: search → recharge",
    ]
    assert work[1]["lines"][-1] == "changes: none, π₁ is stable"


def test_evaluate_trace_shows_the_greedy_policy_of_each_sweep():
    # S&B Fig 4.1 right column, k = 1: r0c1 next to the corner goes left only
    result = _random_gridworld(2, "--trace", "--json")
    trace = json.loads(result.stdout)["trace"]
    assert trace[0]["greedy"]["r0c1"] == ["left"]
    assert trace[0]["greedy"]["r1c1"] == ["up", "down", "left", "right"]
    # k = 2: V2(r0c2) neighbours: left r0c1 = -1.75 beats -2 elsewhere
    assert trace[1]["greedy"]["r0c2"] == ["left"]
    assert {"values", "policy"} <= set(trace[0])


def test_symbolic_region_is_an_interval_of_gamma():
    # low: recharge beats wait iff gamma·(1 - gamma)·V(high) - 1 >= 0 with
    # V(high) = 10 / ((1 - gamma)(5 + gamma)): (9 gamma - 5)/(gamma + 5) >= 0, gamma >= 5/9;
    # high: search over wait (5 - gamma)/(5 + gamma) > 0 always
    result = runner.invoke(
        app, ["mdp", "solve", "recycling-robot", "--symbolic", "--keep", "gamma", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["region"] == "optimal for all gamma ∈ [5/9, 1)"


def _well_formed_latex(text: str) -> None:
    body = re.sub(r"\\[{}%&#_$]", "", text)  # escaped specials
    depth = 0
    for c in body:
        depth += {"{": 1, "}": -1}.get(c, 0)
        assert depth >= 0, text
    assert depth == 0
    assert re.findall(r"\\begin\{(\w+)\}", text) == re.findall(r"\\end\{(\w+)\}", text)
    assert all(line.count("$") % 2 == 0 for line in text.splitlines() if not line.startswith("%"))
    comment_free = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
    assert not re.search(r"(?<!\\)[&%#_](?![^$]*\$)", comment_free.replace(" & ", " "))
    assert all(ord(c) < 128 for c in comment_free), [c for c in comment_free if ord(c) >= 128]


def test_latex_exact_column_is_latex_with_one_minus_gamma():
    result = runner.invoke(
        app,
        ["mdp", "solve", "recycling-robot", "--symbolic", "--keep", "gamma", "--format", "latex"],
    )
    assert result.exit_code == 0, result.output
    # V(high) = 10 / ((1 - gamma)(5 + gamma)), derived in the test above
    assert r"$\frac{10}{\left(1 - \gamma\right) \left(5 + \gamma\right)}$" in result.stdout
    assert "gamma - 1" not in result.stdout and "**" not in result.stdout
    _well_formed_latex(result.stdout)
    work = runner.invoke(
        app, ["mdp", "solve", "recycling-robot", "--exact", "--show-work", "--format", "latex"]
    )
    assert r"$\frac{1000}{59}$" in work.stdout and "improvement 1" in work.stdout
    _well_formed_latex(work.stdout)


def test_markdown_keeps_trace_q_and_worked_steps(tmp_path):
    file = _file(tmp_path)
    args = ["--method", "value-iteration", "--sweeps", "2", "--show-work", "--format", "markdown"]
    result = runner.invoke(app, ["mdp", "solve", file, *args])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "**values after k sweeps**" in text and "| A | 0 | 1 | 2 |" in text
    assert "Q from V_2" in text and "V₂(A) = max{stay: 1 + 1·1 = 2" in text
    evaluation = _random_gridworld(1, "--trace", "--format", "markdown").stdout
    assert "values after k sweeps" in evaluation and "q_pi(s, a)" in evaluation


def test_stochastic_policies_print_their_probabilities():
    result = runner.invoke(app, ["mdp", "evaluate", "recycling-robot", "-p", "coin"])
    assert result.exit_code == 0, result.output
    assert "search: 0.5, wait: 0.5" in result.stdout


def test_nothing_is_cut_on_an_80_column_terminal():
    # closed forms are long: they fold onto more lines, never end in an ellipsis
    result = runner.invoke(
        app, ["mdp", "evaluate", "recycling-robot", "-p", "coin", "--symbolic"], terminal_width=80
    )
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout


def test_policy_iteration_refuses_a_sweep_count():
    result = runner.invoke(app, ["mdp", "solve", "recycling-robot", "--sweeps", "2"])
    assert result.exit_code == 2 and "--sweeps" in result.output


def test_markdown_keeps_the_policy_iteration_trace():
    # Silver's student MDP: pi_0 sleeps in Class2 (v = 0); one improvement gives study
    # there and v*(Class2) = 8 (Silver's lecture 2 value)
    result = runner.invoke(app, ["mdp", "solve", "student-mdp", "--trace", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "**iteration 1: v of pi_0**" in text and "| Class2 | 0 | sleep |" in text
    assert "changes: Class2" in text
    assert "**iteration 2: v of pi_1**" in text and "| Class2 | 8 | study |" in text


def test_show_work_in_place_sweep_uses_values_already_updated():
    # Gauss-Seidel, file order: r0c1 is updated first, V1(r0c1) = 1/4·(-1·4) = -1 (all
    # neighbours still 0); then r0c2 sees the new V(r0c1) = -1 on its left:
    # 1/4·(-1 + 0) + 1/4·(-1 + 0) + 1/4·(-1 - 1) + 1/4·(-1 + 0) = -5/4
    result = _random_gridworld(1, "--in-place", "--exact", "--show-work", "--state", "r0c2",
                               "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["work"][0]["lines"] == [
        "V₁(r0c2) = 1/4·[up: -1 + 1·0 = -1] + 1/4·[down: -1 + 1·0 = -1] + "
        "1/4·[left: -1 + 1·(-1) = -2] + 1/4·[right: -1 + 1·0 = -1] = -5/4"
    ]
    assert doc["exact"]["r0c2"] == "-5/4"


def test_greedy_policy_stable_from_the_first_sweep_says_sweep_1():
    # gamma = 0: V_k(s) = max_a r(s, a) for every k >= 1, so the greedy actions never change
    mdp = loads_mdp(TWO.replace("gamma: 1", "gamma: 0"), "two0.yaml")
    sol = value_iteration_sweeps(mdp, 3, Fractions(mdp))
    # V1 = (max(1, 0), max(2, 1/2·4)) = (1, 2); greedy: A stay; B back and gamble tie at 2
    assert [tuple(step.exact_values) for step in sol.trace] == [(1, 2)] * 3
    assert _greedy(mdp, sol.optimal) == {"A": ["stay"], "B": ["back", "gamble"]}
    assert sol.stable_since == 1


DOLLARS = r"""
gamma: 1/2
states: ["$\\input{/etc/hostname}$", "$x_1$", "50%_a&b#"]
transitions:
  "$\\input{/etc/hostname}$": {go: {next: "$x_1$", r: 1}}
  "$x_1$": {go: {next: "50%_a&b#", r: 1}}
  "50%_a&b#": {go: {next: "50%_a&b#", r: 1}}
"""


def test_latex_state_names_in_dollars_are_text_not_latex(tmp_path):
    # A state named "$\input{...}$" used to reach the tabular raw (any cell starting and
    # ending with $ counted as ours), so compiling a shared exercise's write-up ran its
    # LaTeX. Only the exact-value cells we write are math. V*: the third state loops
    # with r = 1, V = 1/(1 - 1/2) = 2; V(x_1) = 1 + 2/2 = 2; V(first) = 1 + 2/2 = 2.
    result = runner.invoke(
        app, ["mdp", "solve", _file(tmp_path, DOLLARS), "--exact", "--format", "latex"]
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert r"\input{" not in text and "$x_1$" not in text
    assert r"\$\textbackslash{}input\{/etc/hostname\}\$ & 2 & 2 & go \\" in text
    assert r"\$x\_1\$ & 2 & 2 & go \\" in text
    assert r"50\%\_a\&b\# & 2 & 2 & go \\" in text
    _well_formed_latex(text)


LOOP = """
gamma: 1
states: [a, b, t]
terminal: [t]
transitions:
  a: {stay: {next: a, r: 1}, out: {next: t, r: 0}}
  b: {spin: {next: b, r: 0}, quit: {next: t, r: -1}}
"""


def test_show_work_state_terminal_and_repeated_states(tmp_path):
    # --state t (terminal) used to print empty sweeps; --state a twice printed a twice.
    # sweep 1 from V0 = 0: a: stay 1 + 1·0 = 1, out 0 + 1·0 = 0 -> 1
    # sweep 2: a: stay 1 + 1·1 = 2, out 0 + 1·0 = 0 -> 2
    result = runner.invoke(
        app,
        ["mdp", "solve", _file(tmp_path, LOOP), "--method", "value-iteration", "--sweeps", "2",
         "--show-work", "--state", "t", "--state", "a", "--state", "a", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    work = json.loads(result.stdout)["work"]
    assert [w["lines"] for w in work] == [
        ["V₁(t) = 0 (terminal state)", "V₁(a) = max{stay: 1 + 1·0 = 1, out: 0 + 1·0 = 0} = 1"],
        ["V₂(t) = 0 (terminal state)", "V₂(a) = max{stay: 1 + 1·1 = 2, out: 0 + 1·0 = 0} = 2"],
    ]
    # policy iteration's q tables say the same of a terminal state
    pi = runner.invoke(
        app,
        ["mdp", "solve", _file(tmp_path, LOOP.replace("gamma: 1", "gamma: 1/2")),
         "--show-work", "--state", "t", "--json"],
    )  # fmt: skip
    assert pi.exit_code == 0, pi.output
    first = json.loads(pi.stdout)["work"][0]["lines"]
    assert first[0] == "q_π₀(t, ·): no actions (terminal state)"


def test_symbolic_region_of_a_probability_stays_within_0_and_1():
    # Recycling robot, gamma = 9/10, policy (high: search, low: recharge), V(low) = 0.9 V(high).
    # Keep alpha: V(high) = 2 + 0.9(alpha V(high) + (1 - alpha) 0.9 V(high)) = 200/(19 - 9 alpha);
    #   low, recharge >= wait: 0.09 V(high) >= 1 <=> 19 - 9 alpha <= 18 <=> alpha >= 1/9;
    #   the other margins hold for every alpha in [0, 1]. Region [1/9, 1], not [1/9, 19/9)
    #   (19/9 is where the denominator vanishes; alpha is a probability).
    # Keep beta: V(high) = 200/(19 - 36/5) = 1000/59 whatever beta; recharge >= search:
    #   0.9 W >= beta (2 + 0.81 W) + (1 - beta)(-3 + 0.9 W) <=> beta (5 - 0.09 W) <= 3
    #   <=> beta <= 3·59/205 = 177/205. Region [0, 177/205], not (-oo, 177/205].
    # Keep r_wait: recharge >= wait in low: 0.09 W >= r_wait with W = 1000/59 (r_wait does
    #   not enter V under this policy) <=> r_wait <= 90/59: unbounded below, written -∞.
    expected = {
        "alpha": "optimal for all alpha ∈ [1/9, 1]",
        "beta": "optimal for all beta ∈ [0, 177/205]",
        "r_wait": "optimal for all r_wait ∈ (-∞, 90/59]",
    }
    for name, region in expected.items():
        result = runner.invoke(
            app, ["mdp", "solve", "recycling-robot", "--symbolic", "--keep", name, "--json"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["region"] == region


def test_symbolic_region_of_an_episodic_file_includes_gamma_1(tmp_path):
    # a: now -> t (r 1) or wait -> b (r 0); b: go -> t (r 2). At the file's gamma = 1,
    # wait earns 0 + gamma·2 = 2 > 1: wait is optimal while 2 gamma >= 1, so gamma in
    # [1/2, 1]; gamma = 1 itself (the file's value, episodes end) belongs to the region.
    text = """
gamma: 1
states: [a, b, t]
terminal: [t]
transitions:
  a: {now: {next: t, r: 1}, wait: {next: b, r: 0}}
  b: {go: {next: t, r: 2}}
"""
    result = runner.invoke(
        app, ["mdp", "solve", _file(tmp_path, text), "--symbolic", "--keep", "gamma", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["policy"]["a"] == "wait"
    assert doc["region"] == "optimal for all gamma ∈ [1/2, 1]"


def test_markdown_worked_steps_fence_outlasts_backticks_in_names(tmp_path):
    # a state named x```y used to close the ``` block of the worked steps early
    text = "gamma: 1/2\nstates: ['x```y']\ntransitions: {'x```y': {go: {next: 'x```y', r: 1}}}\n"
    result = runner.invoke(
        app,
        ["mdp", "solve", _file(tmp_path, text), "--method", "value-iteration", "--sweeps", "1",
         "--show-work", "--format", "markdown"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    block = result.stdout.split("**sweep 1**\n\n")[1].split("\n")
    # V1 = 1 + 1/2·0 = 1, inside a four-backtick fence
    assert block[:3] == ["````", "V₁(x```y) = max{go: 1 + 0.5·0 = 1} = 1", "````"]


def test_tiny_values_are_not_printed_as_zero(tmp_path):
    # one state, stay with r = 1/100000, gamma = 1/2: V* = (1/100000)/(1 - 1/2) = 2e-5,
    # and go with r = -3/100000 to the terminal state: q = -3e-5. Four decimals used to
    # print these as "0" and "-0".
    text = """
gamma: 1/2
states: [a, t]
terminal: [t]
transitions:
  a: {stay: {next: a, r: 1/100000}, go: {next: t, r: -3/100000}}
"""
    result = runner.invoke(app, ["mdp", "solve", _file(tmp_path, text), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "| a | 2e-05 | stay |" in result.stdout
    assert "| go | -3e-05 |" in result.stdout


def test_latex_conditions_are_math_not_python_text():
    # the margins used to reach LaTeX as sympy's text: -(alpha*gamma - gamma + 1)/(...)
    result = runner.invoke(
        app,
        ["mdp", "solve", "recycling-robot", "--symbolic", "--keep", "gamma,alpha", "--format",
         "latex"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    conditions = result.stdout.split("optimality conditions")[1]
    margins = [line for line in conditions.splitlines() if " over " in line]
    assert len(margins) == 3  # high: search over wait; low: recharge over search, wait
    assert all(line.endswith(r"\geq 0$\\") and "*" not in line for line in margins)
    assert r"\frac{6 \gamma}" in conditions  # recharge over search: 6γ/(5(1 + γ − αγ))
    _well_formed_latex(result.stdout)
    text = runner.invoke(app, ["mdp", "solve", "recycling-robot", "--symbolic", "--keep", "gamma"])
    assert "  low: recharge over wait: (9*gamma - 5)/(gamma + 5) >= 0" in text.stdout


def test_a_sweeps_table_too_wide_for_80_columns_is_transposed_not_cut() -> None:
    # 2 states x 12 sweep columns need ~130 columns; transposed (sweeps down, 2 state
    # columns) it fits, and every number must appear whole on one line.
    from rich.console import Console

    from rlcli.render.solution import Section, natural_width, rich_section

    values = [f"{1000 + k}.{k:04d}" for k in range(12)]
    header = ["state", *(f"k={k}" for k in range(12))]
    sec = Section("values after k sweeps", [["high", *values], ["low", *values]], header)
    assert natural_width(header, sec.rows) > 80
    console = Console(width=80, record=True, color_system=None)
    console.print(rich_section(sec, 80))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for v in values:
        assert v in text  # whole, not folded across lines or cut to '1000.…'
    # transposed: the states are the column headings (one line holds both names)
    assert any("high" in line and "low" in line for line in text.splitlines())
    # a table that fits is left as it is: states down, sweeps across
    narrow = Section("v", [["high", "1", "2"], ["low", "3", "4"]], ["state", "k=0", "k=1"])
    console = Console(width=80, record=True, color_system=None)
    console.print(rich_section(narrow, 80))
    assert "state" in console.export_text()

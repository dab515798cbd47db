"""The MDP topic family: sweeps, solves and Bellman equations on a fresh small MDP.

Each exercise is a small MDP file (states A, B, C and a terminal T; two actions per state;
integer rewards; probabilities 1 or 1/2; γ ∈ {1/2, 1}) and a question. Numbers are drawn
again (from the same seed's stream) until every answer cell is a short number:
a fraction with denominator ≤ 12 or a decimal with at most 2 digits, |x| ≤ 100.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from rlcli.grade.answer import Choice
from rlcli.grade.grader import lookup
from rlcli.grade.mdp import Exact, MDPExercise
from rlcli.practice.exercise import Exercise, is_short

TOPICS = {
    "policy-evaluation": "iterative policy evaluation: the values after sweeps 1 and 2 "
    "(synchronous, from V0 = 0; S&B eq. 4.5)",
    "value-iteration": "value iteration: the values after sweeps 1 and 2 and the greedy "
    "actions after sweep 2 (eq. 4.10)",
    "policy-iteration": "policy iteration: V* and the optimal actions (§4.3)",
    "bellman-equations": "the Bellman expectation equations of a policy, solved: v_pi (eq. 3.14)",
    "grid-evaluation": "a small grid world, equiprobable policy: the values after sweeps 1 "
    "and 2 (S&B Figure 4.1)",
}
SWEEPS = 2
FILE = "exercise.yaml"


def _cells(doc: Any) -> list[Any]:
    if isinstance(doc, dict):
        return [c for v in doc.values() for c in _cells(v)]
    return [doc]


def _mdp_yaml(rng: np.random.Generator, gamma: str) -> str:
    states = ["A", "B", "C"]
    lines = [f"gamma: {gamma}", "states: [A, B, C, T]", "terminal: [T]", "start: A",
             "transitions:"]  # fmt: skip
    for s in states:
        lines.append(f"  {s}:")
        for a in ("left", "right"):
            others = [x for x in (*states, "T") if x != s]
            if rng.random() < 0.6:
                nxt = others[int(rng.integers(len(others)))]
                lines.append(f"    {a}: {{next: {nxt}, r: {int(rng.integers(-2, 3))}}}")
            else:
                picks = rng.choice(len(others), size=2, replace=False)
                lines.append(f"    {a}:")
                for i in picks:
                    lines.append(f"      - {{next: {others[int(i)]}, p: 1/2, r: "
                                 f"{int(rng.integers(-2, 3))}}}")  # fmt: skip
    if rng.random() < 0.5:
        policy = "uniform"
    else:
        policy = "{" + ", ".join(f"{s}: {rng.choice(['left', 'right'])}" for s in states) + "}"
    lines += ["policies:", f"  pi: {policy}"]
    return "\n".join(lines) + "\n"


def _grid_yaml(rng: np.random.Generator, gamma: str) -> str:
    """A 2×3, 3×3 or 2×4 map with one or two terminal cells and maybe a wall; every move
    costs -1 (bumping into an edge or wall too: the agent stays)."""
    rows, cols = [(2, 3), (3, 3), (2, 4)][int(rng.integers(3))]
    cells = ["."] * (rows * cols)
    picks = rng.choice(rows * cols, size=3, replace=False)
    cells[int(picks[0])] = "T"
    cells[int(picks[1])] = "T" if rng.random() < 0.4 else "."
    cells[int(picks[2])] = "#" if rng.random() < 0.4 else "."
    grid = "\n".join("    " + " ".join(cells[r * cols : (r + 1) * cols]) for r in range(rows))
    return (f"gamma: {gamma}\ngrid:\n  map: |\n{grid}\n  step_reward: -1\n"
            "policies:\n  pi: uniform\n")  # fmt: skip


def _spec(topic: str, mdp: Any) -> tuple[MDPExercise, tuple[str, ...], str, str]:
    from rlcli.mdp.policy import resolve_policy

    pi = resolve_policy(mdp, "pi")
    if topic == "grid-evaluation":
        return (
            MDPExercise(mdp, "evaluate", "sweeps", SWEEPS, False, pi),
            ("sweeps",),
            "Evaluate the equiprobable policy pi on this grid (states r{row}c{col}, rows "
            "and columns counted from 0 at the top left; moves up/down/left/right, every "
            "move's reward step_reward from the file; a move off the grid or into # stays "
            "put; T terminal, value 0) by synchronous sweeps from V0 = 0: give V1 and V2 "
            "for every non-terminal cell (answer: sweeps: {1: {r0c0: .., ..}, 2: {..}}).",
            f"evaluate -p pi --method iterative --sweeps {SWEEPS} --exact",
        )
    if topic == "policy-evaluation":
        return (MDPExercise(mdp, "evaluate", "sweeps", SWEEPS, False, pi), ("sweeps",),
                "Evaluate policy pi by synchronous sweeps from V0 = 0: give V1 and V2 "
                "(answer: sweeps: {1: {A: .., B: .., C: ..}, 2: {..}}).",
                f"evaluate -p pi --method iterative --sweeps {SWEEPS} --exact")  # fmt: skip
    if topic == "value-iteration":
        return (MDPExercise(mdp, "solve", "sweeps", SWEEPS), ("sweeps", "policy"),
                "Run value iteration from V0 = 0: give V1, V2 and the actions greedy with "
                "respect to V2, argmax_a Σ p·(r + γ·V2(s')) (answer: sweeps: {1: {A: .., "
                "..}, 2: {..}}, policy: {A: left, ..}); the file's policy pi is not used.",
                f"solve --method value-iteration --sweeps {SWEEPS} --exact")  # fmt: skip
    if topic == "policy-iteration":
        return (MDPExercise(mdp, "solve", "policy-iteration"), ("values", "policy"),
                "Find V* and the optimal actions by policy iteration (from any initial "
                "policy: the answer does not depend on it, nor on the file's pi) "
                "(answer: values: {A: .., B: .., C: ..}, policy: {A: left, ..}).",
                "solve --exact")  # fmt: skip
    return (MDPExercise(mdp, "evaluate", "linear", pi=pi), ("values",),
            "Write the Bellman expectation equations of policy pi and solve them for "
            "v_pi (answer: A=.., B=.., C=..).", "evaluate -p pi --exact")  # fmt: skip


def draw(topic: str, rng: np.random.Generator) -> Exercise | None:
    """One draw of ``topic`` from ``rng``: the exercise, or None when an answer is not short
    (or a policy question has tied actions)."""
    from rlcli.grade.mdp import grade_mdp
    from rlcli.mdp.read.load import loads_mdp
    from rlcli.render.grading import worked_lines

    gamma = "1/2" if rng.random() < 0.6 else "1"
    text = _grid_yaml(rng, gamma) if topic == "grid-evaluation" else _mdp_yaml(rng, gamma)
    mdp = loads_mdp(text, FILE)
    spec, asked, question, options = _spec(topic, mdp)
    worked = Exact(spec).work()
    if worked is None:
        return None
    numbers = [c for c in _cells({k: worked.doc[k] for k in asked}) if isinstance(c, Fraction)]
    if not all(is_short(x) for x in numbers) or not _fair(topic, worked.doc):
        return None
    truth = dict(worked.doc)
    command, rest = options.split(" ", 1)
    return Exercise(
        topic, question, {FILE: text}, f"rlcli mdp {command} {FILE} {rest}", asked, truth,
        grade=lambda answer, tol: grade_mdp(spec, answer, tol, text=True),
        work=lambda: worked_lines(spec, asked, truth),
        given=frozenset(n for n, end in zip(mdp.states, mdp.terminal, strict=True) if end),
    )  # fmt: skip


def _fair(topic: str, doc: dict[str, Any]) -> bool:
    """Policy questions with a unique optimal action per state (no ties to argue about)."""
    policy = doc.get("policy")
    if topic in ("value-iteration", "policy-iteration"):
        return all(isinstance(c, Choice) and len(c.right) == 1 for c in policy.values())
    return lookup(doc, ("values",)) is not None

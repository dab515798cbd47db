"""Issue 13: for every practice topic, 200 generated exercises (seeds 0-199) are solved by
the tool and by an independent reference written here in exact fractions (read straight
from the YAML with PyYAML; sweeps by the textbook formulas, V_pi by Cramer's rule, V* by
enumerating every deterministic policy), with equal answers; and every answer is a short,
hand-computable number."""

from __future__ import annotations

from fractions import Fraction as F
from itertools import product

import pytest
import yaml

from rlcli.grade.answer import Choice
from rlcli.practice.mdp_topics import TOPICS
from rlcli.practice.topics import generate

SEEDS = range(200)


def model(text: str):
    """states, terminal, gamma, {s: {a: [(p, r, s')]}}, the policy {s: {a: prob}}."""
    data = yaml.safe_load(text)
    gamma = F(str(data["gamma"]))
    trans = {}
    for s, acts in data["transitions"].items():
        trans[s] = {}
        for a, out in acts.items():
            outs = out if isinstance(out, list) else [out]
            trans[s][a] = [(F(str(o.get("p", 1))), F(o["r"]), o["next"]) for o in outs]
    pol = data["policies"]["pi"]
    if pol == "uniform":
        pi = {s: {a: F(1, len(acts)) for a in acts} for s, acts in trans.items()}
    else:
        pi = {s: {a: F(int(a == pol[s])) for a in acts} for s, acts in trans.items()}
    return data["states"], set(data["terminal"]), gamma, trans, pi


def q(trans, gamma, v, s, a):
    return sum(p * (r + gamma * v[n]) for p, r, n in trans[s][a])


def optimality_backup(trans, gamma):
    """max_a Σ p·(r + γ·v(s')), the value-iteration backup of state s."""
    return lambda s, v: max(q(trans, gamma, v, s, a) for a in trans[s])


def sweeps(states, terminal, gamma, trans, backup, k):
    v = {s: F(0) for s in states}
    out = []
    for _ in range(k):
        v = {s: v[s] if s in terminal else backup(s, v) for s in states}
        out.append(v)
    return out


def det(m):
    n = len(m)
    if n == 1:
        return m[0][0]
    return sum(
        (-1) ** j * m[0][j] * det([row[:j] + row[j + 1 :] for row in m[1:]]) for j in range(n)
    )


def solve_policy(states, terminal, gamma, trans, pi):
    """v = r_pi + gamma P_pi v by Cramer's rule; None if singular."""
    live = [s for s in states if s not in terminal]
    a = [[F(int(i == j)) for j in live] for i in live]
    b = []
    for i, s in enumerate(live):
        rhs = F(0)
        for act, prob in pi[s].items():
            for p, r, n in trans[s][act]:
                rhs += prob * p * r
                if n not in terminal:
                    a[i][live.index(n)] -= prob * p * gamma
        b.append(rhs)
    d = det(a)
    if d == 0:
        return None
    v = {s: F(0) for s in terminal}
    for j, s in enumerate(live):
        v[s] = (
            det([[b[i] if c == j else a[i][c] for c in range(len(live))] for i in range(len(live))])
            / d
        )
    return v


def optimal(states, terminal, gamma, trans):
    """V* = the element-wise best over every deterministic policy with a finite value."""
    live = [s for s in states if s not in terminal]
    best = None
    for choice in product(*(list(trans[s]) for s in live)):
        pi = {s: {a: F(int(a == c)) for a in trans[s]} for s, c in zip(live, choice, strict=True)}
        v = solve_policy(states, terminal, gamma, trans, pi)
        if v is None or (gamma == 1 and not _proper(terminal, trans, pi, live)):
            continue
        best = v if best is None else {s: max(best[s], v[s]) for s in states}
    return best


def _proper(terminal, trans, pi, live):
    reach = set(terminal)
    changed = True
    while changed:
        changed = False
        for s in live:
            if s not in reach and any(
                n in reach for a, pr in pi[s].items() if pr for _, _, n in trans[s][a]
            ):
                reach.add(s)
                changed = True
    return all(s in reach for s in live)


def greedy(states, terminal, gamma, trans, v):
    out = {}
    for s in states:
        if s in terminal:
            continue
        qs = {a: q(trans, gamma, v, s, a) for a in trans[s]}
        out[s] = {a for a, x in qs.items() if x == max(qs.values())}
    return out


def grid_model(text: str):
    """The grid form expanded by hand: cells r{row}c{col}; T terminal, # a wall; each of
    up/down/left/right costs -1 and moves one cell, or stays put at an edge or wall."""
    data = yaml.safe_load(text)
    rows = [line.split() for line in data["grid"]["map"].strip("\n").split("\n")]
    cells = {(r, c): x for r, row in enumerate(rows) for c, x in enumerate(row)}
    states = [f"r{r}c{c}" for (r, c), x in cells.items() if x != "#"]
    terminal = {f"r{r}c{c}" for (r, c), x in cells.items() if x == "T"}
    moves = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
    trans = {}
    for (r, c), x in cells.items():
        if x in "#T":
            continue
        trans[f"r{r}c{c}"] = {}
        for a, (dr, dc) in moves.items():
            nr, nc = (r + dr, c + dc) if cells.get((r + dr, c + dc), "#") != "#" else (r, c)
            trans[f"r{r}c{c}"][a] = [(F(1), F(-1), f"r{nr}c{nc}")]
    pi = {s: {a: F(1, 4) for a in acts} for s, acts in trans.items()}
    return states, terminal, F(str(data["gamma"])), trans, pi


def reference(topic: str, text: str) -> dict:
    states, terminal, gamma, trans, pi = (grid_model if topic == "grid-evaluation" else model)(text)
    if topic in ("policy-evaluation", "grid-evaluation"):

        def backup(s, v):
            return sum(pi[s][a] * q(trans, gamma, v, s, a) for a in trans[s])

        return {"sweeps": dict(enumerate(sweeps(states, terminal, gamma, trans, backup, 2), 1))}
    if topic == "value-iteration":
        vs = sweeps(states, terminal, gamma, trans, optimality_backup(trans, gamma), 2)
        return {
            "sweeps": dict(enumerate(vs, 1)),
            "policy": greedy(states, terminal, gamma, trans, vs[-1]),
        }
    if topic == "policy-iteration":
        v = optimal(states, terminal, gamma, trans)
        return {"values": v, "policy": greedy(states, terminal, gamma, trans, v)}
    return {"values": solve_policy(states, terminal, gamma, trans, pi)}


def plain(doc):
    if isinstance(doc, dict):
        return {str(k): plain(v) for k, v in doc.items()}
    if isinstance(doc, Choice):
        return set(doc.right)
    return doc


def short(x: F) -> bool:
    """Hand-sized: |x| <= 100, a fraction with denominator <= 12 or a <= 2-digit decimal."""
    return abs(x) <= 100 and (x.denominator <= 12 or 100 % x.denominator == 0)


def numbers(doc):
    if isinstance(doc, dict):
        return [x for v in doc.values() for x in numbers(v)]
    return [doc] if isinstance(doc, F) else []


@pytest.mark.parametrize("topic", list(TOPICS))
def test_two_hundred_exercises_match_an_independent_reference(topic):
    for seed in SEEDS:
        ex = generate(topic, seed)
        text = ex.files["exercise.yaml"]
        assert plain(ex.solution) == plain(reference(topic, text)), (topic, seed)
        cells = numbers(ex.solution)
        assert cells and all(short(x) for x in cells), (topic, seed, cells)


def test_a_seed_reproduces_the_exercise_and_seeds_differ():
    for topic in TOPICS:
        assert generate(topic, 5) == generate(topic, 5)
        assert len({generate(topic, s).files["exercise.yaml"] for s in range(10)}) >= 8


def test_policy_questions_have_one_optimal_action_per_state():
    for topic in ("value-iteration", "policy-iteration"):
        for seed in range(50):
            assert all(len(c.right) == 1 for c in generate(topic, seed).solution["policy"].values())


def test_grid_terminal_cells_need_not_be_given():
    # grid-evaluation seed 1: a 3×3 grid, terminal at r1c2 (the map in the file)
    ex = generate("grid-evaluation", 1)
    assert "    . . .\n    . . T\n    . . .\n" in ex.files["exercise.yaml"]
    assert ex.given == frozenset({"r1c2"})
    report = ex.grade("sweeps: {1: {r0c0: -1}}", None)
    missing = ex.missing(report)
    assert len(missing) == 2 * 8 - 1 and "sweeps.1.r1c2" not in missing


def test_value_iteration_policy_is_greedy_with_respect_to_v2_as_the_question_says():
    # "the greedy actions after sweep 2" could be read as the actions achieving the max in
    # sweep 2 (greedy w.r.t. V1); the truth is greedy w.r.t. V2, and in seed 9 the two differ
    other_reading = 0
    for seed in range(12):
        ex = generate("value-iteration", seed)
        assert "greedy with respect to V2, argmax_a Σ p·(r + γ·V2(s'))" in ex.question
        states, terminal, gamma, trans, _ = model(ex.files["exercise.yaml"])
        v1, v2 = sweeps(states, terminal, gamma, trans, optimality_backup(trans, gamma), 2)
        truth = {s: set(c.right) for s, c in ex.truth["policy"].items()}
        assert truth == greedy(states, terminal, gamma, trans, v2), seed
        other_reading += greedy(states, terminal, gamma, trans, v1) != truth
    assert other_reading >= 1


def test_grid_question_says_where_r0c0_is_and_solve_questions_set_pi_aside():
    assert "counted from 0 at the top left" in generate("grid-evaluation", 1).question
    assert "for every non-terminal cell" in generate("grid-evaluation", 1).question
    assert "the file's policy pi is not used" in generate("value-iteration", 1).question
    assert "from any initial policy" in generate("policy-iteration", 1).question

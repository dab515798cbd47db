"""The grid-world form: each bundled grid against an independent, hand-written model of
its textbook dynamics, a few transitions checked by hand, and the form's errors."""

from __future__ import annotations

import textwrap
from collections import deque
from pathlib import Path

import pytest

from rlcli.errors import MDPFileError
from rlcli.mdp.read.load import load_mdp, loads_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
MOVE = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def name(r: int, c: int) -> str:
    return f"r{r}c{c}"


def dist(mdp, state: str, action: str) -> dict[tuple[str, float], float]:
    """{(next state, reward): probability} of one (state, action), outcomes merged."""
    result: dict[tuple[str, float], float] = {}
    for z in mdp.outcomes(mdp.pair(state, action)):
        key = (mdp.states[mdp.out_next[z]], float(mdp.out_reward[z]))
        result[key] = result.get(key, 0.0) + float(mdp.out_prob[z])
    return result


def assert_same_dynamics(mdp, reference: dict[str, dict[str, dict]]) -> None:
    """The model equals ``reference`` {state: {action: {(next, r): p}}} exactly."""
    nonterminal = {s for i, s in enumerate(mdp.states) if not mdp.terminal[i]}
    assert nonterminal == set(reference)
    for s, actions in reference.items():
        assert set(mdp.actions_of(mdp.state_index[s])) == set(actions), s
        for a, expected in actions.items():
            got = dist(mdp, s, a)
            assert got.keys() == expected.keys(), (s, a, got, expected)
            for key, p in expected.items():
                assert got[key] == pytest.approx(p, abs=1e-12), (s, a, key)


# ---- 4x4 gridworld (S&B Example 4.1) ------------------------------------------------------


def test_gridworld_4x4_matches_hand_model() -> None:
    mdp = load_mdp(PROBLEMS / "gridworld-4x4.yaml")
    assert mdp.n_states == 16 and int(mdp.terminal.sum()) == 2
    assert mdp.terminal[mdp.state_index["r0c0"]] and mdp.terminal[mdp.state_index["r3c3"]]
    assert mdp.gamma == 1
    reference = {}
    for r in range(4):
        for c in range(4):
            if (r, c) in ((0, 0), (3, 3)):
                continue
            acts = {}
            for a, (dr, dc) in MOVE.items():
                nr, nc = r + dr, c + dc
                if not (0 <= nr < 4 and 0 <= nc < 4):
                    nr, nc = r, c
                acts[a] = {(name(nr, nc), -1.0): 1.0}
            reference[name(r, c)] = acts
    assert_same_dynamics(mdp, reference)


def test_gridworld_4x4_spot_checks() -> None:
    mdp = load_mdp(PROBLEMS / "gridworld-4x4.yaml")
    assert dist(mdp, "r0c1", "left") == {("r0c0", -1.0): 1.0}  # into the terminal corner
    assert dist(mdp, "r0c1", "up") == {("r0c1", -1.0): 1.0}  # bump: stay, still -1
    assert dist(mdp, "r2c3", "down") == {("r3c3", -1.0): 1.0}
    assert dist(mdp, "r3c0", "left") == {("r3c0", -1.0): 1.0}
    assert dist(mdp, "r1c2", "right") == {("r1c3", -1.0): 1.0}
    assert mdp.layout is not None and mdp.layout.shape == (4, 4)
    assert mdp.layout.state_at(2, 1) == "r2c1"


# ---- 5x5 gridworld with teleports (S&B Example 3.5) ---------------------------------------


def test_gridworld_5x5_matches_hand_model() -> None:
    mdp = load_mdp(PROBLEMS / "gridworld-5x5.yaml")
    assert mdp.n_states == 25 and not mdp.terminal.any() and mdp.gamma == 0.9
    reference = {}
    for r in range(5):
        for c in range(5):
            acts = {}
            for a, (dr, dc) in MOVE.items():
                if (r, c) == (0, 1):
                    acts[a] = {("r4c1", 10.0): 1.0}
                elif (r, c) == (0, 3):
                    acts[a] = {("r2c3", 5.0): 1.0}
                elif 0 <= r + dr < 5 and 0 <= c + dc < 5:
                    acts[a] = {(name(r + dr, c + dc), 0.0): 1.0}
                else:
                    acts[a] = {(name(r, c), -1.0): 1.0}
            reference[name(r, c)] = acts
    assert_same_dynamics(mdp, reference)


def test_gridworld_5x5_spot_checks() -> None:
    mdp = load_mdp(PROBLEMS / "gridworld-5x5.yaml")
    assert dist(mdp, "r0c1", "up") == {("r4c1", 10.0): 1.0}  # A -> A' even "off the grid"
    assert dist(mdp, "r0c3", "left") == {("r2c3", 5.0): 1.0}  # B -> B'
    assert dist(mdp, "r0c0", "up") == {("r0c0", -1.0): 1.0}  # bump
    assert dist(mdp, "r0c0", "right") == {("r0c1", 0.0): 1.0}  # entering A costs nothing
    assert dist(mdp, "r4c4", "down") == {("r4c4", -1.0): 1.0}


# ---- cliff walking (S&B Example 6.6) -------------------------------------------------------


def test_cliff_walking_matches_hand_model() -> None:
    mdp = load_mdp(PROBLEMS / "cliff-walking.yaml")
    cliff = {(3, c) for c in range(1, 11)}
    assert mdp.n_states == 48 - len(cliff)
    for r, c in cliff:
        assert name(r, c) not in mdp.state_index
    start, goal = "r3c0", "r3c11"
    assert mdp.terminal[mdp.state_index[goal]] and int(mdp.terminal.sum()) == 1
    assert mdp.start is not None and mdp.start[mdp.state_index[start]] == 1
    reference = {}
    for r in range(4):
        for c in range(12):
            if (r, c) in cliff or (r, c) == (3, 11):
                continue
            acts = {}
            for a, (dr, dc) in MOVE.items():
                nr, nc = r + dr, c + dc
                if not (0 <= nr < 4 and 0 <= nc < 12):
                    acts[a] = {(name(r, c), -1.0): 1.0}
                elif (nr, nc) in cliff:
                    acts[a] = {(start, -100.0): 1.0}
                else:
                    acts[a] = {(name(nr, nc), -1.0): 1.0}
            reference[name(r, c)] = acts
    assert_same_dynamics(mdp, reference)
    assert dist(mdp, "r3c0", "right") == {("r3c0", -100.0): 1.0}
    assert dist(mdp, "r2c5", "down") == {("r3c0", -100.0): 1.0}
    assert dist(mdp, "r2c11", "down") == {("r3c11", -1.0): 1.0}


# ---- windy gridworld (S&B Example 6.5) -----------------------------------------------------

WIND = [0, 0, 0, 1, 1, 1, 2, 2, 1, 0]


def test_windy_gridworld_matches_hand_model() -> None:
    mdp = load_mdp(PROBLEMS / "windy-gridworld.yaml")
    assert mdp.n_states == 70
    reference = {}
    for r in range(7):
        for c in range(10):
            if (r, c) == (3, 7):
                continue
            acts = {}
            for a, (dr, dc) in MOVE.items():
                nr = min(max(r + dr - WIND[c], 0), 6)  # wind of the column moved from
                nc = min(max(c + dc, 0), 9)
                acts[a] = {(name(nr, nc), -1.0): 1.0}
            reference[name(r, c)] = acts
    assert_same_dynamics(mdp, reference)


def test_windy_gridworld_hand_moves() -> None:
    mdp = load_mdp(PROBLEMS / "windy-gridworld.yaml")
    assert dist(mdp, "r3c0", "right") == {("r3c1", -1.0): 1.0}  # no wind in column 0
    assert dist(mdp, "r3c3", "right") == {("r2c4", -1.0): 1.0}  # wind 1 from column 3
    assert dist(mdp, "r3c6", "right") == {("r1c7", -1.0): 1.0}  # wind 2
    assert dist(mdp, "r1c7", "up") == {("r0c7", -1.0): 1.0}  # clipped at the top
    assert dist(mdp, "r0c6", "down") == {("r0c6", -1.0): 1.0}  # down 1, wind 2, clipped
    assert dist(mdp, "r4c7", "left") == {("r2c6", -1.0): 1.0}
    assert dist(mdp, "r2c9", "right") == {("r2c9", -1.0): 1.0}  # edge, no wind in column 9


WINDY_EDGES = """\
gamma: 1
grid:
  map: |
    S . G
    . . X
  step_reward: -1
  bump_reward: -3
  wind: [0, 1, 1]
  cells:
    G: {terminal: true, reward: 10}
    X: {reward: -5}
"""


def test_windy_edges_next_state_and_reward_follow_one_rule() -> None:
    # target = (r + dr - wind[c], c + dc), clipped to the 2x3 grid; reward: the cell
    # entered (G +10, X -5, else -1), or the bump -3 when clipping left the agent in place.
    mdp = loads_mdp(WINDY_EDGES, "gw.yaml")
    assert_same_dynamics(mdp, {
        "r0c0": {"up": {("r0c0", -3): 1},     # (-1, 0) -> (0, 0): stopped by the edge
                 "down": {("r1c0", -1): 1}, "left": {("r0c0", -3): 1},
                 "right": {("r0c1", -1): 1}},
        "r0c1": {"up": {("r0c1", -3): 1},     # (-2, 1) -> (0, 1)
                 "down": {("r0c1", -1): 1},   # (0, 1): down 1, wind 1, never off the grid
                 "left": {("r0c0", -1): 1},   # (-1, 0) -> (0, 0), a different cell
                 "right": {("r0c2", 10): 1}},  # (-1, 2) -> (0, 2) = G
        "r1c0": {"up": {("r0c0", -1): 1}, "down": {("r1c0", -3): 1},
                 "left": {("r1c0", -3): 1}, "right": {("r1c1", -1): 1}},
        "r1c1": {"up": {("r0c1", -1): 1},
                 "down": {("r1c1", -1): 1},   # (1, 1): the wind cancels the move, no bump
                 "left": {("r0c0", -1): 1}, "right": {("r0c2", 10): 1}},
        "r1c2": {"up": {("r0c2", 10): 1},     # (-1, 2) -> (0, 2) = G
                 "down": {("r1c2", -5): 1},   # (1, 2): back in X
                 "left": {("r0c1", -1): 1},
                 "right": {("r0c2", 10): 1}},  # (0, 3) -> (0, 2) = G: entered, +10
    })  # fmt: skip


def _shortest_path(mdp, start: str) -> int:
    """BFS over the expanded model's deterministic transitions."""
    seen = {start: 0}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        i = mdp.state_index[s]
        if mdp.terminal[i]:
            return seen[s]
        for k in mdp.pairs_of(i):
            for z in mdp.outcomes(k):
                nxt = mdp.states[mdp.out_next[z]]
                if nxt not in seen:
                    seen[nxt] = seen[s] + 1
                    queue.append(nxt)
    raise AssertionError("goal unreachable")


def test_windy_gridworld_shortest_path_is_15() -> None:
    mdp = load_mdp(PROBLEMS / "windy-gridworld.yaml")
    start = mdp.states[int(mdp.start.argmax())]
    assert start == "r3c0"
    assert mdp.states[int(mdp.terminal.argmax())] == "r3c7"
    assert _shortest_path(mdp, start) == 15


def test_cliff_shortest_path_is_13() -> None:
    mdp = load_mdp(PROBLEMS / "cliff-walking.yaml")
    assert _shortest_path(mdp, "r3c0") == 13


# ---- FrozenLake 4x4, slippery (Gymnasium) --------------------------------------------------

LAKE = ["SFFF", "FHFH", "FFFH", "HFFG"]


def _gymnasium_frozenlake() -> dict[str, dict[str, dict]]:
    """Gymnasium FrozenLake-v1's P, re-derived: action a slips to (a-1)%4, a, (a+1)%4 with
    1/3 each (LEFT=0, DOWN=1, RIGHT=2, UP=3); off-grid stays; reward 1 on entering G;
    H and G end the episode."""
    order = ["left", "down", "right", "up"]
    reference = {}
    for r in range(4):
        for c in range(4):
            if LAKE[r][c] in "HG":
                continue
            acts = {}
            for a in range(4):
                outcome: dict[tuple[str, float], float] = {}
                for b in ((a - 1) % 4, a, (a + 1) % 4):
                    dr, dc = MOVE[order[b]]
                    nr, nc = min(max(r + dr, 0), 3), min(max(c + dc, 0), 3)
                    key = (name(nr, nc), 1.0 if LAKE[nr][nc] == "G" else 0.0)
                    outcome[key] = outcome.get(key, 0.0) + 1 / 3
                acts[order[a]] = outcome
            reference[name(r, c)] = acts
    return reference


def test_frozenlake_matches_gymnasium_dynamics() -> None:
    mdp = load_mdp(PROBLEMS / "frozenlake-4x4.yaml")
    assert mdp.n_states == 16
    terminal = {mdp.states[i] for i in range(16) if mdp.terminal[i]}
    assert terminal == {"r1c1", "r1c3", "r2c3", "r3c0", "r3c3"}
    assert mdp.gamma == 0.99
    assert_same_dynamics(mdp, _gymnasium_frozenlake())


def test_frozenlake_hand_enumerated() -> None:
    mdp = load_mdp(PROBLEMS / "frozenlake-4x4.yaml")
    third = pytest.approx(1 / 3)
    # start, LEFT: left (bump), up (bump) -> stay 2/3; down 1/3
    got = dist(mdp, "r0c0", "left")
    assert got == {("r0c0", 0.0): pytest.approx(2 / 3), ("r1c0", 0.0): third}
    # next to the goal, RIGHT: right -> G (+1), up -> r2c2, down -> bump stays in r3c2
    got = dist(mdp, "r3c2", "right")
    assert got == {("r3c3", 1.0): third, ("r2c2", 0.0): third, ("r3c2", 0.0): third}
    # above a hole, DOWN: down -> hole, left/right on row 2
    got = dist(mdp, "r0c1", "down")
    assert got == {("r1c1", 0.0): third, ("r0c0", 0.0): third, ("r0c2", 0.0): third}


def test_frozenlake_probabilities_exact() -> None:
    from fractions import Fraction

    mdp = load_mdp(PROBLEMS / "frozenlake-4x4.yaml")
    gamma, probs, rewards = mdp.exact.rational()
    assert gamma == Fraction(99, 100)
    assert set(probs) <= {Fraction(1, 3), Fraction(2, 3), Fraction(1)}
    assert set(rewards) <= {Fraction(0), Fraction(1)}


# ---- a small custom grid -------------------------------------------------------------------


def test_walls_bump_reward_and_cell_reward() -> None:
    text = """\
    gamma: 1
    grid:
      map: |
        S # G
        . . $
      step_reward: -1
      bump_reward: -5
      cells:
        $: {reward: 3}
    """
    mdp = loads_mdp(textwrap.dedent(text), "g.yaml")
    assert "r0c1" not in mdp.state_index  # walls are not states
    assert mdp.n_states == 5
    assert dist(mdp, "r0c0", "right") == {("r0c0", -5.0): 1.0}  # into a wall
    assert dist(mdp, "r0c0", "up") == {("r0c0", -5.0): 1.0}  # into the edge
    assert dist(mdp, "r1c1", "right") == {("r1c2", 3.0): 1.0}  # entering $
    assert dist(mdp, "r1c2", "up") == {("r0c2", -1.0): 1.0}
    assert dist(mdp, "r1c1", "up") == {("r1c1", -5.0): 1.0}


def test_slip_merges_outcomes_and_sums_to_one() -> None:
    text = "gamma: 1\ngrid:\n  map: |\n    . .\n    . G\n  slip: 1/5\n"
    mdp = loads_mdp(text, "g.yaml")
    # from r0c0 up: intended up (bump) 4/5, sideways left (bump) 1/10, right 1/10
    assert dist(mdp, "r0c0", "up") == {
        ("r0c0", 0.0): pytest.approx(0.9),
        ("r0c1", 0.0): pytest.approx(0.1),
    }
    import numpy as np

    sums = np.bincount(mdp.out_pair, weights=mdp.out_prob)
    assert np.allclose(sums, 1)


def test_compact_map_without_spaces_equals_spaced_map() -> None:
    a = loads_mdp("gamma: 1\ngrid:\n  map: |\n    S.\n    .G\n", "g.yaml")
    b = loads_mdp("gamma: 1\ngrid:\n  map: |\n    S .\n    . G\n", "g.yaml")
    assert a.states == b.states
    assert list(a.out_next) == list(b.out_next)


# ---- grid-form errors ----------------------------------------------------------------------


def grid_problems(text: str):
    with pytest.raises(MDPFileError) as info:
        loads_mdp(textwrap.dedent(text), "g.yaml")
    return [(p.line, p.path, p.message) for p in info.value.problems]


def test_ragged_rows() -> None:
    # map: is on line 3, so the rows of its | block are on lines 4 and 5
    found = grid_problems("gamma: 1\ngrid:\n  map: |\n    . . .\n    . .\n")
    assert found == [
        (5, "grid.map", "row 1 has 2 cells, row 0 has 3; all rows must match"),
    ]


def test_ragged_rows_do_not_hide_unknown_cells_and_name_each_row_line() -> None:
    # lines: 3 "map: |", 4 row 0, 5 blank, 6 row 1 (ragged), 7 row 2 (unknown Z)
    found = grid_problems("gamma: 1\ngrid:\n  map: |\n    . . .\n\n    . .\n    . Z G\n")
    assert [(line, path) for line, path, _ in found] == [(6, "grid.map"), (7, "grid.map")]
    assert "row 1 has 2 cells" in found[0][2]
    assert "row 2, column 1: unknown cell 'Z'" in found[1][2]


def test_a_cell_defined_but_not_on_the_map_is_reported() -> None:
    found = grid_problems("gamma: 1\ngrid:\n  map: |\n    S . G\n  cells:\n    Q: {reward: 1}\n")
    assert found == [(6, "grid.cells.Q", "'Q' is not on the map")]


def test_unknown_letter() -> None:
    found = grid_problems("gamma: 1\ngrid:\n  map: |\n    . X\n    . G\n")
    assert len(found) == 1
    line, path, msg = found[0]
    assert (line, path) == (4, "grid.map")  # row 0's own line, below map: |
    assert "row 0, column 1: unknown cell 'X'" in msg


def test_bad_wind_length() -> None:
    found = grid_problems("gamma: 1\ngrid:\n  map: |\n    . . G\n  wind: [0, 1]\n")
    assert found == [(5, "grid.wind", "expected 3 non-negative whole numbers, one per column")]


def test_negative_wind() -> None:
    found = grid_problems("gamma: 1\ngrid:\n  map: |\n    . . G\n  wind: [0, -1, 0]\n")
    assert [f[:2] for f in found] == [(5, "grid.wind")]


def test_jump_to_missing_mark() -> None:
    text = """\
    gamma: 1
    grid:
      map: |
        A . G
      cells:
        A: {jump: z, jump_reward: 1}
    """
    found = grid_problems(text)
    assert len(found) == 1
    line, path, msg = found[0]
    assert (line, path) == (6, "grid.cells.A.jump")
    assert "'z'" in msg and "exactly one cell" in msg


def test_unknown_grid_and_cell_fields() -> None:
    text = """\
    gamma: 1
    grid:
      map: |
        A . G
      slipp: 0.1
      cells:
        A: {rewrd: 1}
    """
    found = grid_problems(text)
    assert [f[:2] for f in found] == [(5, "grid.slipp"), (7, "grid.cells.A.rewrd")]


def test_grid_and_states_clash() -> None:
    found = grid_problems("gamma: 1\nstates: [a]\ngrid:\n  map: |\n    . G\n")
    assert found[0][:2] == (2, "states") and "either grid or" in found[0][2]


def test_slip_out_of_range_and_bad_moves() -> None:
    found = grid_problems("gamma: 1\ngrid:\n  map: . G\n  slip: 3/2\n  moves: [up, jump]\n")
    paths = {(f[0], f[1]) for f in found}
    assert (5, "grid.moves[1]") in paths
    found = grid_problems("gamma: 1\ngrid:\n  map: . G\n  slip: 3/2\n")
    assert found == [(4, "grid.slip", "must be a probability in [0, 1], got 1.5")]


def test_map_must_be_text() -> None:
    found = grid_problems("gamma: 1\ngrid:\n  map: [1, 2]\n")
    assert found[0][:2] == (3, "grid.map") and "expected the map as text" in found[0][2]


def test_cell_flag_must_be_boolean() -> None:
    found = grid_problems("gamma: 1\ngrid:\n  map: . X\n  cells:\n    X: {terminal: 'yes'}\n")
    assert found == [(5, "grid.cells.X.terminal", "expected true or false")]


# Regression: grid.slip that fails to evaluate: ExprError escapes expand_grid (traceback).
def test_grid_slip_division_by_zero_is_reported() -> None:
    with pytest.raises(MDPFileError):
        loads_mdp("gamma: 1\ngrid:\n  map: . G\n  slip: 1/0\n", "g.yaml")


# Regression: grid.moves with a list/mapping item: TypeError unhashable in grid._moves.
def test_grid_moves_nested_list_is_reported() -> None:
    with pytest.raises(MDPFileError):
        loads_mdp("gamma: 1\ngrid:\n  map: . G\n  moves: [[up]]\n", "g.yaml")


# Regression: Grid step_reward / cell reward / jump_reward errors: no line, and the path names
#    generated transitions (transitions.r0c0.up[0].r, once per move) instead of the field.
def test_grid_reward_error_names_its_field_and_line() -> None:
    with pytest.raises(MDPFileError) as info:
        loads_mdp("gamma: 1\ngrid:\n  map: . G\n  step_reward: 1/0\n", "g.yaml")
    assert [(p.line, p.path) for p in info.value.problems] == [(4, "grid.step_reward")]

"""The compact grid-world form: a text map that expands to states and transitions.

```yaml
gamma: 1
grid:
  map: |
    T . . .
    . . . .
    . . . .
    . . . T
  step_reward: -1          # reward of every move (default 0)
  bump_reward: -1          # the edge or a wall stops the agent where it was (default step_reward)
  moves: [up, down, left, right]     # default; also up-left, up-right, down-left, down-right, stay
  slip: 0                  # probability the move goes sideways instead (half each side)
  wind: [0, 0, 1, 0]       # upward push per column moved from; move + push clipped to the grid
  cells:                   # what the letters mean; these four are predefined
    S: {start: true}
    T: {terminal: true}
    G: {terminal: true}
    H: {terminal: true}
```

``.`` is an open cell and ``#`` a wall. A cell may say ``terminal``, ``start``,
``wall``, ``reward: R`` (the reward of any move that enters it, instead of
``step_reward``), ``reset: true`` (entering it sends the agent back to the start,
like S&B's cliff), or ``jump: X`` with ``jump_reward: R`` (every action moves to the
cell marked X, like the A → A′ teleports of S&B Example 3.5). States are named
``r{row}c{col}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rlcli.mdp.model import GridLayout
from rlcli.mdp.read.expr import BinOp, Expr, ExprError, Num, to_float
from rlcli.mdp.read.numbers import Numbers
from rlcli.mdp.read.report import Report
from rlcli.mdp.read.source import show, text_line

MOVES = {
    "up": (-1, 0),
    "down": (1, 0),
    "left": (0, -1),
    "right": (0, 1),
    "up-left": (-1, -1),
    "up-right": (-1, 1),
    "down-left": (1, -1),
    "down-right": (1, 1),
    "stay": (0, 0),
}
SIDEWAYS = {"up": ("left", "right"), "down": ("right", "left"),
            "left": ("down", "up"), "right": ("up", "down")}  # fmt: skip
GRID_FIELDS = ("map", "cells", "step_reward", "bump_reward", "moves", "slip", "wind")
CELL_FIELDS = ("terminal", "start", "wall", "reward", "reset", "jump", "jump_reward")
DEFAULT_CELLS: dict[str, dict[str, Any]] = {
    ".": {},
    "#": {"wall": True},
    "S": {"start": True},
    "T": {"terminal": True},
    "G": {"terminal": True},
    "H": {"terminal": True},
}
MAX_CELLS = 1_000_000


def state_name(row: int, col: int) -> str:
    return f"r{row}c{col}"


def expand_grid(data: Mapping, report: Report, numbers: Numbers) -> dict[str, Any] | None:
    """The ``states``, ``terminal``, ``start``, ``transitions`` and ``layout`` of ``data['grid']``.

    Problems go to ``report`` (a ``Report``); returns None if there were any.
    """
    grid = data["grid"]
    n_before = len(report.problems)
    if not isinstance(grid, Mapping):
        report.add(data, "grid", "grid", "expected a mapping with at least 'map'")
        return None
    _check_fields(grid, report)
    rows, shaped = _rows(grid, report)
    cells = _cells(grid, report, numbers)
    known = rows is not None and cells is not None and _known_cells(grid, report, rows, cells)
    if rows is None or cells is None or not shaped or not known:
        return None
    step = _expr(grid, "step_reward", Num(Fraction(0)), report, numbers)
    bump = _expr(grid, "bump_reward", step, report, numbers)
    slip = _expr(grid, "slip", Num(Fraction(0)), report, numbers)
    moves = _moves(grid, report)
    wind = _wind(grid, report, len(rows[0]))
    if wind and any(
        spec.get("wall") for ch, spec in cells.items() if any(ch in row for row in rows)
    ):
        report.add(grid, "wind", "grid.wind", "wind is supported on grids without walls only")
    slip_value = _slip_value(grid, report, numbers, slip, moves)
    board = _board(grid, report, rows, cells, wind, step, bump)
    if board is None or len(report.problems) > n_before:
        return None
    result: dict[str, Any] = {
        "states": [state_name(*rc) for rc in sorted(board.kind) if board.is_state(rc)],
        "terminal": [
            state_name(*rc)
            for rc in sorted(board.kind)
            if board.is_state(rc) and board.kind[rc].get("terminal")
        ],
        "transitions": _transitions(board, moves, slip, slip_value),
    }
    if board.starts and "start" not in data:
        p = Num(Fraction(1, len(board.starts)))
        result["start"] = {state_name(*rc): p for rc in board.starts}
    result["layout"] = _layout(board, rows)
    return result


def _check_fields(grid: Mapping, report: Report) -> None:
    report.duplicates(grid, "grid")
    for key in grid:
        if key not in GRID_FIELDS:
            report.add(
                grid, key, f"grid.{key}", f"unknown field; a grid has {', '.join(GRID_FIELDS)}"
            )


def _expr(grid: Mapping, key: str, default: Expr, report: Report, numbers: Numbers) -> Expr:
    """The expression of the grid number ``grid[key]``, or ``default`` (absent or invalid)."""
    if key not in grid:
        return default
    try:
        return _checked(numbers, grid[key])
    except ExprError as exc:
        report.expr_error(grid, key, f"grid.{key}", exc)
        return default


def _slip_value(
    grid: Mapping, report: Report, numbers: Numbers, slip: Expr, moves: list[str]
) -> float:
    """The value of ``slip``, a probability defined for the four compass moves only."""
    value = to_float(slip.evaluate(numbers.env))
    if not 0 <= value <= 1:
        report.add(grid, "slip", "grid.slip", f"must be a probability in [0, 1], got {value:g}")
    if value > 0 and any(m not in SIDEWAYS for m in moves):
        report.add(grid, "slip", "grid.slip", "slip is defined for up, down, left and right only")
    return value


Cell = tuple[int, int]


@dataclass(frozen=True)
class _Board:
    """The parsed map: what each cell is, where each letter is, and the move dynamics."""

    n_rows: int
    n_cols: int
    kind: dict[Cell, dict[str, Any]]
    marks: dict[str, list[Cell]]
    starts: list[Cell]
    wind: list[int]
    step: Expr
    bump: Expr

    def is_state(self, rc: Cell) -> bool:
        spec = self.kind[rc]
        return not spec.get("wall") and not spec.get("reset")

    def inside(self, r: int, c: int) -> bool:
        return 0 <= r < self.n_rows and 0 <= c < self.n_cols and not self.kind[(r, c)].get("wall")

    def land(self, r: int, c: int, move: str) -> tuple[Cell, Expr]:
        """Where ``move`` from (r, c) ends, with its reward: one rule for both.

        The target is (r + dr, c + dc); with wind (which ``_wind`` allows only without
        walls) the upward push of the column the move starts in is added and the result
        is clipped to the grid, as in S&B Example 6.5; without wind a target off the grid
        or on a wall leaves the agent where it was. The reward is that of the cell entered
        (its ``reward``, else ``step_reward``), or ``bump_reward`` when the edge or a wall
        stopped the agent so that it stayed where it was: a move the wind cancels, or
        ``stay`` in a calm column, is not a bump; ``stay`` pushed by the wind into the edge is.
        """
        dr, dc = MOVES[move]
        target = (r + dr - self.wind[c], c + dc) if self.wind else (r + dr, c + dc)
        if self.wind:
            nr = min(max(target[0], 0), self.n_rows - 1)
            nc = min(max(target[1], 0), self.n_cols - 1)
        else:
            nr, nc = target if self.inside(*target) else (r, c)
        bumped = (nr, nc) == (r, c) != target
        cell = self.kind[(nr, nc)]
        reward = self.bump if bumped else cell.get("reward", self.step)
        if cell.get("reset"):
            return self.starts[0], reward
        return (nr, nc), reward


def _board(
    grid: Mapping,
    report: Report,
    rows: list[list[str]],
    cells: dict[str, dict[str, Any]],
    wind: list[int],
    step: Expr,
    bump: Expr,
) -> _Board | None:
    """The map's cells looked up in ``cells`` (every letter known), with the checks that
    need the whole map (jump targets, the start that reset cells need)."""
    kind: dict[Cell, dict[str, Any]] = {}
    marks: dict[str, list[Cell]] = {}
    ok = True
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            kind[(r, c)] = cells[ch]
            marks.setdefault(ch, []).append((r, c))
    for ch, spec in cells.items():
        target = spec.get("jump")
        if target is not None and len(marks.get(str(target), [])) != 1:
            report.add(
                grid.get("cells", grid),
                ch,
                f"grid.cells.{ch}.jump",
                f"the jump target {show(target)} must mark exactly one cell of the map",
            )
            ok = False
    starts = [rc for rc, spec in kind.items() if spec.get("start")]
    if any(spec.get("reset") for spec in kind.values()) and len(starts) != 1:
        report.add(grid, "map", "grid.map", "a reset cell needs exactly one start cell (S)")
        ok = False
    if not ok:
        return None
    return _Board(len(rows), len(rows[0]), kind, marks, starts, wind, step, bump)


def _transitions(
    board: _Board, moves: list[str], slip: Expr, slip_value: float
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each non-terminal cell's moves as outcome lists: the intended move with 1 - slip,
    each sideways move with slip / 2; outcomes that land alike are merged."""
    one = Num(Fraction(1))
    transitions: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (r, c), spec in sorted(board.kind.items()):
        if not board.is_state((r, c)) or spec.get("terminal"):
            continue
        actions: dict[str, list[dict[str, Any]]] = {}
        for move in moves:
            if "jump" in spec:
                target = board.marks[str(spec["jump"])][0]
                reward = spec.get("jump_reward", board.step)
                actions[move] = [{"next": state_name(*target), "p": one, "r": reward}]
                continue
            branches = [(move, one if slip_value == 0 else BinOp("-", one, slip))]
            if slip_value > 0:
                half = BinOp("/", slip, Num(Fraction(2)))
                branches += [(side, half) for side in SIDEWAYS[move]]
            merged: dict[tuple[Cell, str], dict[str, Any]] = {}
            for direction, p in branches:
                cell, reward = board.land(r, c, direction)
                key = (cell, str(reward))
                if key in merged:
                    merged[key]["p"] = BinOp("+", merged[key]["p"], p)
                else:
                    merged[key] = {"next": state_name(*cell), "p": p, "r": reward}
            actions[move] = list(merged.values())
        transitions[state_name(r, c)] = actions
    return transitions


def _layout(board: _Board, rows: list[list[str]]) -> GridLayout:
    return GridLayout(
        shape=(board.n_rows, board.n_cols),
        cells={state_name(*rc): rc for rc in board.kind if board.is_state(rc)},
        walls=frozenset(rc for rc, spec in board.kind.items() if spec.get("wall")),
        labels={(r, c): ch for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != "."},
    )


def _checked(numbers: Numbers, raw: Any) -> Expr:
    """The expression of a grid number, evaluated once so its errors are reported here."""
    expr = numbers.expr(raw)
    to_float(expr.evaluate(numbers.env))
    return expr


def _rows(grid: Mapping, report: Report) -> tuple[list[list[str]] | None, bool]:
    """(the map's rows, whether they are all one-character cells of the same count); each
    problem names the row's own line (known for a ``|`` block). Rows that fail the shape
    are still returned, so their letters are checked too."""
    text = grid.get("map")
    if not isinstance(text, str) or not text.strip():
        report.add(
            grid,
            "map" if "map" in grid else None,
            "grid.map",
            "expected the map as text, one row per line (e.g. 'S . . G')",
        )
        return None, False
    texts = [line for line in text.split("\n") if line.strip()]
    rows = [line.split() if " " in line.strip() else list(line.strip()) for line in texts]
    lines = _row_lines(grid)
    ok = True
    for r, row in enumerate(rows):
        if len(row) != len(rows[0]):
            report.at(
                lines[r], "grid.map",
                f"row {r} has {len(row)} cells, row 0 has {len(rows[0])}; all rows must match",
            )  # fmt: skip
            ok = False
        if any(len(cell) != 1 for cell in row):
            report.at(
                lines[r], "grid.map",
                f"row {r}: each cell is one character, separated by spaces or not",
            )  # fmt: skip
            ok = False
    if sum(map(len, rows)) > MAX_CELLS:
        report.add(grid, "map", "grid.map", f"more than {MAX_CELLS} cells")
        return None, False
    return rows, ok


def _known_cells(
    grid: Mapping, report: Report, rows: list[list[str]], cells: Mapping[str, Any]
) -> bool:
    """Whether every letter on the map is defined and every letter defined under
    ``grid.cells`` is on the map; each problem reported."""
    ok = True
    lines = _row_lines(grid)
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in cells and len(ch) == 1:
                report.at(
                    lines[r], "grid.map",
                    f"row {r}, column {c}: unknown cell {ch!r}; define it under grid.cells",
                )  # fmt: skip
                ok = False
    used = {ch for row in rows for ch in row}
    raw = grid.get("cells", {})
    for ch in raw:
        if ch in cells and ch not in used and ch not in DEFAULT_CELLS:
            report.add(raw, ch, f"grid.cells.{ch}", f"{ch!r} is not on the map")
            ok = False
    return ok


def _row_lines(grid: Mapping) -> list[int | None]:
    """The file line of each map row (blank lines of the text hold no row)."""
    text = grid["map"]
    return [text_line(grid, "map", i) for i, line in enumerate(text.split("\n")) if line.strip()]


def _cells(grid: Mapping, report: Report, numbers: Numbers) -> dict[str, dict[str, Any]] | None:
    cells = {k: dict(v) for k, v in DEFAULT_CELLS.items()}
    raw = grid.get("cells", {})
    if not isinstance(raw, Mapping):
        report.add(
            grid, "cells", "grid.cells", "expected a mapping letter: {terminal, reward, ...}"
        )
        return None
    report.duplicates(raw, "grid.cells")
    ok = True
    for ch, spec in raw.items():
        path = f"grid.cells.{ch}"
        if not isinstance(ch, str) or len(ch) != 1:
            report.add(raw, ch, path, "a cell is named by one character")
            ok = False
            continue
        if spec is None:
            spec = {}
        if not isinstance(spec, Mapping):
            report.add(raw, ch, path, f"expected a mapping of {', '.join(CELL_FIELDS)}")
            ok = False
            continue
        parsed: dict[str, Any] = {}
        for key, value in spec.items():
            if key not in CELL_FIELDS:
                report.add(
                    spec,
                    key,
                    f"{path}.{key}",
                    f"unknown field; a cell has {', '.join(CELL_FIELDS)}",
                )
                ok = False
            elif key in ("terminal", "start", "wall", "reset"):
                if not isinstance(value, bool):
                    report.add(spec, key, f"{path}.{key}", "expected true or false")
                    ok = False
                parsed[key] = bool(value)
            elif key == "jump":
                if not isinstance(value, str) or len(value) != 1:
                    report.add(spec, key, f"{path}.{key}", "expected the one-letter mark of a cell")
                    ok = False
                parsed[key] = str(value) if isinstance(value, str) else None
            else:
                try:
                    parsed[key] = _checked(numbers, value)
                except ExprError as exc:
                    report.expr_error(spec, key, f"{path}.{key}", exc)
                    ok = False
        if parsed.get("jump") and parsed.get("terminal"):
            report.add(raw, ch, path, "a terminal cell cannot jump")
            ok = False
        cells[ch] = parsed
    return cells if ok else None


def _moves(grid: Mapping, report: Report) -> list[str]:
    raw = grid.get("moves", ["up", "down", "left", "right"])
    if not isinstance(raw, list) or not raw:
        report.add(grid, "moves", "grid.moves", f"expected a list of moves from {', '.join(MOVES)}")
        return ["up", "down", "left", "right"]
    moves = []
    for i, m in enumerate(raw):
        if not isinstance(m, str) or m not in MOVES:
            report.add(
                raw, i, f"grid.moves[{i}]", f"unknown move {show(m)}; moves are {', '.join(MOVES)}"
            )
        elif m in moves:
            report.add(raw, i, f"grid.moves[{i}]", f"duplicate move {show(m)}")
        else:
            moves.append(m)
    return moves


def _wind(grid: Mapping, report: Report, n_cols: int) -> list[int]:
    raw = grid.get("wind")
    if raw is None:
        return []
    if (
        not isinstance(raw, list)
        or len(raw) != n_cols
        or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 0 for w in raw)
    ):
        report.add(
            grid,
            "wind",
            "grid.wind",
            f"expected {n_cols} non-negative whole numbers, one per column",
        )
        return []
    return raw

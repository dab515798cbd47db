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
  bump_reward: -1          # a move into the edge or a wall: stay put (default step_reward)
  moves: [up, down, left, right]     # default; also up-left, up-right, down-left, down-right, stay
  slip: 0                  # probability the move goes sideways instead (half each side)
  wind: [0, 0, 1, 0]       # upward push per column, applied after the move
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
from fractions import Fraction
from typing import Any

from rlcli.mdp.model import GridLayout
from rlcli.mdp.read.expr import BinOp, Expr, ExprError, Num, to_float
from rlcli.mdp.read.numbers import Numbers
from rlcli.mdp.read.report import Report
from rlcli.mdp.read.source import show

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
    report.duplicates(grid, "grid")
    for key in grid:
        if key not in GRID_FIELDS:
            report.add(
                grid, key, f"grid.{key}", f"unknown field; a grid has {', '.join(GRID_FIELDS)}"
            )
    rows = _rows(grid, report)
    cells = _cells(grid, report, numbers)
    if rows is None or cells is None:
        return None

    def expr(key: str, default: Expr) -> Expr:
        if key not in grid:
            return default
        try:
            return _checked(numbers, grid[key])
        except ExprError as exc:
            report.expr_error(grid, key, f"grid.{key}", exc)
            return default

    step = expr("step_reward", Num(Fraction(0)))
    bump = expr("bump_reward", step)
    slip = expr("slip", Num(Fraction(0)))
    moves = _moves(grid, report)
    wind = _wind(grid, report, len(rows[0]))
    if wind and any(
        spec.get("wall") for ch, spec in cells.items() if any(ch in row for row in rows)
    ):
        report.add(grid, "wind", "grid.wind", "wind is supported on grids without walls only")
    slip_value = to_float(slip.evaluate(numbers.env))
    if not 0 <= slip_value <= 1:
        report.add(
            grid, "slip", "grid.slip", f"must be a probability in [0, 1], got {slip_value:g}"
        )
    if slip_value > 0 and any(m not in SIDEWAYS for m in moves):
        report.add(grid, "slip", "grid.slip", "slip is defined for up, down, left and right only")

    n_rows, n_cols = len(rows), len(rows[0])
    kind: dict[tuple[int, int], dict[str, Any]] = {}
    marks: dict[str, list[tuple[int, int]]] = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in cells:
                report.add(
                    grid,
                    "map",
                    "grid.map",
                    f"row {r}, column {c}: unknown cell {ch!r}; define it under grid.cells",
                )
                continue
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
    starts = [rc for rc, spec in kind.items() if spec.get("start")]
    if any(spec.get("reset") for spec in kind.values()) and len(starts) != 1:
        report.add(grid, "map", "grid.map", "a reset cell needs exactly one start cell (S)")
    if len(report.problems) > n_before:
        return None

    def is_state(rc: tuple[int, int]) -> bool:
        spec = kind[rc]
        return not spec.get("wall") and not spec.get("reset")

    def inside(r: int, c: int) -> bool:
        return 0 <= r < n_rows and 0 <= c < n_cols and not kind[(r, c)].get("wall")

    def land(r: int, c: int, move: str) -> tuple[tuple[int, int], Expr]:
        """Where ``move`` from (r, c) ends, with its reward.

        A move into the edge or a wall stays put with ``bump_reward``. Wind (which
        ``_wind`` allows only without walls) adds the upward push of the column the
        move starts in, and the result is clipped to the grid, as in S&B Example 6.5.
        """
        dr, dc = MOVES[move]
        blocked = not inside(r + dr, c + dc)
        nr, nc = (r, c) if blocked else (r + dr, c + dc)
        if wind:
            nr = min(max(r + dr - wind[c], 0), n_rows - 1)
            nc = min(max(c + dc, 0), n_cols - 1)
        cell = kind[(nr, nc)]
        reward = bump if blocked else cell.get("reward", step)
        if cell.get("reset"):
            return starts[0], reward
        return (nr, nc), reward

    states = [state_name(r, c) for (r, c) in sorted(kind) if is_state((r, c))]
    terminal = [
        state_name(r, c)
        for (r, c) in sorted(kind)
        if is_state((r, c)) and kind[(r, c)].get("terminal")
    ]
    transitions: dict[str, dict[str, list[dict[str, Any]]]] = {}
    one = Num(Fraction(1))
    for (r, c), spec in sorted(kind.items()):
        if not is_state((r, c)) or spec.get("terminal"):
            continue
        actions: dict[str, list[dict[str, Any]]] = {}
        for move in moves:
            if "jump" in spec:
                target = marks[str(spec["jump"])][0]
                reward = spec.get("jump_reward", step)
                actions[move] = [{"next": state_name(*target), "p": one, "r": reward}]
                continue
            branches = [(move, one if slip_value == 0 else BinOp("-", one, slip))]
            if slip_value > 0:
                half = BinOp("/", slip, Num(Fraction(2)))
                branches += [(side, half) for side in SIDEWAYS[move]]
            merged: dict[tuple[tuple[int, int], str], dict[str, Any]] = {}
            for direction, p in branches:
                cell, reward = land(r, c, direction)
                key = (cell, str(reward))
                if key in merged:
                    merged[key]["p"] = BinOp("+", merged[key]["p"], p)
                else:
                    merged[key] = {"next": state_name(*cell), "p": p, "r": reward}
            actions[move] = list(merged.values())
        transitions[state_name(r, c)] = actions
    start = {state_name(*rc): Num(Fraction(1, len(starts))) for rc in starts} if starts else None
    result: dict[str, Any] = {"states": states, "terminal": terminal, "transitions": transitions}
    if start is not None and "start" not in data:
        result["start"] = start
    result["layout"] = GridLayout(
        shape=(n_rows, n_cols),
        cells={state_name(*rc): rc for rc in kind if is_state(rc)},
        walls=frozenset(rc for rc, spec in kind.items() if spec.get("wall")),
        labels={(r, c): ch for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != "."},
    )
    return result


def _checked(numbers: Numbers, raw: Any) -> Expr:
    """The expression of a grid number, evaluated once so its errors are reported here."""
    expr = numbers.expr(raw)
    to_float(expr.evaluate(numbers.env))
    return expr


def _rows(grid: Mapping, report: Report) -> list[list[str]] | None:
    text = grid.get("map")
    if not isinstance(text, str) or not text.strip():
        report.add(
            grid,
            "map" if "map" in grid else None,
            "grid.map",
            "expected the map as text, one row per line (e.g. 'S . . G')",
        )
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    rows = [line.split() if " " in line.strip() else list(line.strip()) for line in lines]
    if any(len(row) != len(rows[0]) for row in rows):
        widths = sorted({len(row) for row in rows})
        report.add(
            grid, "map", "grid.map", f"rows have different lengths {widths}; all rows must match"
        )
        return None
    if any(len(cell) != 1 for row in rows for cell in row):
        report.add(
            grid, "map", "grid.map", "each cell is one character, separated by spaces or not"
        )
        return None
    if len(rows) * len(rows[0]) > MAX_CELLS:
        report.add(grid, "map", "grid.map", f"more than {MAX_CELLS} cells")
        return None
    return rows


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

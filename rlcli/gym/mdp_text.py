"""An imported transition table written as an MDP file (YAML text).

Two forms: the grid form (``grid: map: ...``) for FrozenLake and CliffWalking, so that
``mdp show`` and ``mdp solve`` draw the map, and the explicit form (``states``,
``transitions``) for everything else. ``grid_form`` only proposes the grid; the importer
keeps it only if it expands to exactly the same outcomes as ``P``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from rlcli.gym.transition_model import TransitionTable, exact


def number(x: Fraction) -> str:
    """``1/3``, ``-100``: the exact text the MDP parser reads back as the same fraction."""
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def header(lines: list[str]) -> str:
    """Comment lines; a line break inside one (a kwarg's text value) stays in the comment."""
    rows = [row for line in lines for row in (line.splitlines() or [""])]
    return "".join(f"# {row}\n" if row else "#\n" for row in rows)


def grid_form(unwrapped: Any, kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``grid:`` block of FrozenLake or CliffWalking from its map and arguments, or None.

    FrozenLake: the map's S/F/H/G letters, holes and goal terminal, rewards
    ``reward_schedule = (goal, hole, frozen)`` on entering a cell, slip
    ``1 - success_rate`` split evenly between the two perpendicular moves.
    CliffWalking: ``C`` cells send the agent back to S with −100, every other move −1.
    """
    kind = type(unwrapped).__name__
    if kind == "FrozenLakeEnv":
        rows = ["".join(ch.decode() for ch in row) for row in unwrapped.desc.tolist()]
        slippery = bool(kwargs.get("is_slippery", True))
        success = exact(kwargs.get("success_rate", 1 / 3))
        goal, hole, frozen = (exact(r) for r in kwargs.get("reward_schedule", (1, 0, 0)))
        return {
            "map": rows,
            "step_reward": frozen,
            "moves": ["left", "down", "right", "up"],
            "slip": 1 - success if slippery else Fraction(0),
            "cells": {
                "F": {},
                "H": {"terminal": True, "reward": hole},
                "G": {"terminal": True, "reward": goal},
            },
        }
    cliff = getattr(unwrapped, "_cliff", None)  # private in Gymnasium: absent -> explicit form
    if kind == "CliffWalkingEnv" and cliff is not None:
        n_rows, n_cols = (int(v) for v in unwrapped.shape)
        rows = []
        for r in range(n_rows):
            row = ["C" if cliff[r, c] else "." for c in range(n_cols)]
            rows.append(row)
        start_r, start_c = divmod(int(unwrapped.start_state_index), n_cols)
        rows[start_r][start_c] = "S"
        rows[n_rows - 1][n_cols - 1] = "G"
        return {
            "map": [" ".join(row) for row in rows],
            "step_reward": Fraction(-1),
            "moves": ["up", "right", "down", "left"],
            "slip": Fraction(2, 3) if kwargs.get("is_slippery", False) else Fraction(0),
            "cells": {"C": {"reward": Fraction(-100), "reset": True}},
        }
    return None


def grid_text(
    comments: list[str], name: str, description: str, gamma: Fraction, grid: Mapping[str, Any]
) -> str:
    """The grid-form MDP file."""
    lines = [
        f"name: {_quoted(name)}",
        f"description: {_quoted(description)}",
        f"gamma: {number(gamma)}",
        "grid:",
        "  map: |",
        *(f"    {row}" for row in grid["map"]),
        f"  step_reward: {number(grid['step_reward'])}",
        f"  moves: [{', '.join(grid['moves'])}]",
    ]
    if grid["slip"]:
        lines.append(f"  slip: {number(grid['slip'])}")
    lines.append("  cells:")
    for letter, spec in grid["cells"].items():
        fields = ", ".join(f"{k}: {'true' if v is True else number(v)}" for k, v in spec.items())
        lines.append(f"    {letter}: {{{fields}}}")
    return header(comments) + "\n".join(lines) + "\n"


def explicit_text(
    comments: list[str], name: str, description: str, gamma: Fraction, table: TransitionTable
) -> str:
    """The explicit-form MDP file: every state's actions and their outcomes, in ``P``'s order."""
    out = [
        f"name: {_quoted(name)}",
        f"description: {_quoted(description)}",
        f"gamma: {number(gamma)}",
        f"states: [{', '.join(table.states)}]",
        f"terminal: [{', '.join(s for s in table.states if s in table.terminal)}]",
    ]
    if table.start:
        if len(table.start) == 1:
            out.append(f"start: {next(iter(table.start))}")
        else:
            out.append("start:")
            out += [f"  {s}: {number(p)}" for s, p in table.start.items()]
    out.append("transitions:")
    for state, actions in table.transitions.items():
        out.append(f"  {state}:")
        for action, outcomes in actions.items():
            if len(outcomes) == 1:
                nxt, _, r = outcomes[0]
                out.append(f"    {action}: {{next: {nxt}, r: {number(r)}}}")
                continue
            out.append(f"    {action}:")
            out += [
                f"      - {{next: {nxt}, p: {number(p)}, r: {number(r)}}}" for nxt, p, r in outcomes
            ]
    return header(comments) + "\n".join(out) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

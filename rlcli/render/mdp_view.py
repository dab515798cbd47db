"""What ``rlcli mdp show`` and ``rlcli mdp check`` print: the model as tables and a map."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rlcli.mdp.model import MDP
from rlcli.mdp.read.expr import Expr, Num, from_value


def number(x: float) -> str:
    """A short, exact-looking rendering of a float: 0.8, -3, 0.3333 (1e+308, inf)."""
    if not math.isfinite(x) or abs(x) >= 1e15:
        return f"{x:.4g}"
    if x == int(x):
        return str(int(x))
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    if text in ("0", "-0"):  # 0 < |x| < 0.00005: significant digits, not a false 0 or -0
        return f"{x:.4g}"
    return text


def source_text(source: Any, value: float) -> str:
    """The file's text for a number, with its value when it is an expression."""
    expr = from_value(source)
    if isinstance(expr, Num) or not isinstance(expr, Expr):
        return str(expr) if isinstance(expr, Num) else number(value)
    return f"{expr} = {number(value)}"


def summary(mdp: MDP) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("name", escape(mdp.name))
    if mdp.description:
        table.add_row("source", escape(mdp.description))
    table.add_row(
        "gamma", escape(source_text(mdp.exact.gamma, mdp.gamma) if mdp.exact else number(mdp.gamma))
    )
    if mdp.exact and mdp.exact.parameters:
        values = mdp.exact.parameter_values()
        table.add_row(
            "parameters",
            escape(
                ", ".join(
                    f"{n} = {e}"
                    + (f" = {number(float(values[n]))}" if not isinstance(e, Num) else "")
                    for n, e in mdp.exact.parameters.items()
                )
            ),
        )
    terminal = [s for s, t in zip(mdp.states, mdp.terminal, strict=True) if t]
    table.add_row("states", f"{mdp.n_states} ({len(terminal)} terminal)")
    table.add_row("actions", escape(", ".join(mdp.actions)))
    table.add_row("size", f"{mdp.n_pairs} state-action pairs, {mdp.n_outcomes} outcomes")
    if mdp.start is not None:
        starts = [
            f"{mdp.states[s]}" + ("" if p == 1 else f" ({number(p)})")
            for s, p in enumerate(mdp.start)
            if p > 0
        ]
        table.add_row("start", escape(", ".join(starts)))
    if mdp.policies:
        table.add_row("policies", escape(", ".join(mdp.policies)))
    return table


def grid_map(mdp: MDP) -> Table | None:
    """The grid's map: letters for special cells, · for open ones, █ for walls."""
    if mdp.layout is None:
        return None
    rows, cols = mdp.layout.shape
    table = Table(
        show_header=True,
        header_style="dim",
        box=None,
        padding=(0, 1),
        title="map",
        title_justify="left",
    )
    table.add_column("", style="dim", justify="right")
    for c in range(cols):
        table.add_column(str(c), justify="center")
    for r in range(rows):
        cells = []
        for c in range(cols):
            if (r, c) in mdp.layout.walls:
                cells.append(Text("█"))
            else:
                cells.append(Text(mdp.layout.labels.get((r, c), "·")))
        table.add_row(str(r), *cells)
    return table


def transitions(mdp: MDP, limit: int | None) -> tuple[Table, int]:
    """The transition table p(s', r | s, a), at most ``limit`` rows; returns rows left out."""
    table = Table(title="transitions p(s', r | s, a)", title_justify="left")
    for name, justify in (
        ("state", "left"),
        ("action", "left"),
        ("next", "left"),
        ("p", "right"),
        ("r", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    shown = 0
    total = mdp.n_outcomes
    for s in range(mdp.n_states):
        first_of_state = True
        for k in mdp.pairs_of(s):
            first = True
            for z in mdp.outcomes(k):
                if limit is not None and shown >= limit:
                    return table, total - shown
                p_src = mdp.exact.out_prob[z] if mdp.exact else mdp.out_prob[z]
                r_src = mdp.exact.out_reward[z] if mdp.exact else mdp.out_reward[z]
                table.add_row(
                    escape(mdp.states[s]) if first_of_state else "",
                    escape(mdp.actions[mdp.pair_action[k]]) if first else "",
                    escape(mdp.states[mdp.out_next[z]]),
                    escape(source_text(p_src, float(mdp.out_prob[z]))),
                    escape(source_text(r_src, float(mdp.out_reward[z]))),
                )
                first = first_of_state = False
                shown += 1
        if table.rows and (limit is None or shown < limit):
            table.rows[-1].end_section = True
    return table, 0


def policies(mdp: MDP) -> Table | None:
    if not mdp.policies:
        return None
    table = Table(title="policies", title_justify="left")
    table.add_column("state")
    for name in mdp.policies:
        table.add_column(escape(name))
    described = {name: mdp.policy_of_pairs(pi) for name, pi in mdp.policies.items()}
    for s, state in enumerate(mdp.states):
        if mdp.n_actions_of[s] == 0:
            continue
        row = [escape(state)]
        for name in mdp.policies:
            choice = described[name][state]
            row.append(
                escape(
                    choice
                    if isinstance(choice, str)
                    else ", ".join(f"{a}: {number(p)}" for a, p in choice.items())
                )
            )
        table.add_row(*row)
    return table


def show(mdp: MDP, limit: int | None) -> RenderableType:
    parts: list[RenderableType] = [summary(mdp)]
    grid = grid_map(mdp)
    if grid is not None:
        parts.append(grid)
    table, left_out = transitions(mdp, limit)
    parts.append(table)
    if left_out:
        parts.append(Text(f"… {left_out} more outcomes (use --all to list every one)", style="dim"))
    pol = policies(mdp)
    if pol is not None and (limit is None or mdp.n_states <= limit):
        parts.append(pol)
    return Group(*parts)


def as_json(mdp: MDP) -> dict[str, Any]:
    """The model in the file schema's shape, with numbers evaluated."""
    result: dict[str, Any] = {
        "name": mdp.name,
        "description": mdp.description,
        "gamma": mdp.gamma,
        "parameters": (
            {n: float(v) for n, v in mdp.exact.parameter_values().items()} if mdp.exact else {}
        ),
        "states": list(mdp.states),
        "terminal": [s for s, t in zip(mdp.states, mdp.terminal, strict=True) if t],
        "actions": list(mdp.actions),
        "start": None
        if mdp.start is None
        else {mdp.states[s]: float(p) for s, p in enumerate(mdp.start) if p > 0},
        "transitions": {
            mdp.states[s]: {
                mdp.actions[mdp.pair_action[k]]: [
                    {
                        "next": mdp.states[mdp.out_next[z]],
                        "p": float(mdp.out_prob[z]),
                        "r": float(mdp.out_reward[z]),
                    }
                    for z in mdp.outcomes(k)
                ]
                for k in mdp.pairs_of(s)
            }
            for s in range(mdp.n_states)
            if mdp.n_actions_of[s] > 0
        },
        "policies": {name: mdp.policy_of_pairs(pi) for name, pi in mdp.policies.items()},
    }
    if mdp.layout is not None:
        result["grid"] = {
            "shape": list(mdp.layout.shape),
            "cells": {s: list(rc) for s, rc in mdp.layout.cells.items()},
        }
    return result

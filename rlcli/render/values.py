"""Value, Q and policy tables: rich tables (grid-shaped for grid worlds, with arrows),
Markdown and LaTeX for write-ups, and the ``--json`` document of evaluate/solve.

Reusable by any command that has values over an MDP's states:
``values_table(mdp, values, title)``, ``grid_values(mdp, values, policy)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from rlcli.mdp.model import MDP
from rlcli.render.mdp_view import number

ROW_LIMIT = 200
ARROWS = {
    "up": "↑", "down": "↓", "left": "←", "right": "→", "stay": "·",
    "up-left": "↖", "up-right": "↗", "down-left": "↙", "down-right": "↘",
    "north": "↑", "south": "↓", "west": "←", "east": "→",
}  # fmt: skip


def fmt(x: float) -> str:
    """A value for a table: integers plainly, others with up to 4 decimals."""
    return number(round(float(x), 10))


def chosen_actions(mdp: MDP, policy: np.ndarray, s: int) -> list[str]:
    """The actions with positive probability in state s."""
    return [mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(s) if policy[k] > 0]


def policy_text(mdp: MDP, policy: np.ndarray, s: int, ties: bool | None = None) -> str:
    """'search', 'search | wait' (``ties``: every optimal action) or, for a policy that
    mixes (``ties`` False), its probabilities 'search: 0.5, wait: 0.5'. ``ties`` None:
    names when the mixture is uniform, probabilities otherwise."""
    ks = [k for k in mdp.pairs_of(s) if policy[k] > 0]
    uniform = len({float(policy[k]) for k in ks}) <= 1
    if ties or len(ks) == 1 or (ties is None and uniform):
        return " | ".join(mdp.actions[mdp.pair_action[k]] for k in ks)
    return ", ".join(f"{mdp.actions[mdp.pair_action[k]]}: {number(policy[k])}" for k in ks)


def arrows(mdp: MDP, policy: np.ndarray, s: int) -> str:
    names = chosen_actions(mdp, policy, s)
    return "".join(ARROWS.get(a, a[:1]) for a in names)


def values_table(
    mdp: MDP,
    values: np.ndarray,
    title: str,
    policy: np.ndarray | None = None,
    exact: list[str] | None = None,
    limit: int | None = ROW_LIMIT,
    ties: bool | None = None,
) -> Table:
    """One row per state: value, the exact value (if given) and the policy's action(s)
    (``ties``: the policy marks optimal actions; else its probabilities are printed).
    Long cells fold onto more lines instead of being cut."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("state", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    if exact is not None:
        table.add_column("exact", justify="right", overflow="fold")
    if policy is not None:
        table.add_column("action", overflow="fold")
    for s, state in enumerate(mdp.states):
        if limit is not None and s >= limit:
            table.caption = f"… {mdp.n_states - limit} more states (use --json for all)"
            break
        row = [escape(state), fmt(values[s])]
        if exact is not None:
            row.append(escape(exact[s]))
        if policy is not None:
            text = "(terminal)" if mdp.terminal[s] else policy_text(mdp, policy, s, ties)
            row.append(escape(text))
        table.add_row(*row)
    return table


def grid_values(
    mdp: MDP, values: np.ndarray, policy: np.ndarray | None = None, title: str = ""
) -> Table:
    """The values laid out on the grid; with a policy, its arrows under each value."""
    assert mdp.layout is not None
    rows, cols = mdp.layout.shape
    table = Table(title=escape(title), title_justify="left", show_lines=policy is not None)
    table.add_column("", style="dim", justify="right")
    for c in range(cols):
        table.add_column(str(c), justify="right", overflow="fold")
    for r in range(rows):
        cells = []
        for c in range(cols):
            state = mdp.layout.state_at(r, c)
            if state is None:
                cells.append("█")
                continue
            s = mdp.state_index[state]
            text = fmt(values[s])
            if policy is not None:
                text += "\n" + ("T" if mdp.terminal[s] else arrows(mdp, policy, s))
            cells.append(text)
        table.add_row(str(r), *cells)
    return table


class TexMath(str):
    """A table cell we wrote in LaTeX math mode (``$\\frac{1}{2}$``), put in a tabular as
    it is. Every other cell is text and escaped: a state named ``$x$`` in a shared file
    is text, never LaTeX to run."""


def document(rows: list[list[str]], header: list[str], style: str, title: str = "") -> str:
    """A table as Markdown (pipe table) or LaTeX (tabular), for homework write-ups."""
    if style == "markdown":

        def md(cell: str) -> str:  # ties print as "up | down"; products as a*b
            return cell.replace("|", r"\|").replace("*", r"\*")

        lines = [f"**{md(title)}**", ""] if title else []
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(md(c) for c in r) + " |" for r in rows]
        return "\n".join(lines)

    def tex_cell(cell: str) -> str:  # our math-mode cells ($\frac{1}{2}$) stay
        return cell if isinstance(cell, TexMath) else tex_text(cell)

    lines = [f"% {title}"] if title else []
    lines.append(r"\begin{tabular}{l" + "r" * (len(header) - 1) + "}")
    lines.append(" & ".join(tex_text(h) for h in header) + r" \\ \hline")
    lines += [" & ".join(tex_cell(c) for c in r) + r" \\" for r in rows]
    lines.append(r"\end{tabular}")
    return "\n".join(lines)


TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "$": r"\$", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip


TEX_UNICODE = {
    "★": r"\star", "·": r"\cdot", "∈": r"\in", "∪": r"\cup", "→": r"\to", "ℝ": r"\mathbb{R}",
    "≥": r"\geq", "≤": r"\leq", "−": "-", "π": r"\pi", "γ": r"\gamma",
    **{chr(0x2080 + d): f"_{{{d}}}" for d in range(10)},  # subscript digits ₀…₉
}  # fmt: skip


def tex_text(text: str) -> str:
    """Text safe inside LaTeX (text mode or \\text{...}): every special character escaped,
    the math symbols of worked steps (★ · ∈ → π₀ …) as \\ensuremath{...}."""
    return "".join(
        TEX_SPECIAL.get(c) or (r"\ensuremath{" + TEX_UNICODE[c] + "}" if c in TEX_UNICODE else c)
        for c in text
    )


def value_rows(
    mdp: MDP, values: np.ndarray, policy: np.ndarray | None, exact: list[str] | None,
    ties: bool | None = None,
) -> tuple[list[str], list[list[str]]]:  # fmt: skip
    header = (
        ["state", "value"]
        + (["exact"] if exact else [])
        + (["action"] if policy is not None else [])
    )
    rows = []
    for s, state in enumerate(mdp.states):
        row = [state, fmt(values[s])]
        if exact:
            row.append(exact[s])
        if policy is not None:
            row.append("(terminal)" if mdp.terminal[s] else policy_text(mdp, policy, s, ties))
        rows.append(row)
    return header, rows


def as_json(
    mdp: MDP,
    values: np.ndarray,
    q: np.ndarray,
    policy: np.ndarray,
    exact: list[str] | None = None,
    exact_q: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The DESIGN.md keys: values, q, policy (+ exact, exact_q and command-specific keys)."""
    doc: dict[str, Any] = {
        "values": dict(zip(mdp.states, values.tolist(), strict=True)),
        "q": q_json(mdp, q),
        "policy": mdp.policy_of_pairs(policy),
    }
    if exact is not None:
        doc["exact"] = dict(zip(mdp.states, exact, strict=True))
    if exact_q is not None:
        doc["exact_q"] = mdp.by_state(exact_q)
    doc.update(extra)
    return doc


def q_json(mdp: MDP, q: np.ndarray) -> dict[str, dict[str, float]]:
    return mdp.by_state(q.tolist())

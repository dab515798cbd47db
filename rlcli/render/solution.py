"""The output of ``mdp evaluate`` and ``mdp solve``: the ``--json`` documents (DESIGN.md
keys ``values``, ``q``, ``policy``, ``iterations``, ``trace``, ``exact``, plus ``work``
for the worked steps) and the sections of a write-up (value tables, sweep tables, Q
tables, worked steps) as rich renderables or Markdown/LaTeX text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rlcli.mdp.model import MDP
from rlcli.render import values as view
from rlcli.render.equations import symbol_tex


@dataclass(frozen=True)
class Section:
    """A table (``header`` and ``rows``) or, without a header, lines of worked steps
    (``prose``: lines of text, such as the method and stopping rule above the tables)."""

    title: str
    rows: list[list[str]] | list[str]
    header: list[str] | None = None
    total_rows: int | None = None  # the whole table's rows when ``rows`` holds the first ones
    prose: bool = False


class Worded(str):
    """A line of worked text with its LaTeX form beside it (a margin as a fraction, not
    as ``a*gamma**2``); the LaTeX writer uses ``latex``, everything else the text."""

    latex: str

    def __new__(cls, text: str, latex: str) -> Worded:
        line = super().__new__(cls, text)
        line.latex = latex
        return line


def exact_text(x: Any, style: str = "text") -> str:
    """An exact value: a fraction as p/q, a sympy expression as text; with ``latex``, math
    mode: $\frac{1000}{59}$, $-\frac{3}{4}$, closed forms by ``exact_latex``."""
    if style == "latex" and hasattr(x, "free_symbols"):
        return view.TexMath("$" + exact_latex(x) + "$")
    if style == "latex" and getattr(x, "denominator", 1) != 1:
        sign = "-" if x < 0 else ""
        return view.TexMath(f"${sign}\\frac{{{abs(x.numerator)}}}{{{x.denominator}}}$")
    if hasattr(x, "free_symbols"):
        import sympy as sp

        return sp.sstr(x)
    return str(x)


def exact_latex(expr: Any) -> str:
    """A closed form as LaTeX with discount factors written 1 − γ, not γ − 1:
    (4 + 5γ)/(2(1 − γ)(4 + γ)) → \\frac{5 \\gamma + 4}{2 \\left(1 - \\gamma\\right) ...}."""
    import sympy as sp

    names = {s: symbol_tex(s.name) for s in expr.free_symbols}
    num, den = sp.fraction(sp.factor(expr))
    sign = 1

    def tidy(part: Any) -> str:
        nonlocal sign
        coeff, factors = part.as_coeff_mul()
        pieces = []
        for f in factors:
            base, power = f.as_base_exp()
            if base.is_Add and power.is_integer and _mostly_negative(base):
                base = -base  # γ − 1 → −(1 − γ)
                sign *= (-1) ** int(power)
            text = sp.latex(base, symbol_names=names, order="rev-lex")
            if base.is_Add and (len(factors) > 1 or coeff != 1 or power != 1):
                text = r"\left(" + text + r"\right)"
            pieces.append(text if power == 1 else f"{text}^{{{sp.latex(power)}}}")
        if coeff < 0:
            sign *= -1
            coeff = -coeff
        lead = "" if coeff == 1 and pieces else sp.latex(coeff)
        return " ".join(([lead] if lead else []) + pieces)

    top, bottom = tidy(num), tidy(den)
    body = top if bottom in ("", "1") else r"\frac{" + top + "}{" + bottom + "}"
    return ("-" if sign < 0 else "") + body


def _mostly_negative(poly: Any) -> bool:
    """More negative than positive terms (γ − 1 has one each; its constant is negative)."""
    terms = poly.as_ordered_terms()
    negative = sum(1 for t in terms if t.could_extract_minus_sign())
    if 2 * negative != len(terms):
        return 2 * negative > len(terms)
    constant = poly.as_coeff_Add()[0]
    return bool(constant < 0)


# ---- write-up sections -------------------------------------------------------------


def sweep_section(mdp: MDP, trace: list[Any], title: str, exact: list[list[Any]] | None = None
                  ) -> Section:  # fmt: skip
    """Values after each sweep, one column per sweep (k = 0 is V₀ = 0)."""
    header = ["state", "k=0", *(f"k={getattr(t, 'index', getattr(t, 'k', i + 1))}"
                                for i, t in enumerate(trace))]  # fmt: skip
    rows = []
    for s, state in enumerate(mdp.states):
        cells = [str(v[s]) for v in exact] if exact else [view.fmt(t.values[s]) for t in trace]
        rows.append([state, "0", *cells])
    return Section(title, rows, header)


def greedy_section(mdp: MDP, trace: list[Any], title: str, ties: list[np.ndarray]) -> Section:
    """The greedy actions (every tie) with respect to the values after each sweep."""
    header = ["state", *(f"k={getattr(t, 'index', getattr(t, 'k', 0))}" for t in trace)]
    rows = []
    for s, state in enumerate(mdp.states):
        if mdp.terminal[s]:
            continue
        if mdp.layout is not None:  # grid worlds: arrows, as in S&B Figure 4.1
            rows.append([state, *(view.arrows(mdp, m, s) for m in ties)])
        else:
            rows.append([state, *(" | ".join(view.chosen_actions(mdp, m, s)) for m in ties)])
    return Section(title, rows, header)


def q_section(mdp: MDP, q: np.ndarray, title: str, optimal: np.ndarray | None = None,
              exact_q: list[Any] | None = None, style: str = "text",
              limit: int | None = None) -> Section:  # fmt: skip
    """One row per state-action pair; with ``limit``, only the first ``limit`` rows are
    written (the terminal shows ``view.ROW_LIMIT`` of 400,000 pairs; formatting them all
    took 2 s) and ``total_rows`` counts them all."""
    header = ["state", "action", "q"] + (["exact"] if exact_q is not None else [])
    rows = []
    shown = mdp.n_pairs if limit is None else min(limit, mdp.n_pairs)
    for k, s in enumerate(mdp.pair_state[:shown].tolist()):  # pairs are stored state by state
        mark = " ★" if optimal is not None and optimal[k] else ""
        name = mdp.states[s] if k == mdp.pair_ptr[s] else ""  # the state on its first row
        row = [name, mdp.actions[mdp.pair_action[k]], view.fmt(q[k]) + mark]
        if exact_q is not None:
            row.append(exact_text(exact_q[k], style))
        rows.append(row)
    return Section(title, rows, header, total_rows=mdp.n_pairs)


def values_section(mdp: MDP, values: np.ndarray, policy: np.ndarray | None, title: str,
                   exact: list[Any] | None, style: str, ties: bool | None) -> Section:  # fmt: skip
    texts = None if exact is None else [exact_text(x, style) for x in exact]
    header, rows = view.value_rows(mdp, values, policy, texts, ties)
    return Section(title, rows, header)


def document(sections: list[Section], style: str) -> str:
    """Markdown or LaTeX: tables as pipe tables / tabulars, worked steps as lines."""
    parts = []
    for sec in sections:
        if sec.header is not None:
            rows = [list(r) for r in sec.rows]  # type: ignore[arg-type]
            parts.append(view.document(rows, sec.header, style, sec.title))
        elif sec.prose and style == "markdown":
            parts.append("\n".join([f"**{_md(sec.title)}**", "", "  \n".join(map(_md, sec.rows))]))
        elif sec.prose:  # LaTeX, ASCII only: the em dash as ---
            lines = [str(line).replace("—", "---") for line in [sec.title, *sec.rows]]
            parts.append("\n".join(r"\noindent " * (i == 0) + view.tex_text(line) + r"\\"
                                   for i, line in enumerate(lines)))  # fmt: skip
        elif style == "latex":
            lines = [r"\noindent " + view.tex_text(sec.title) + r"\\"]
            lines += [
                (line.latex if isinstance(line, Worded) else view.tex_text(str(line))) + r"\\"
                for line in sec.rows
            ]
            parts.append("\n".join(lines))
        else:
            lines = list(map(str, sec.rows))
            longest = max((len(run) for run in re.findall("`+", "\n".join(lines))), default=0)
            fence = "`" * max(3, longest + 1)  # a state named a```b cannot close the block
            parts.append("\n".join([f"**{sec.title}**", "", fence, *lines, fence]))
    return "\n\n".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")  # what acts inside a line


def _md(text: Any) -> str:
    """Text for Markdown: its special characters escaped (a file's name is shown as given)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def natural_width(header: list[str], rows: list[list[str]]) -> int:
    """Characters a rich table needs to show every cell on one line (3 per column border)."""
    columns = zip(header, *rows, strict=True)
    return 1 + sum(3 + max(len(str(cell)) for cell in column) for column in columns)


def transposed(sec: Section) -> Section:
    """The same table with rows and columns swapped (sweeps down, states across)."""
    assert sec.header is not None
    rows: list[list[str]] = sec.rows  # type: ignore[assignment]
    header = ["", *(str(row[0]) for row in rows)]
    return Section(sec.title, [[h, *(row[i] for row in rows)]
                               for i, h in enumerate(sec.header[1:], start=1)], header)  # fmt: skip


def rich_section(sec: Section, width: int = 80) -> Table | Text:
    """A section for the terminal: a table wider than ``width`` is transposed when that
    makes it fit (a sweeps table of a two-state MDP), and cells fold rather than being
    cut, so no number is ever shown as ``3.…``."""
    if sec.header is None:
        return Text("\n".join([sec.title, *map(str, sec.rows)]))
    rows: list[list[str]] = sec.rows  # type: ignore[assignment]
    if rows and len(rows) <= view.ROW_LIMIT and natural_width(sec.header, rows) > width:
        flipped = transposed(sec)
        if natural_width(flipped.header or [], flipped.rows) < natural_width(sec.header, rows):  # type: ignore[arg-type]
            sec = flipped
    table = Table(title=escape(sec.title), title_justify="left")
    for h in sec.header:
        left = h in ("state", "action")
        table.add_column(escape(h), justify="left" if left else "right", overflow="fold")
    for row in sec.rows[: view.ROW_LIMIT]:
        table.add_row(*(escape(str(c)) for c in row))  # type: ignore[union-attr]
    total = len(sec.rows) if sec.total_rows is None else sec.total_rows
    if total > view.ROW_LIMIT:
        table.caption = f"… {total - view.ROW_LIMIT} more rows (use --json for all)"
    return table


def solve_sections(mdp: MDP, steps: list[Any], vi: bool, swept: bool, exact: bool) -> list[Section]:
    """The trace as sections: value iteration's sweeps table (``steps``: the sweeps to
    show) and, swept, the greedy actions after each sweep; policy iteration's evaluated
    policies and the states whose action changed."""
    if steps and not vi:  # policy iteration: each evaluated policy and what changed
        sections = []
        for i, step in enumerate(steps):
            _, rows = view.value_rows(mdp, step.values, step.policy, None, ties=False)
            changed = ", ".join(mdp.states[s] for s in step.changed) or "none (stable)"
            title = f"iteration {i + 1}: v of pi_{i}"
            sections.append(Section(title, rows, ["state", "value", "action"]))
            sections.append(Section("greedy improvement", [f"changes: {changed}"]))
        return sections
    if not steps:
        return []
    chosen = steps
    values = [s.exact_values for s in chosen] if exact and swept else None
    sections = [sweep_section(mdp, chosen, "values after k sweeps", values)]
    if swept:
        sections.append(greedy_section(
            mdp, chosen, "greedy w.r.t. V_k",
            [s.ties for s in chosen],
        ))  # fmt: skip
    return sections


def condition_sections(run: Any) -> list[Section]:
    """The region where the policy found stays optimal (policy improvement theorem)."""
    if run.closed_values is None:
        return []
    if not run.conditions:
        lines = ["this policy is optimal for every value of the symbols"]
    else:
        lines = ["this policy stays optimal while every margin q(s, chosen) - q(s, other) >= 0:"]
        lines += [
            Worded(
                f"  {c.state}: {c.chosen} over {c.action}: {c.margin} >= 0",
                rf"\quad {view.tex_text(f'{c.state}: {c.chosen} over {c.action}:')} "
                rf"${exact_latex(c.margin)} \geq 0$",
            )
            for c in run.conditions
        ]
    if run.region is not None:
        lines.append(region_text(run.region))
    return [Section("optimality conditions", lines)]


def values_json(mdp: MDP, values: np.ndarray, q: np.ndarray, pi: np.ndarray,
              exact: list | None, exact_q: list | None) -> dict:  # fmt: skip
    return view.as_json(
        mdp, values, q, pi,
        None if exact is None else [exact_text(x) for x in exact],
        None if exact_q is None else [exact_text(x) for x in exact_q],
    )  # fmt: skip


# ---- JSON --------------------------------------------------------------------------


def step_json(mdp: MDP, step: Any) -> dict[str, Any]:
    """One policy- or value-iteration step: values, policy, changed states (and, kept by
    exact or swept runs, the exact values and every greedy tie)."""
    doc: dict[str, Any] = {
        "iteration": step.index,
        "values": dict(zip(mdp.states, step.values.tolist(), strict=True)),
        "policy": mdp.policy_of_pairs(step.policy),
        "changed": [mdp.states[s] for s in step.changed],
    }
    if step.ties is not None:
        doc["greedy"] = ties_json(mdp, step.ties)
    if step.exact_values is not None:
        doc["exact"] = dict(zip(mdp.states, map(str, step.exact_values), strict=True))
    return doc


def sweep_json(mdp: MDP, sweep: Any, pi: np.ndarray, exact: list[Any] | None) -> dict[str, Any]:
    """One evaluation sweep: its values, the evaluated policy, the greedy actions."""
    doc: dict[str, Any] = {
        "sweep": sweep.k,
        "values": dict(zip(mdp.states, sweep.values.tolist(), strict=True)),
        "policy": mdp.policy_of_pairs(pi),
        "greedy": ties_json(mdp, sweep.greedy),
    }
    if exact is not None:
        doc["exact"] = dict(zip(mdp.states, map(str, exact), strict=True))
    return doc


def ties_json(mdp: MDP, ties: np.ndarray) -> dict[str, list[str]]:
    """{state: [every marked action]} for the non-terminal states."""
    chosen = zip(mdp.states, mdp.chosen_actions(ties), mdp.n_actions_of.tolist(), strict=True)
    return {state: names for state, names, n in chosen if n}


def condition_json(c: Any) -> dict[str, str]:
    return {"state": c.state, "chosen": c.chosen, "action": c.action, "margin": str(c.margin)}


def region_text(region: Any) -> str:
    """'optimal for all gamma ∈ [0, 1)' (or 'for no value of gamma')."""
    import sympy as sp

    if region.where == sp.S.EmptySet:
        return f"optimal for no value of {region.symbol} in {_set_text(region.domain)}"
    return f"optimal for all {region.symbol} ∈ {_set_text(region.where)}"


def _set_text(where: Any) -> str:
    """Intervals as [a, b), unions with ∪."""
    import sympy as sp

    if isinstance(where, sp.Union):
        return " ∪ ".join(_set_text(a) for a in where.args)
    if isinstance(where, sp.Interval):
        lo = "(" if where.left_open else "["
        hi = ")" if where.right_open else "]"
        return f"{lo}{_end_text(where.start)}, {_end_text(where.end)}{hi}"
    if where == sp.S.Reals:
        return "ℝ"
    return sp.sstr(where)


def _end_text(end: Any) -> str:
    """An interval's end: 5/9, or ∞ and -∞ (not sympy's oo)."""
    import sympy as sp

    if end in (sp.oo, -sp.oo):
        return "∞" if end == sp.oo else "-∞"
    return sp.sstr(end)

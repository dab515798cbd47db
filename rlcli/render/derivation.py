"""Writers for derivations: rich table, plain text, LaTeX, Markdown and the --json document.

sympy expressions print through two small printers: LaTeX with ∇_θ for derivatives and
``\\mid`` in conditionals, and Unicode text (θ, ∇, ∫, Σ, E) for terminals and logs.
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.pretty.pretty_symbology import pretty_symbol
from sympy.printing.str import StrPrinter

from rlcli.derive.steps import Derivation, Expect, Step

MARK = {True: "✓", False: "✗ NOT VERIFIED", None: ""}


class _Latex(LatexPrinter):
    def _print_Integral(self, expr: Any) -> str:
        if len(expr.limits) != 1 or len(expr.limits[0]) != 3:
            return super()._print_Integral(expr)
        (x, lo, hi) = expr.limits[0]
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = rf"\left({body}\right)"
        return rf"\int_{{{self._print(lo)}}}^{{{self._print(hi)}}} {body} \, d{self._print(x)}"

    def _print_Derivative(self, expr: Any) -> str:
        if len(expr.variables) == 1:
            (v,) = expr.variables
            inner = self._print(expr.expr)
            if not isinstance(expr.expr, (sp.Symbol, sp.Function, sp.log, Expect, sp.Integral)):
                inner = rf"\left({inner}\right)"
            return rf"\nabla_{{{self._print(v)}}} {inner}"
        return super()._print_Derivative(expr)


class _Text(StrPrinter):
    def _print_Symbol(self, expr: Any) -> str:
        return pretty_symbol(expr.name)

    def _print_Function(self, expr: Any) -> str:
        if type(expr).__name__ in ("exp", "log", "sqrt", "Abs", "sin", "cos", "tan", "tanh"):
            return super()._print_Function(expr)
        name = pretty_symbol(type(expr).__name__)
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Dummy(self, expr: Any) -> str:
        return pretty_symbol(expr.name)

    def _print_Derivative(self, expr: Any) -> str:
        if len(expr.variables) == 1:
            inner = self._print(expr.expr)
            if not isinstance(expr.expr, (sp.Symbol, sp.Function, Expect, sp.Integral, sp.Sum)):
                inner = f"({inner})"
            return f"∇_{self._print(expr.variables[0])} {inner}"
        return super()._print_Derivative(expr)

    def _print_Integral(self, expr: Any) -> str:
        (x, lo, hi) = expr.limits[0]
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = f"({body})"
        return f"∫_{self._print(lo)}^{self._print(hi)} {body} d{self._print(x)}"

    def _print_Sum(self, expr: Any) -> str:
        (x, lo, hi) = expr.limits[0]
        body = self.parenthesize(expr.function, 50)
        return f"Σ_{{{self._print(x)}={self._print(lo)}..{self._print(hi)}}} {body}"

    def _print_Infinity(self, expr: Any) -> str:
        return "∞"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "-∞"

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_Pi(self, expr: Any) -> str:
        return "π"

    def _print_Equality(self, expr: Any) -> str:
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"

    def _print_Piecewise(self, expr: Any) -> str:
        parts = [
            f"{self._print(e)} if {self._print(c)}"
            if c != sp.true
            else f"{self._print(e)} otherwise"
            for e, c in expr.args
        ]
        return "{" + "; ".join(parts) + "}"


def latex(expr: Any) -> str:
    """LaTeX for a sympy expression (or a plain string, returned as ``\\text{...}``)."""
    if isinstance(expr, str):
        return rf"\text{{{_latex_reason(expr)}}}"
    return _Latex({"ln_notation": False}).doprint(expr)


def text(expr: Any) -> str:
    """One-line Unicode text for a sympy expression (or a plain string as is)."""
    if isinstance(expr, str):
        return expr
    return _Text({"order": None}).doprint(expr).replace("**", "^").replace("*", "·")


def _relation(step: Step) -> str:
    return "" if step.start else "="


# ---- writers --------------------------------------------------------------------------


def as_json(d: Derivation) -> dict[str, Any]:
    """The --json document: ``identity``, ``steps`` [{latex, text, reason, verified}], checks."""
    return {
        "derivation": d.name,
        "identity": {"text": d.identity_text, "latex": d.identity_latex},
        "steps": [
            {
                "latex": latex(s.expr),
                "text": text(s.expr),
                "reason": s.reason,
                "verified": s.verified,
                "starts_chain": s.start,
                "method": s.method,
            }
            for s in d.steps
        ],
        "checks": [
            {
                "name": c.name,
                "ok": c.ok,
                "detail": c.detail,
                **({"values": c.values} if c.values else {}),
            }
            for c in d.checks
        ],
        "tables": [
            {
                "title": t.title,
                "columns": t.columns,
                "rows": [[text(c) for c in row] for row in t.rows],
                "rows_latex": [[_latex_cell(c) for c in row] for row in t.rows],
            }
            for t in d.tables
        ],
        "notes": d.notes,
        "all_verified": d.all_verified,
    }


def to_text(d: Derivation) -> str:
    """Plain text: identity, numbered steps with reasons and marks, tables, checks, notes."""
    lines = [f"{d.name}: {d.identity_text}", ""]
    for i, s in enumerate(d.steps, 1):
        if s.start and i > 1:
            lines.append("")
        rel = "  " if s.start else "= "
        mark = MARK[s.verified]
        how = f" [{s.method}]" if s.verified is not None and s.method != "sympy" else ""
        lines.append(f"{i:>3}. {rel}{text(s.expr)}")
        lines.append(f"       ({s.reason}) {mark}{how}".rstrip())
    for t in d.tables:
        lines += ["", t.title, "  " + " | ".join(t.columns)]
        lines += ["  " + " | ".join(text(c) for c in row) for row in t.rows]
    if d.checks:
        lines += ["", "checks:"]
        lines += [f"  {_MARK[c.ok]} {c.name}: {c.detail}" for c in d.checks]
    if d.notes:
        lines += ["", *(f"note: {n}" for n in d.notes)]
    lines += ["", _verdict(d)]
    return "\n".join(lines) + "\n"


_MARK = {True: "✓", False: "✗", None: "–"}  # a check: passed, failed, shown without pass/fail


def _verdict(d: Derivation) -> str:
    """ "7/7 steps verified (1 gave up), 2/2 checks passed": each step's method is on its line."""
    n = sum(s.verified is not None for s in d.steps)
    ok = sum(s.verified is True for s in d.steps)
    gave_up = sum(s.method == "gave up" for s in d.steps)
    unchecked = sum(s.method == "could not check" for s in d.steps)
    judged = [c for c in d.checks if c.ok is not None]
    notes = [f"{gave_up} gave up"] * bool(gave_up) + [f"{unchecked} could not check"] * bool(
        unchecked
    )
    verdict = f"{ok}/{n} steps verified" + (f" ({', '.join(notes)})" if notes else "")
    if judged:
        verdict += f", {sum(c.ok for c in judged)}/{len(judged)} checks passed"
    return verdict + "."


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "θ": r"$\theta$",
    "∇": r"$\nabla$",
    "π": r"$\pi$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "<": "$<$",
    ">": "$>$",
    "ε": r"$\epsilon$",
    "·": r"$\cdot$",
    "−": "-",
    "σ": r"$\sigma$",
    "μ": r"$\mu$",
    "∼": r"$\sim$",
    "→": r"$\to$",
    "ρ": r"$\rho$",
    "τ": r"$\tau$",
    "Σ": r"$\Sigma$",
    "λ": r"$\lambda$",
    "∫": r"$\int$",
    "²": r"$^2$",
    "≠": r"$\neq$",
    "∞": r"$\infty$",
    "ₜ": r"$_t$",
    "₀": r"$_0$",
    "₁": r"$_1$",
    "₂": r"$_2$",
    "…": r"\ldots{}",
    "‖": r"$\|$",
    "′": "'",
    "∂": r"$\partial$",
    "∈": r"$\in$",
    "✓": r"\checkmark{}",
    "√": r"$\surd$",
    "×": r"$\times$",
    "–": "--",
    "—": "---",
    "≈": r"$\approx$",
}


def _latex_reason(reason: str) -> str:
    """A reason for ``\\text{...}``: TeX specials escaped, Greek and symbols as inline math."""
    escaped = "".join(_TEXT_ESCAPES.get(ch, ch) for ch in reason)
    return re.sub(r"(?<!\\)\$\$", "", escaped)  # merge adjacent inline math: $a$$b$ -> $ab$


_MATH_LABEL = re.compile(r"[A-Za-z0-9 <>=+.≤≥−εθπσμ-]+")
_MATH_SYMBOLS = {"≤": r"\leq ", "≥": r"\geq ", "−": "-", "ε": r"\epsilon ", "θ": r"\theta "}
_MATH_SYMBOLS |= {"π": r"\pi ", "σ": r"\sigma ", "μ": r"\mu "}


def _latex_cell(cell: Any) -> str:
    """A table cell: a label such as ``A > 0`` or ``1−ε ≤ r ≤ 1+ε`` in math mode, other
    text in ``\\text{...}``, sympy expressions as LaTeX."""
    if isinstance(cell, str):
        is_math = _MATH_LABEL.fullmatch(cell) and not re.search(r"[A-Za-z]{2}", cell)
        if is_math:
            return "".join(_MATH_SYMBOLS.get(ch, ch) for ch in cell).strip()
    return latex(cell)


def to_latex(d: Derivation) -> str:
    """An ``align*`` block per chain: ``&= step && \\text{reason} ✓``."""
    out = [f"% rlcli derive: {d.name}", f"% identity: {d.identity_latex}"]
    chains: list[list[Step]] = []
    for s in d.steps:
        if s.start or not chains:
            chains.append([])
        chains[-1].append(s)
    for chain in chains:
        out.append(r"\begin{align*}")
        rows = []
        for s in chain:
            rel = "&" if s.start else "&="
            mark = {True: r"\checkmark", False: r"\text{NOT VERIFIED}", None: ""}[s.verified]
            rows.append(rf"{rel} {latex(s.expr)} && \text{{{_latex_reason(s.reason)}}}\ {mark}")
        out.append(" \\\\\n".join(rows))
        out.append(r"\end{align*}")
    for t in d.tables:
        out.append(f"% {t.title}")
        out.append(r"\begin{array}{" + "l" * len(t.columns) + "}")
        out.append(" & ".join(rf"\text{{{_latex_reason(c)}}}" for c in t.columns) + r" \\ \hline")
        out.append(" \\\\\n".join(" & ".join(_latex_cell(c) for c in row) for row in t.rows))
        out.append(r"\end{array}")
    # checks, notes and the verdict as comments: kept beside the math, never breaking it
    comments = [f"check {_MARK[c.ok]} {c.name}: {c.detail}" for c in d.checks]
    comments += [f"note: {n}" for n in d.notes] + [_verdict(d)]
    out += ["% " + line.replace("\n", " ") for line in comments]
    return "\n".join(out) + "\n"


def to_markdown(d: Derivation) -> str:
    """Markdown for GitHub: the identity as a math block, steps as a numbered list."""
    out = [f"### `rlcli derive {d.name}`", "", f"$${d.identity_latex}$$", ""]
    for i, s in enumerate(d.steps, 1):
        if s.start and i > 1:
            out.append("")
        rel = "" if s.start else "= "
        mark = {True: " ✓", False: " **✗ not verified**", None: ""}[s.verified]
        out.append(f"{i}. ${rel}{latex(s.expr)}$ — {s.reason}{mark}")
    for t in d.tables:
        out += ["", f"**{t.title}**", "", "| " + " | ".join(t.columns) + " |"]
        out.append("|" + "---|" * len(t.columns))
        for row in t.rows:
            cells = [c if isinstance(c, str) else f"${latex(c)}$" for c in row]
            out.append("| " + " | ".join(cell.replace("|", r"\|") for cell in cells) + " |")
    if d.checks:
        out += ["", "**Checks**", ""]
        out += [f"- {_MARK[c.ok]} {c.name}: {c.detail}" for c in d.checks]
    if d.notes:
        out += ["", *(f"> {n}" for n in d.notes)]
    out += ["", _verdict(d)]
    return "\n".join(out) + "\n"


def to_rich(d: Derivation) -> Any:
    """A rich renderable: the identity, a steps table (✓ per "="), tables, checks."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = [Text(f"{d.name}: {d.identity_text}", style="bold")]
    steps = Table(show_lines=False, expand=False)
    steps.add_column("#", justify="right")
    steps.add_column("")
    steps.add_column("expression", overflow="fold")
    steps.add_column("reason", overflow="fold")
    steps.add_column("")
    for i, s in enumerate(d.steps, 1):
        if s.start and i > 1:
            steps.add_section()
        mark = {True: "[green]✓[/]", False: "[bold red]✗ NOT VERIFIED[/]", None: ""}[s.verified]
        if s.verified is not None and s.method != "sympy":
            mark += f" [dim]{escape(s.method)}[/]"
        steps.add_row(str(i), "" if s.start else "=", escape(text(s.expr)), escape(s.reason), mark)
    parts.append(steps)
    for t in d.tables:
        table = Table(title=escape(t.title))
        for c in t.columns:
            table.add_column(escape(c))
        for row in t.rows:
            table.add_row(*(escape(text(c)) for c in row))
        parts.append(table)
    if d.checks:
        checks = Table(title="checks")
        checks.add_column("")
        checks.add_column("check")
        checks.add_column("detail")
        for c in d.checks:
            mark = {True: "[green]✓[/]", False: "[bold red]✗[/]", None: "[dim]–[/]"}[c.ok]
            checks.add_row(mark, escape(c.name), escape(c.detail))
        parts.append(checks)
    parts += [Text(f"note: {n}", style="dim") for n in d.notes]
    parts.append(Text(_verdict(d), style="bold green" if d.all_verified else "bold red"))
    return Group(*parts)

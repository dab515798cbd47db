"""Worked answers (``replay``, ``calc``) as plain text, Markdown or LaTeX.

Plain strings, not rich: a student copies them into an answer, and a pipe must not wrap.
"""

from __future__ import annotations

import re
import unicodedata

from rlcli.replay.worked import Table, Worked

FORMATS = ("text", "markdown", "latex")


def render(worked: Worked, fmt: str) -> str:
    if fmt == "markdown":
        return markdown(worked)
    if fmt == "latex":
        return latex(worked)
    return text(worked)


def _width(s: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in s)


def _pad(s: str, w: int) -> str:
    return s + " " * (w - _width(s))


def _text_table(table: Table) -> list[str]:
    cols = list(zip(table.header, *table.rows, strict=False))
    widths = [max(_width(c) for c in col) for col in cols]
    out = [
        table.title,
        "  " + "  ".join(_pad(h, w) for h, w in zip(table.header, widths, strict=False)).rstrip(),
    ]
    out += [
        "  " + "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=False)).rstrip()
        for row in table.rows
    ]
    return out


def text(worked: Worked) -> str:
    out = [worked.title]
    out += [f"  note: {n}" for n in worked.notes]
    if worked.lines:
        out.append("")
        width = max(_width(ln.label) for ln in worked.lines)
        for i, ln in enumerate(worked.lines):
            if i in worked.sections:
                out.append(worked.sections[i])
            out.append(f"{_pad(ln.label, width)}  {ln.text}")
    for table in worked.tables:
        out.append("")
        out += _text_table(table)
    return "\n".join(out)


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|") or " "


def markdown(worked: Worked) -> str:
    out = [f"**{worked.title}**", ""]
    out += [f"> {n}" for n in worked.notes]
    if worked.notes:
        out.append("")
    for i, ln in enumerate(worked.lines):
        if i in worked.sections:
            out += ["", f"*{worked.sections[i]}*", ""]
        out.append(f"- {ln.label}: `{ln.text}`")
    for table in worked.tables:
        out += [
            "",
            f"*{table.title}*",
            "",
            "| " + " | ".join(map(_md_cell, table.header)) + " |",
            "|" + "---|" * len(table.header),
        ]
        out += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in table.rows]
    return "\n".join(out)


_SYMBOLS = {
    "←": r"\leftarrow ",
    "·": r"\cdot ",
    "−": "-",
    "γ": r"\gamma ",
    "α": r"\alpha ",
    "λ": r"\lambda ",
    "ρ": r"\rho ",
    "π": r"\pi ",
    "Σ": r"\sum ",
    "δ": r"\delta ",
    "ε": r"\varepsilon ",
    "θ": r"\theta ",
    "∇": r"\nabla ",
    "≤": r"\le ",
    "≥": r"\ge ",
    "Â": r"\hat A",
    "r̂": r"\hat r",
    "p̂": r"\hat p",
    "G̃": r"\tilde G",
    "∂": r"\partial ",
    "‖": r"\,\|\,",
    "→": r"\to ",
    "×": r"\times ",
    "₀": "_0",
    "²": "^2",
    "³": "^3",
    "⁴": "^4",
    "√": r"\sqrt ",
    "∞": r"\infty ",
    "≈": r"\approx ",
    "⊤": r"\top ",
}


def to_latex(s: str) -> str:
    """Unicode working -> LaTeX math: symbols, fractions a/b -> \\tfrac{a}{b}, subscripts."""
    s = s.replace("\\", "\\backslash ").replace("{", r"\{").replace("}", r"\}")
    s = s.replace("%", r"\%").replace("#", r"\#").replace("&", r"\&")
    for k, v in _SYMBOLS.items():
        s = s.replace(k, v)
    s = re.sub(r"(?<![\w.])(-?)(\d+)/(\d+)(?![\w.])", r"\1\\tfrac{\2}{\3}", s)
    s = re.sub(r"_(\(?)([\w:+−\-]+)(\)?)", lambda m: "_{" + m.group(2) + "}", s)
    s = re.sub(r"\^(\()([^)]*)\)", lambda m: "^{" + m.group(2) + "}", s)
    s = re.sub(r"(?<![\\a-zA-Z])([A-Za-z]{2,})", r"\\mathrm{\1}", s)
    return s.replace(";", r";\quad ")


def _tex_text(s: str) -> str:
    """Text mode: specials escaped, math symbols as inline math."""
    for a, b in (
        ("\\", ""),
        ("&", r"\&"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("#", r"\#"),
        ("$", r"\$"),
        ("{", r"\{"),
        ("}", r"\}"),
    ):
        s = s.replace(a, b)
    for k, v in _SYMBOLS.items():
        s = s.replace(k, f"${v.strip()}$")
    return s


def latex(worked: Worked) -> str:
    out = [f"% {worked.title}", r"\paragraph{" + _tex_text(worked.title) + "}", ""]
    out += [r"\noindent " + _tex_text(n) + r"\\" for n in worked.notes]
    if worked.lines:
        out.append(r"\begin{align*}")
        for i, ln in enumerate(worked.lines):
            if i in worked.sections:
                out.append(r"&\text{" + _tex_text(worked.sections[i]) + r"} \\")
            out.append(r"&\text{" + _tex_text(ln.label) + r":}\quad " + to_latex(ln.text) + r" \\")
        out.append(r"\end{align*}")
    for table in worked.tables:
        out += [
            "",
            r"\noindent " + _tex_text(table.title) + r"\\[2pt]",
            r"\begin{tabular}{" + "l" * len(table.header) + "}",
            " & ".join(_tex_text(h) for h in table.header) + r" \\ \hline",
        ]
        out += [
            " & ".join("$" + to_latex(c) + "$" if c else "" for c in row) + r" \\"
            for row in table.rows
        ]
        out.append(r"\end{tabular}")
    return "\n".join(out)

"""Worksheets: numbered exercises in Markdown or LaTeX, the worked solutions in a second
file, and each exercise's data files beside them (so ``--answer`` can check a student's
work). Exercise i of a worksheet with seed S is ``generate(topic, S·1000 + i)``:
deterministic. Works from the generic ``Exercise``, whatever its topic family."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

from rlcli.practice.exercise import Exercise
from rlcli.practice.topics import generate

SPELLED = {
    "·": "*", "★": "*", "π": "pi", "γ": "gamma", "≈": "~", "→": "->", "…": "...",
    "₀": "_0", "₁": "_1", "₂": "_2", "₃": "_3", "₄": "_4", "₅": "_5", "₆": "_6", "₇": "_7",
    "₈": "_8", "₉": "_9", "∑": "sum", "Σ": "sum", "Π": "prod", "—": "--", "−": "-",
    "α": "alpha", "λ": "lambda", "ρ": "rho", "τ": "tau", "δ": "delta", "ε": "eps",
    "←": "<-", "≤": "<=", "≥": ">=", "≠": "!=", "×": "x", "§": "S", "′": "'", "²": "^2",
    "θ": "theta", "∇": "grad", "∂": "d", "√": "sqrt", "‖": "||", "½": "1/2", "±": "+/-",
}  # fmt: skip
TEX_ASCII = str.maketrans(SPELLED)
# A symbol spelled as a word (γ → gamma) is kept apart from a letter or digit beside it:
# γV(S') → "gamma V(S')", γλ → "gamma lambda", not "gammaV", "gammalambda".
_WORDS = "".join(c for c, word in SPELLED.items() if word.isalpha() and len(word) > 1)
_SIGNS = "".join(c for c in SPELLED if c not in _WORDS)  # ², ₁...: no space before them
_GLUED = re.compile(
    f"(?<=[{_WORDS}])(?![{_SIGNS}])(?=[^\\W_]|[{_WORDS}])|(?<=[^\\W_])(?<![{_SIGNS}])(?=[{_WORDS}])"
)
CHECK = "# check: "  # then the command, ANSWER standing for the student's answer
TEX_VERBATIM_WIDTH = 100  # characters of \footnotesize verbatim across a 17 cm text width
TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
               "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}"}  # fmt: skip


def exercises(topics: list[str], count: int, seed: int) -> list[Exercise]:
    return [generate(topics[i % len(topics)], seed * 1000 + i + 1) for i in range(count)]


def command(ex: Exercise, names: dict[str, str] | None = None) -> str:
    """The command that answers ``ex``, its data files renamed by ``names``."""
    names = names or {}
    return " ".join(names.get(token, token) for token in ex.command.split(" "))


def exercise_json(ex: Exercise) -> dict[str, Any]:
    """The ``--json`` form: the exercise, its data files, command, solution and working."""
    from rlcli.render.grading import _json_value

    def plain(doc: Any) -> Any:
        if isinstance(doc, dict):
            return {k: plain(v) for k, v in doc.items()}
        if isinstance(doc, list):
            return [plain(v) for v in doc]
        return _json_value(doc)

    return {
        "topic": ex.topic, "seed": ex.seed, "question": ex.question, "files": dict(ex.files),
        "command": ex.command, "solution": plain(ex.solution), "work": ex.work(),
    }  # fmt: skip


def data_names(ex: Exercise, sheet: Path, i: int) -> dict[str, Path]:
    """Exercise i's data files beside the worksheet: ``ws-01.yaml`` for its one file,
    ``ws-01-NAME`` each when it has several."""
    if len(ex.files) == 1:
        (name,) = ex.files
        return {name: sheet.with_name(f"{sheet.stem}-{i:02d}{Path(name).suffix}")}
    return {name: sheet.with_name(f"{sheet.stem}-{i:02d}-{name}") for name in ex.files}


def worksheet_files(
    topics: list[str], count: int, seed: int, sheet: Path, solutions: Path
) -> list[tuple[Path, str]]:
    """(path, text) for the worksheet, its solutions and each exercise's data files, in
    that order (the caller checks that no two paths name the same file)."""
    exs = exercises(topics, count, seed)
    data = [data_names(ex, sheet, i) for i, ex in enumerate(exs, 1)]
    write = _tex if sheet.suffix == ".tex" else _markdown
    title = f"RL practice worksheet (seed {seed})"
    questions = [_exercise_block(ex, data[i - 1], i) for i, ex in enumerate(exs, 1)]
    answers = [_solution_block(ex, i) for i, ex in enumerate(exs, 1)]
    files = [(sheet, write(title, questions)), (solutions, write(title + ": solutions", answers))]
    for ex, names in zip(exs, data, strict=True):
        files += [(path, ex.files[name]) for name, path in names.items()]
    return files


def _exercise_block(ex: Exercise, data: dict[str, Path], i: int) -> tuple[str, str, str]:
    names = {name: path.name for name, path in data.items()}
    check = f"{CHECK}{command(ex, names)} --answer 'ANSWER'\n"
    shown = "".join(f"# data file: {names[n]}\n{text}" for n, text in ex.files.items())
    return (f"Exercise {i} ({ex.topic})", ex.question, shown + check)


def _solution_block(ex: Exercise, i: int) -> tuple[str, str, str]:
    return (f"Exercise {i} ({ex.topic})", "Worked solution:", "\n".join(ex.work()))


def _markdown(title: str, blocks: list[tuple[str, str, str]]) -> str:
    parts = [f"# {title}\n"]
    for head, text, verbatim in blocks:
        parts.append(f"## {head}\n\n{text}\n\n```\n{verbatim.rstrip()}\n```\n")
    return "\n".join(parts)


def ascii_text(text: str) -> str:
    """pdflatex-safe text: the symbols above spelled out (a space between a spelled word and
    a letter or digit beside it), accents dropped (r̂ → r), any other non-ASCII character as
    ``?``."""
    decomposed = unicodedata.normalize("NFKD", _GLUED.sub(" ", text).translate(TEX_ASCII))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.encode("ascii", "replace").decode("ascii")


def _wrap(line: str) -> list[str]:
    """A verbatim line broken at spaces to fit the page, continued 4 columns further in; a
    check command is broken between its words (a quoted word kept whole), each line but
    the last ending with `` \\``, so that it still runs when copied."""
    if len(line) <= TEX_VERBATIM_WIDTH:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    if not line.startswith(CHECK):
        return textwrap.wrap(line, TEX_VERBATIM_WIDTH, subsequent_indent=indent,
                             break_on_hyphens=False, break_long_words=False)  # fmt: skip
    lines = [CHECK.rstrip()]
    for word in re.findall(r"(?:'[^']*'|\S)+", line[len(CHECK) :]):
        if len(lines[-1]) + 1 + len(word) > TEX_VERBATIM_WIDTH - 2:
            lines[-1] += " \\"
            lines.append(indent + word)
        else:
            lines[-1] += " " + word
    return lines


def tex_escape(text: str) -> str:
    return "".join(TEX_SPECIAL.get(c, c) for c in ascii_text(text))


def _tex(title: str, blocks: list[tuple[str, str, str]]) -> str:
    parts = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\begin{document}",
        rf"\section*{{{tex_escape(title)}}}",
    ]
    for head, text, verbatim in blocks:
        parts.append(rf"\subsection*{{{tex_escape(head)}}}")
        parts.append(tex_escape(text))
        lines = [w for line in ascii_text(verbatim).rstrip().splitlines() for w in _wrap(line)]
        parts += [r"{\footnotesize", r"\begin{verbatim}", *lines, r"\end{verbatim}", "}"]
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"

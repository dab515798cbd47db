"""Worksheets: numbered exercises in Markdown or LaTeX, the worked solutions in a second
file, and each exercise's MDP file beside them (so ``--answer`` can check a student's work).
Exercise i of a worksheet with seed S is ``generate(topic, S·1000 + i)``: deterministic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlcli.practice.generate import Exercise, generate
from rlcli.render.grading import worked_lines

TEX_ASCII = str.maketrans({
    "·": "*", "★": "*", "π": "pi", "γ": "gamma", "≈": "~", "→": "->", "…": "...",
    "₀": "_0", "₁": "_1", "₂": "_2", "₃": "_3", "₄": "_4", "₅": "_5", "₆": "_6", "₇": "_7",
    "₈": "_8", "₉": "_9", "∑": "sum", "—": "--", "−": "-",
})  # fmt: skip
TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
               "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}"}  # fmt: skip


def exercises(topics: list[str], count: int, seed: int) -> list[Exercise]:
    return [generate(topics[i % len(topics)], seed * 1000 + i + 1) for i in range(count)]


def command(ex: Exercise, data: str) -> str:
    return f"rlcli mdp {ex.options.split(' ', 1)[0]} {data} {ex.options.split(' ', 1)[1]}"


def exercise_json(ex: Exercise) -> dict[str, Any]:
    from rlcli.render.grading import _json_value

    def plain(doc: Any) -> Any:
        return {k: plain(v) for k, v in doc.items()} if isinstance(doc, dict) else _json_value(doc)

    return {
        "topic": ex.topic, "seed": ex.seed, "question": ex.question, "mdp": ex.yaml,
        "command": command(ex, "FILE"), "solution": plain(ex.solution),
        "work": worked_lines(ex),
    }  # fmt: skip


def worksheet_files(
    topics: list[str], count: int, seed: int, sheet: Path, solutions: Path
) -> dict[Path, str]:
    """{path: text} for the worksheet, its solutions and one MDP file per exercise."""
    exs = exercises(topics, count, seed)
    data = [sheet.with_name(f"{sheet.stem}-{i:02d}.yaml") for i in range(1, count + 1)]
    write = _tex if sheet.suffix == ".tex" else _markdown
    title = f"RL practice worksheet (seed {seed})"
    questions = [_exercise_block(ex, data[i - 1], i) for i, ex in enumerate(exs, 1)]
    answers = [_solution_block(ex, i) for i, ex in enumerate(exs, 1)]
    files = {sheet: write(title, questions), solutions: write(title + ": solutions", answers)}
    files.update({p: ex.yaml for ex, p in zip(exs, data, strict=True)})
    return files


def _exercise_block(ex: Exercise, data: Path, i: int) -> tuple[str, str, str]:
    check = f"# data file: {data.name}\n# check: {command(ex, data.name)} --answer ANSWER\n"
    return (f"Exercise {i} ({ex.topic})", ex.question, check + ex.yaml)


def _solution_block(ex: Exercise, i: int) -> tuple[str, str, str]:
    return (f"Exercise {i} ({ex.topic})", "Worked solution:", "\n".join(worked_lines(ex)))


def _markdown(title: str, blocks: list[tuple[str, str, str]]) -> str:
    parts = [f"# {title}\n"]
    for head, text, verbatim in blocks:
        parts.append(f"## {head}\n\n{text}\n\n```\n{verbatim.rstrip()}\n```\n")
    return "\n".join(parts)


def tex_escape(text: str) -> str:
    return "".join(TEX_SPECIAL.get(c, c) for c in text.translate(TEX_ASCII))


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
        parts += [r"\begin{verbatim}", verbatim.translate(TEX_ASCII).rstrip(), r"\end{verbatim}"]
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"

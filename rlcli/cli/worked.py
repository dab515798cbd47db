"""Options and output shared by ``replay`` and ``calc``: the format, and ``--answer``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.replay.worked import Worked

FormatOpt = Annotated[str, typer.Option("--format", help="text, markdown or latex.")]
AnswerOpt = Annotated[
    str | None,
    typer.Option(
        "--answer",
        help="Check a hand-worked answer: a YAML file or text keyed as in --json "
        "('values: {A: 3/4}'), or 'A=3/4, B=1'. Exit 0 all right, 1 something wrong.",
    ),
]
TolOpt = Annotated[
    float | None,
    typer.Option("--tol", help="--answer: absolute tolerance instead of 'rounded right'."),
]


def show_answer(
    doc: dict[str, Any],
    worked: Worked,
    fmt: str,
    json: bool,
    answer: str | None,
    tol: float | None,
    mistakes: Mapping[str, Callable[[], Mapping[str, Any]]] | None,
) -> None:
    """Print the worked answer (and the grading); exit 1 when a graded cell is wrong."""
    from rlcli.errors import UsageError
    from rlcli.render.jsonout import emit
    from rlcli.render.worked import FORMATS, render

    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    report = None
    if answer is not None:
        from rlcli.grade.answer import read_answer
        from rlcli.grade.grade import grade

        if tol is not None and not tol >= 0:
            raise UsageError("--tol: must be ≥ 0")
        report = grade(doc, read_answer(answer), tol, mistakes)
    if json:
        if report is not None:
            from rlcli.render.grading import grading_json

            doc = {**doc, "answer": grading_json(report)}
        emit(doc)
    else:
        typer.echo(render(worked, fmt))
        if report is not None:
            from rlcli.render.grading import grading_text

            typer.echo(grading_text(report))
    if report is not None and not report.all_right:
        raise typer.Exit(1)

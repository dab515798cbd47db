"""``rlcli practice``: exam drills in the terminal, worksheets; and ``--answer``/``--tol``,
the answer check shared by the computing commands."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rlcli.cli.common import JsonOpt, check_new_file
from rlcli.errors import UsageError


def answer_option(examples: str) -> Any:
    """The ``--answer`` option, its help giving ``examples`` of the command's own keys."""
    return Annotated[
        str | None,
        typer.Option(
            "--answer",
            help=f"Check a hand-worked answer: a YAML file or inline text keyed as --json "
            f"({examples}). Exit 0 all right, 1 something wrong; wrong numbers are diagnosed.",
            metavar="FILE|TEXT",
        ),
    ]


AnswerOpt = answer_option("'values: {A: 3/4}', 'sweeps: {2: {A: -1.75}}', or 'A=3/4, B=-1.7'")
TolOpt = Annotated[
    str | None,
    typer.Option("--tol", help="--answer: right when within this of the truth "
                 "(default: fractions exact, decimals correctly rounded).", metavar="TOL"),
]  # fmt: skip


def tolerance(tol: str | None) -> Fraction | None:
    """``--tol 0.01`` → 1/100 (None: the default rule)."""
    from rlcli.grade.numbers import parse_given

    if tol is None:
        return None
    given = parse_given(tol)
    if given is None or given.value < 0:
        raise UsageError(f"--tol: expected a non-negative number such as 0.01, got {tol!r}")
    return given.value


def check_answer(exercise: Any, answer: str, tol: str | None, json: bool) -> NoReturn:
    """``mdp evaluate|solve --answer``: grade against the MDP exercise, report, exit 0 or 1."""
    from rlcli.grade.mdp import grade_mdp

    finish(grade_mdp(exercise, answer, tolerance(tol)), json)


def finish(report: Any, json: bool) -> NoReturn:
    """Print a graded report (text or ``--json``) and exit 0 (all right) or 1: what every
    command with ``--answer`` ends with (``replay`` and ``calc`` grade with
    ``rlcli.grade.documents``)."""
    _print_report(report, json)
    raise typer.Exit(0 if report.all_right else 1)


def _print_report(report: Any, json: bool) -> None:
    from rlcli.render.grading import report_json, report_lines
    from rlcli.render.jsonout import emit

    if json:
        emit(report_json(report))
    else:
        typer.echo("\n".join(report_lines(report)))


def practice(
    topics: Annotated[
        list[str] | None, typer.Argument(help="Topic(s); none: list the topics.", metavar="TOPIC")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            help="Reproduce an exercise or worksheet (default: a random seed, printed, and "
            "recorded in the worksheet's title).",
        ),
    ] = None,
    count: Annotated[
        int, typer.Option("--count", min=1, max=200, help="Worksheet: exercises.")
    ] = 5,
    worksheet: Annotated[
        Path | None, typer.Option("--worksheet", help="Write a worksheet (.md or .tex).")
    ] = None,
    solutions: Annotated[
        Path | None, typer.Option("--solutions", help="Worksheet: the worked solutions here.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Worksheet: overwrite the worksheet, solutions and data files."
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Exam drill: a fresh exercise, your answer on stdin, graded and diagnosed, then the
    worked solution. With --worksheet: numbered exercises, solutions and data files."""
    from rlcli.practice.topics import topics as all_topics

    TOPICS = all_topics()
    if not topics and (worksheet is not None or solutions is not None):
        flag = "--worksheet" if worksheet is not None else "--solutions"
        raise UsageError(
            f"{flag}: name the TOPIC(s) its exercises are drawn from, e.g. "
            "rlcli practice td0 sarsa --count 6 --worksheet sheet.md (rlcli practice lists "
            "the topics)"
        )
    if not topics:
        if json:
            from rlcli.render.jsonout import emit

            emit({"topics": dict(TOPICS)})
            return
        width = max(len(t) for t in TOPICS)
        typer.echo("\n".join(f"{t:<{width}}  {d}" for t, d in TOPICS.items()))
        return
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise UsageError(f"TOPIC: no topic {unknown[0]!r} (topics: {', '.join(TOPICS)})")
    if worksheet is not None:
        _worksheet(topics, count, _seed(seed), worksheet, solutions, force)
        return
    if solutions is not None:
        raise UsageError("--solutions goes with --worksheet FILE")
    if len(topics) > 1:
        raise UsageError("one TOPIC per drill (several go with --worksheet)")
    _drill(topics[0], seed, json)


def _seed(seed: int | None) -> int:
    """``--seed``, or a fresh random one (printed, so that the run can be made again)."""
    import random

    return random.SystemRandom().randrange(10**6) if seed is None else seed


def _drill(topic: str, seed: int | None, json: bool) -> None:
    """Print the exercise, grade the answer read on stdin, print the worked solution. Exit 1
    only when an answer was given and something in it is wrong or missing: without an
    answer no check was asked for (exit 0)."""
    from rlcli.practice.sheet import exercise_json
    from rlcli.practice.topics import generate
    from rlcli.render.grading import missing_lines, report_json
    from rlcli.render.jsonout import emit

    seed = _seed(seed)
    ex = generate(topic, seed)
    tty = sys.stdin is not None and sys.stdin.isatty()
    if json:  # an answer piped in is graded; at a terminal none is waited for
        text = "" if tty else _piped_answer()
        doc = exercise_json(ex)
        code = 0
        if text.strip():
            report = ex.grade(text.rstrip(), None)
            missing = ex.missing(report)
            doc["answer"] = report_json(report) | {"missing": missing}
            code = 0 if report.all_right and not missing else 1
        emit(doc)
        raise typer.Exit(code)
    typer.echo(f"{topic}, seed {seed} (rlcli practice {topic} --seed {seed} repeats it)\n")
    for name, file_text in ex.files.items():
        typer.echo(f"# {name}\n{file_text}")
    typer.echo(ex.question)
    if tty:
        typer.echo("your answer (in the form the question ends with, YAML or A=.., B=..; "
                   "an empty line ends it):")  # fmt: skip
        text = "\n".join(iter(lambda: sys.stdin.readline().rstrip("\n"), ""))
    else:
        text = _piped_answer()
    typer.echo("")
    code = 0
    if text.strip():
        report = ex.grade(text.rstrip(), None)
        _print_report(report, False)
        missing = ex.missing(report)
        for line in missing_lines(missing):
            typer.echo(line)
        code = 0 if report.all_right and not missing else 1
    else:
        typer.echo("no answer given: nothing graded")
    typer.echo(f"\nworked solution ({ex.command}):")
    typer.echo("\n".join(ex.work()))
    raise typer.Exit(code)


def _piped_answer() -> str:
    """The answer on standard input, read up to one character over the answer size limit
    (the grader refuses it then; ``/dev/zero`` piped in never fills the memory)."""
    from rlcli.grade.answer import MAX_ANSWER_BYTES

    if sys.stdin is None:  # started with stdin closed (<&-): no answer
        return ""
    return sys.stdin.read(MAX_ANSWER_BYTES + 1)


def _worksheet(
    topics: list[str], count: int, seed: int, sheet: Path, solutions: Path | None, force: bool
) -> None:
    from rlcli.practice.sheet import worksheet_files

    if sheet.suffix not in (".md", ".tex"):
        raise UsageError(f"--worksheet {sheet}: name a .md or .tex file")
    if solutions is None:
        solutions = sheet.with_name(f"{sheet.stem}-solutions{sheet.suffix}")
    for path, flag in ((sheet, "--worksheet"), (solutions, "--solutions")):
        if not path.parent.is_dir():
            raise UsageError(f"{flag} {path}: the folder {path.parent} does not exist")
    files = worksheet_files(topics, count, seed, sheet, solutions)
    _refuse_same_file([path for path, _ in files])
    for path, _ in files:
        check_new_file(path, "--worksheet" if path != solutions else "--solutions", force)
    for path, text in files:
        path.write_text(text, encoding="utf-8")
    typer.echo(
        f"wrote {sheet}, {solutions} and {len(files) - 2} data file(s) beside them; "
        f"seed {seed} (--seed {seed} writes the same files again)"
    )


def _refuse_same_file(paths: list[Path]) -> None:
    """The worksheet, its solutions and the data files (``paths``, in that order) must be
    different files: one written over another would be lost."""
    import os

    flags = ["--worksheet", "--solutions"]
    first: dict[str, int] = {}
    for i, path in enumerate(paths):
        j = first.setdefault(os.path.normcase(os.path.abspath(path)), i)
        if j == i:
            continue
        if i == 1:
            raise UsageError(
                f"--solutions {path}: the same file as --worksheet; give the solutions "
                "their own file"
            )
        raise UsageError(  # a data file, named after the worksheet: j is 0 or 1
            f"{flags[j]} {paths[j]}: the worksheet's data file {path.name} would be "
            "written there too; give it another name"
        )

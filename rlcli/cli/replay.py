"""``rlcli replay METHOD [EXPERIENCE]``: tabular updates on given experience, worked out.

Also the output shared with ``rlcli calc``: ``--format`` and ``show_answer`` (``--answer``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rlcli.cli.common import JsonOpt
from rlcli.cli.practice import TolOpt, answer_option
from rlcli.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.replay.worked import Worked


AnswerOpt = answer_option("'values: {A: 3/4}', 'q: {A: {left: 0}}', or 'A=3/4, B=-1.7'")
FormatOpt = Annotated[str, typer.Option("--format", help="text, markdown or latex.")]


def show_answer(
    doc: dict[str, Any],
    worked: Worked,
    fmt: str,
    json: bool,
    answer: str | None,
    tol: str | None,
    mistakes: Mapping[str, Callable[[], Mapping[str, Any]]] | None,
) -> None:
    """Print the worked answer; with ``answer``, grade it against ``doc`` (the ``--json``
    document), diagnosing with the named ``mistakes``, and exit 0 all right or 1 (text: the
    working, then the report; ``--json``: the report, as ``mdp evaluate --answer``)."""
    from rlcli.render.jsonout import emit
    from rlcli.render.worked import FORMATS, render

    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if answer is None:
        if json:
            emit(doc)
        else:
            typer.echo(render(worked, fmt))
        return
    from rlcli.cli.practice import finish, tolerance
    from rlcli.grade.documents import grade_document

    report = grade_document(doc, answer, tolerance(tol), mistakes)
    if not json:
        typer.echo(render(worked, fmt))
    finish(report, json)


def replay(
    method: Annotated[
        str,
        typer.Argument(
            help="td, nstep, td-lambda, mc, sarsa, q-learning, "
            "expected-sarsa, double-q, returns, importance-sampling."
        ),
    ],
    experience: Annotated[
        str | None,
        typer.Argument(
            help="An experience file (YAML), - for standard input, or inline episodes "
            "'A 0 B 1; B 1'."
        ),
    ] = None,
    episodes: Annotated[
        str | None, typer.Option("--episodes", help="Inline episodes, ';' between them.")
    ] = None,
    transitions: Annotated[
        str | None,
        typer.Option("--transitions", help="Inline transitions 's a r s'', ';' between them."),
    ] = None,
    gamma: Annotated[
        str | None, typer.Option(help="Discount γ (default: the file's, the MDP's, else 1).")
    ] = None,
    alpha: Annotated[
        str | None, typer.Option(help="Step size α (mc default: sample averages 1/N).")
    ] = None,
    init: Annotated[
        str | None, typer.Option("--init", help="V0: '0.5', 'A=1/2,B=1'; Q0: 'A.left=1'.")
    ] = None,
    terminal: Annotated[str | None, typer.Option(help="Terminal states, comma list.")] = None,
    n: Annotated[int, typer.Option("--n", help="nstep: n.")] = 1,
    lam: Annotated[str | None, typer.Option("--lambda", help="td-lambda / returns: λ.")] = None,
    variant: Annotated[
        str, typer.Option(help="td-lambda: offline, accumulating, replacing, true-online.")
    ] = "offline",
    visit: Annotated[str, typer.Option(help="mc / importance-sampling: first or every.")] = "every",
    batch: Annotated[
        bool, typer.Option("--batch", help="td / mc: batch updating to its fixed point.")
    ] = False,
    epsilon: Annotated[
        str | None, typer.Option(help="expected-sarsa: ε of the ε-greedy target policy.")
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(help="expected-sarsa: target policy table 'A=left:1/2|right:1/2; B=left'."),
    ] = None,
    coins: Annotated[
        str | None, typer.Option(help="double-q: coin flips, 1 = update Q1, 2 = Q2.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="double-q: seed for the coin flips.")] = None,
    target: Annotated[
        str | None, typer.Option(help="importance-sampling: target policy table.")
    ] = None,
    behaviour: Annotated[
        str | None,
        typer.Option(
            "--behaviour", "--behavior", help="importance-sampling: behaviour policy table."
        ),
    ] = None,
    per_decision: Annotated[
        bool, typer.Option("--per-decision", help="importance-sampling: also per-decision IS.")
    ] = False,
    returns: Annotated[
        str | None, typer.Option(help="importance-sampling: given returns, comma list.")
    ] = None,
    ratios: Annotated[
        str | None, typer.Option(help="importance-sampling: given ratios, comma list.")
    ] = None,
    mdp: Annotated[
        Path | None,
        typer.Option(
            "--mdp",
            help="MDP file: names, terminal states, γ; the experience is checked against it.",
        ),
    ] = None,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """Apply a tabular learning update to given experience, one update per row, exactly."""
    from rlcli.render.worked import FORMATS
    from rlcli.replay import experience as xp
    from rlcli.replay.run import Options
    from rlcli.replay.run import replay as run

    if format not in FORMATS:
        raise UsageError(f"--format: {format!r} is not one of {', '.join(FORMATS)}")
    model = None
    if mdp is not None:
        from rlcli.cli.common import load

        model = load(mdp)
    extra_terminal = {t.strip() for t in (terminal or "").split(",") if t.strip()}
    if model is not None:
        extra_terminal |= {s for i, s in enumerate(model.states) if model.terminal[i]}
    exp = None
    if experience is not None and (episodes or transitions):
        raise UsageError(
            "give the experience once: a file/text argument or --episodes/--transitions"
        )
    if experience == "-":  # standard input, as wherever a command takes a FILE
        if sys.stdin is None:  # started with stdin closed (<&-)
            raise UsageError("EXPERIENCE -: standard input is closed")
        text = sys.stdin.read(xp.MAX_FILE_BYTES + 1)
        if len(text) > xp.MAX_FILE_BYTES:
            raise UsageError(
                f"EXPERIENCE -: standard input is over the {xp.MAX_FILE_BYTES} character limit "
                "of an experience file"
            )
        exp = xp.loads(text, "<stdin>", extra_terminal)
    elif experience is not None:
        path = Path(experience)
        inline = any(c.isspace() or c in ";," for c in experience)
        if _exists(path) or (not inline and path.suffix):
            exp = xp.from_file(path, extra_terminal)
        else:
            exp = xp.from_text(experience, None, extra_terminal, "EXPERIENCE")
    elif episodes is not None or transitions is not None:
        exp = xp.from_text(episodes, transitions, extra_terminal)
    opt = Options(
        gamma,
        alpha,
        init,
        n,
        lam,
        variant,
        visit,
        batch,
        epsilon,
        policy,
        coins,
        seed,
        target,
        behaviour,
        per_decision,
        returns,
        ratios,
    )
    worked = run(method, exp, opt, model)
    mistakes = None
    if answer is not None:
        from rlcli.replay.mistakes import replay_mistakes

        mistakes = replay_mistakes(method, exp, opt, model)
    show_answer(
        {"method": method, **worked.document()}, worked, format, json, answer, tol, mistakes
    )


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # e.g. a name too long to be a file
        return False

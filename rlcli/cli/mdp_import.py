"""``rlcli mdp import ENV_ID``: a Gymnasium env's transition model as an MDP file."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from rlcli.cli.common import ForceOpt, JsonOpt, check_new_file, is_stdout
from rlcli.cli.mdp import app
from rlcli.errors import UsageError
from rlcli.render.jsonout import emit


@app.command("import")
def import_(
    env_id: Annotated[
        str,
        typer.Argument(help="A Gymnasium id with a transition model: FrozenLake-v1, Taxi-v4, ..."),
    ],
    kwargs: Annotated[
        str | None,
        typer.Option(
            "--kwargs",
            help="Constructor arguments k=v,... (YAML 1.2 values: true/false, not yes/no): "
            "'map_name=8x8,is_slippery=false', 'desc=[SFF, FHF, FFG]'.",
            metavar="K=V,...",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Write the MDP file here (default, or '-': standard output)."
        ),
    ] = None,
    gamma: Annotated[
        str,
        typer.Option("--gamma", help="The discount to write (Gymnasium has none): 0.99, 1, 9/10."),
    ] = "99/100",
    force: ForceOpt = False,
    json: JsonOpt = False,
) -> None:
    """Write a Gymnasium env's P (FrozenLake, Taxi, CliffWalking) as an MDP file: exact
    fractions, duplicate outcomes summed, terminal states marked, the map kept for grids."""
    from rlcli.gym.importer import import_env
    from rlcli.gym.kwargs import parse_kwargs

    if is_stdout(output):
        output = None  # ``-o -``: standard output, the default
    check_new_file(output, "-o", force)
    if output is not None and not output.parent.is_dir():
        raise UsageError(f"-o {output}: the directory {output.parent} does not exist")
    if json and output is None:
        raise UsageError("--json reports on the file written with -o FILE; give -o")
    try:
        discount = Fraction(gamma.strip())
    except (ValueError, ZeroDivisionError):
        raise UsageError(
            f"--gamma: expected a number such as 0.99 or 9/10, got {gamma!r}"
        ) from None
    if not 0 <= discount <= 1:
        raise UsageError(f"--gamma: must be in [0, 1], got {gamma}")
    result = import_env(env_id, parse_kwargs(kwargs), discount)
    if output is None:
        sys.stdout.write(result.text)
        return
    try:
        output.write_text(result.text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"-o {output}: cannot write the file: {exc.strerror}") from None
    if json:
        emit(
            {
                "states": result.states,
                "actions": result.actions,
                "outcomes": result.outcomes,
                "path": str(output),
                "form": result.form,
            }
        )
    else:
        typer.echo(
            f"wrote {output}: {result.states} states, {result.actions} actions, "
            f"{result.outcomes} outcomes ({result.form} form)",
            err=True,
        )

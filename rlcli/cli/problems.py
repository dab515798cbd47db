"""``rlcli problems``: list, show and copy out the bundled exercise files."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from rlcli.cli.common import JsonOpt, is_stdout
from rlcli.errors import UsageError
from rlcli.problem_library import entries, find
from rlcli.render.jsonout import emit

app = typer.Typer(help="The bundled exercise library (problems/).", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Problem name, as in 'rlcli problems list'.")]
SUMMARY_CHARS = 72


def summary(description: str) -> str:
    """The start of a description for the list: up to its first sentence end (a full stop
    before a capital: "Ex. 6.2" goes on), colon or semicolon, and at most ``SUMMARY_CHARS``
    characters (cut at a word, with "…")."""
    first = re.split(r"\.\s+(?=[A-Z])|:\s|;\s", description, maxsplit=1)[0].rstrip(".")
    if len(first) <= SUMMARY_CHARS:
        return first
    return first[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@app.command("list")
def list_(json: JsonOpt = False) -> None:
    """List the bundled problems."""
    items = entries()
    if json:
        emit(
            {
                "problems": [
                    {
                        "name": e.name,
                        "title": e.title,
                        "description": e.description,
                        "path": str(e.path),
                    }
                    for e in items
                ]
            }
        )
        return
    from rich.table import Table

    from rlcli.cli.console import out

    table = Table(title="Bundled problems", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("title")
    table.add_column("source")
    for e in items:
        table.add_row(e.name, e.title, summary(e.description))
    out.print(table)
    out.print(
        "Use: rlcli problems show NAME | rlcli problems copy NAME | "
        "rlcli mdp solve $(rlcli problems path NAME)"
    )


@app.command()
def show(name: NameArg, json: JsonOpt = False) -> None:
    """Print a bundled problem file."""
    entry = find(name)
    text = entry.path.read_text(encoding="utf-8")
    if json:
        emit({"name": entry.name, "path": str(entry.path), "text": text})
        return
    from rich.syntax import Syntax  # pygments: only here

    from rlcli.cli.console import out

    out.print(Syntax(text, "yaml", theme="ansi_dark", line_numbers=True, word_wrap=True))


@app.command()
def path(name: NameArg, json: JsonOpt = False) -> None:
    """Print the path of a bundled problem (for use in other commands)."""
    entry = find(name)
    if json:
        emit({"name": entry.name, "path": str(entry.path)})
        return
    typer.echo(str(entry.path))


@app.command()
def copy(
    name: NameArg,
    dest: Annotated[
        Path,
        typer.Argument(help="Target file or directory; - for standard output (the file as is)."),
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    json: JsonOpt = False,
) -> None:
    """Copy a bundled problem out, to edit it."""
    entry = find(name)
    if is_stdout(dest):
        if json:
            raise UsageError(
                "DEST - and --json both write to standard output: give DEST a file name, or "
                "leave out one of them"
            )
        sys.stdout.write(entry.path.read_text(encoding="utf-8"))
        return
    target = dest / entry.path.name if dest.is_dir() else dest
    if target.exists() and not force:
        raise UsageError(f"{target} exists; use --force to overwrite")
    try:
        shutil.copyfile(entry.path, target)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    if json:
        emit({"name": entry.name, "path": str(target)})
    else:
        typer.echo(f"copied {entry.name} to {target}")

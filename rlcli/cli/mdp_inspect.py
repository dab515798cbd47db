"""``rlcli mdp check`` and ``rlcli mdp show``: validate files and look at a model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rlcli.cli import console
from rlcli.cli.common import FileArg, JsonOpt, SetOpt, file_path, load, parse_overrides
from rlcli.cli.mdp import app
from rlcli.errors import MDPFileError, UsageError
from rlcli.render.jsonout import emit


@app.command()
def check(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="MDP files (or bundled problem names; - for standard input) to validate.",
            parser=file_path,
        ),
    ],
    set_: SetOpt = None,
    json: JsonOpt = False,
) -> None:
    """Validate MDP files: exit 0 if all are valid, 2 if any is not (every problem listed)."""
    overrides = parse_overrides(set_)  # a malformed --set: a usage error before any file
    given = ", ".join(f"{name}={value}" for name, value in overrides.items())
    reports = []
    for file in files:
        try:
            mdp = load(file, set_)
        except MDPFileError as exc:
            reports.append(
                {
                    "file": str(file),
                    "valid": False,
                    "problems": [
                        {"line": p.line, "path": p.path, "message": p.message} for p in exc.problems
                    ],
                }
            )
            if not json:
                for line in MDPFileError.lines(exc.problems):
                    console.err.print(line, markup=False, highlight=False, soft_wrap=True)
            continue
        except UsageError as exc:  # --set makes this file invalid: the other files go on
            if not str(exc).startswith("--set "):
                raise
            problems = [
                {"line": p.line, "path": p.path, "message": f"--set {given}: {p.message}"}
                for p in exc.problems
            ] or [{"line": None, "path": "", "message": str(exc)}]
            reports.append({"file": str(file), "valid": False, "problems": problems})
            if not json:
                console.err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            continue
        reports.append(
            {
                "file": str(file),
                "valid": True,
                "states": mdp.n_states,
                "pairs": mdp.n_pairs,
                "outcomes": mdp.n_outcomes,
            }
        )
        if not json:
            console.out.print(
                f"ok  {file}: {mdp.name}: {mdp.n_states} states, {mdp.n_pairs} state-action "
                f"pairs, {mdp.n_outcomes} outcomes",
                markup=False,
                soft_wrap=True,
            )
    valid = all(r["valid"] for r in reports)
    if json:
        emit({"valid": valid, "files": reports})
    if not valid:
        raise typer.Exit(2)


@app.command()
def show(
    file: FileArg,
    set_: SetOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", help="List every outcome (default: the first 200).")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Show an MDP: summary, map (grid worlds), transition table and policies."""
    from rlcli.render import mdp_view

    mdp = load(file, set_)
    if json:
        emit(mdp_view.as_json(mdp))
        return
    console.out.print(mdp_view.show(mdp, limit=None if all_ else 200))

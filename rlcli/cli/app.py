"""The root ``rlcli`` command: reinforcement-learning exercises and solvers."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from rlcli import __version__
from rlcli.cli import (
    calc,
    control,
    derive,
    estimate,
    lm,
    mdp,
    mdp_inspect,  # noqa: F401  (registers mdp check/show)
    mdp_solve,  # noqa: F401  (registers mdp evaluate/solve/equations)
    practice,
    problems,
    replay,
    train,
)
from rlcli.errors import RlcliError

ORDER = ("mdp", "estimate", "control", "derive", "train", "problems")


class RlcliGroup(TyperGroup):
    """Root group: library errors become a clean message and their exit code (no traceback)."""

    def list_commands(self, ctx: Any) -> list[str]:
        """Commands in the order of the course: exact solving, learning, derivations, training."""
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RlcliError as exc:
            typer.echo(f"error: {exc}" if "\n" not in str(exc) else str(exc), err=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=RlcliGroup,
    name="rlcli",
    help="Reinforcement-learning exercises and solvers: exact MDP solving, MC/TD "
    "simulation, machine-checked derivations and NumPy policy gradients.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rlcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Reinforcement-learning exercises and solvers."""


app.add_typer(mdp.app, name="mdp")
app.add_typer(derive.app, name="derive")
app.add_typer(train.app, name="train")
app.add_typer(problems.app, name="problems")
app.add_typer(calc.app, name="calc")
app.add_typer(lm.app, name="lm")
app.command("estimate")(estimate.estimate)
app.command("control")(control.control)
app.command("replay")(replay.replay)
app.command("practice")(practice.practice)


def main() -> None:
    app()

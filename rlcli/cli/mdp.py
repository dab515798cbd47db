"""``rlcli mdp``: the command group; its commands live in mdp_inspect.py and mdp_solve.py."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Check, show, evaluate and solve MDP files exactly.",
    no_args_is_help=True,
)

from rlcli.cli import mdp_import  # noqa: E402, F401  (registers mdp import)

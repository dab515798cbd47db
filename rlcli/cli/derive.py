"""``rlcli derive``: the identities behind policy gradients, every step checked by sympy."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Derive the identities behind policy gradients step by step; sympy checks every step.",
    no_args_is_help=True,
)

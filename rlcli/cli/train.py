"""``rlcli train``: policy-gradient agents in plain NumPy on toy tasks."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Train REINFORCE, actor-critic (GAE), PPO and GRPO agents in plain NumPy.",
    no_args_is_help=True,
)

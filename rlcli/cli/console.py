"""The rich consoles: results to stdout, progress and errors to stderr."""

from __future__ import annotations

from rich.console import Console

from rlcli.errors import ClosedPipe


class _Console(Console):
    """A rich console that reports a closed pipe to the CLI (exit 141) instead of exiting 1."""

    def on_broken_pipe(self) -> None:
        raise ClosedPipe


out = _Console(highlight=False)
err = _Console(stderr=True, highlight=False)

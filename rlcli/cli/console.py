"""The rich consoles: results to stdout (``out``), progress and errors to stderr (``err``).

Each is built on first use (``from rlcli.cli.console import out``, or ``console.out`` in a
command that may not print through rich): importing rich costs ≈ 0.03 CPU-s that a
``--json`` run does not need.
"""

from __future__ import annotations

from typing import Any

from rlcli.errors import ClosedPipe


def _console(stderr: bool) -> Any:
    from rich.console import Console

    class _Console(Console):
        """A rich console that reports a closed pipe to the CLI (exit 141) instead of exiting 1."""

        def on_broken_pipe(self) -> None:
            raise ClosedPipe

    return _Console(stderr=stderr, highlight=False)


def __getattr__(name: str) -> Any:
    if name not in ("out", "err"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    console = _console(stderr=name == "err")
    globals()[name] = console
    return console

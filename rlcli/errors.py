"""Error types shared by the library and the CLI.

The library raises these; the CLI turns them into a message on stderr and
exit code 2 (bad input) without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class RlcliError(Exception):
    """Base class: bad input or usage. The CLI prints the message and exits 2."""

    exit_code = 2


class UsageError(RlcliError):
    """An option value that makes no sense (e.g. --alpha -1)."""


class NumericalError(RlcliError):
    """A well-formed problem with no (finite) answer, explained in the message."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: ``FILE:LINE: path: message``."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class MDPFileError(RlcliError):
    """Every problem found in one MDP file (all at once, not only the first)."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(str(p) for p in self.problems))

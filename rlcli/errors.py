"""Error types shared by the library and the CLI.

The library raises these; the CLI turns them into a message on stderr and
exit code 2 (bad input) without a traceback.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def printable(text: str, newlines: bool = True) -> str:
    """``text`` with control and bidi-format characters escaped (``\\x1b``, ``\\u202e``).

    Messages echo file names and values the user typed; escaping them means a name such as
    ``$'\\e[2J.yaml'`` is shown, not executed by the terminal. Newlines separate the
    problems of one message and are kept unless ``newlines`` is false.
    """
    return "".join(
        ch
        if (ch == "\n" and newlines) or unicodedata.category(ch) not in ("Cc", "Cf")
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


class RlcliError(Exception):
    """Base class: bad input or usage. The CLI prints the message and exits 2.

    ``problems``: the input file's problems behind the error (``--json`` lists them).
    """

    exit_code = 2

    def __init__(self, *args: object, problems: list[Problem] | None = None) -> None:
        super().__init__(*args)
        self.problems = list(problems or [])


class UsageError(RlcliError):
    """An option value that makes no sense (e.g. --alpha -1)."""


class FieldError(UsageError):
    """A bad value of one named input field (``f``, ``support``, ``at``...).

    The library names the field; the CLI names the option that fills it (:meth:`as_option`).
    """

    def __init__(self, field: str, message: str, value: str | None = None):
        self.field, self.message, self.value = field, message, value
        super().__init__(self.render(field))

    def render(self, name: str) -> str:
        """``NAME VALUE: message`` (or ``NAME: message`` without a value)."""
        shown = f"{name} {self.value}" if self.value is not None else name
        return f"{shown}: {self.message}"

    def as_option(self, option: str) -> UsageError:
        """The same error, naming the command-line ``option`` instead of the field."""
        return UsageError(self.render(option))


class NumericalError(RlcliError):
    """A well-formed problem with no (finite) answer, explained in the message."""


class ClosedPipe(Exception):
    """stdout was closed by its reader (``rlcli ... | head``): exit 141 quietly."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: ``FILE:LINE: path: message``."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        file = printable(self.file, newlines=False) or "''"
        where = f"{file}:{self.line}" if self.line is not None else file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class MDPFileError(RlcliError):
    """Every problem found in one MDP file (all at once, not only the first)."""

    SHOWN = 200  # problems written out; ``--json`` lists them all

    def __init__(self, problems: list[Problem]):
        problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(MDPFileError.lines(problems)), problems=problems)

    @staticmethod
    def lines(problems: list[Problem]) -> list[str]:
        """The problems as text lines: the first ``SHOWN``, then how many more there are
        (a broken generated file can have tens of thousands)."""
        shown = [str(p) for p in problems[: MDPFileError.SHOWN]]
        if len(problems) > MDPFileError.SHOWN:
            shown.append(f"… and {len(problems) - MDPFileError.SHOWN:,} more problems")
        return shown

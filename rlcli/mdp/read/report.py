"""Collecting validation problems, and the wording shared by every message."""

from __future__ import annotations

import difflib
from typing import Any

from rlcli.errors import Problem
from rlcli.mdp.read.expr import UsesInvalidName
from rlcli.mdp.read.source import kind, line_of, show

SUGGESTION_BUDGET = 50_000  # name comparisons per file spent on "did you mean" hints


class Report:
    """Collects problems: ``add(container, key, path, message)``."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.suggestions_left = SUGGESTION_BUDGET
        self.repeats = 0  # problems left out because they repeat a reported one

    def count(self) -> int:
        """Problems found so far, reported or left out as repeats."""
        return len(self.problems) + self.repeats

    def add(self, container: Any, key: Any, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, line_of(container, key), path, message))

    def at(self, line: int | None, path: str, message: str) -> None:
        """A problem on a known line (a row of a grid map, inside one text value)."""
        self.problems.append(Problem(self.file, line, path, message))

    def expr_error(self, container: Any, key: Any, path: str, exc: Exception) -> None:
        """Report an expression's error, unless it only repeats an earlier one (the use
        of a parameter that was itself reported invalid)."""
        if isinstance(exc, UsesInvalidName):
            self.repeats += 1
        else:
            self.add(container, key, path, str(exc))

    def unknown(self, what: str, value: Any, options: Any) -> str:
        """The "unknown state 'x' (did you mean 'y'?)" message; hints stop once the file has spent
        ``SUGGESTION_BUDGET`` comparisons, so many unknown names stay fast."""
        if isinstance(value, bool):
            return bad_name(f"a {what}", value)
        hint = ""
        if len(options) <= self.suggestions_left:
            self.suggestions_left -= len(options)
            hint = did_you_mean(value, options)
        return f"unknown {what} {show(value)}{hint}"

    def duplicates(self, mapping: Any, path: str) -> None:
        for key, line in getattr(mapping, "duplicates", ()):
            where = f"{path}.{key}" if path else str(key)
            self.problems.append(Problem(self.file, line, where, "duplicate key"))


def bad_name(what: str, value: Any) -> str:
    if isinstance(value, bool):
        return (
            f"{what} name cannot be {str(value).lower()}: YAML reads on/off/yes/no/true/false "
            "as a truth value; quote the name, e.g. 'on'"
        )
    return f"{what} name must be a word or number, got {kind(value)}"


def did_you_mean(word: Any, options: Any) -> str:
    if not isinstance(word, (str, int)):
        return ""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def name_of(value: Any) -> str | None:
    """A state/action name: strings and integers (``0`` names state "0")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int):
        return str(value)
    return None

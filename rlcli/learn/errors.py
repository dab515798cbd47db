"""Errors on a learning setting, worded with the setting's name as a placeholder.

The library names fields (``start``, ``max_steps``, ``behavior``); the command line names
its flags (``--start``, ``--max-steps``, ``--behavior``). A message is written once, as a
``str.format`` template: ``{start}`` is a field, filled with the field's own name by
``str(exc)`` and with the CLI's flag by ``exc.named(flags)``; the keyword ``values`` fill
the rest (file names, states: text from the user, never parsed as a template).
"""

from __future__ import annotations

from collections.abc import Mapping

from rlcli.errors import NumericalError, RlcliError, UsageError


class _Fields(dict):
    """A field's name stands for itself unless a mapping says otherwise."""

    def __missing__(self, key: str) -> str:
        return key


class FieldError(RlcliError):
    """An error whose message ``template`` names settings as ``{field}``."""

    def __init__(self, template: str, **values: object) -> None:
        self.template, self.values = template, values
        super().__init__(template.format_map(_Fields(values)))

    def named(self, names: Mapping[str, str]) -> FieldError:
        """The same error, each ``{field}`` replaced by ``names[field]`` (e.g. a flag)."""
        renamed = type(self)(self.template, **self.values)
        renamed.args = (self.template.format_map(_Fields({**names, **self.values})),)
        return renamed


class SettingError(FieldError, UsageError):
    """A setting that makes no sense for this MDP (e.g. a start state that is terminal)."""


class IncompleteEpisodes(FieldError, NumericalError):
    """A method that needs whole episodes was given episodes cut at the step limit."""

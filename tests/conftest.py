"""Shared fixtures for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def fresh_consoles() -> Iterator[None]:
    """Each test gets rich consoles built for its own environment: rlcli/cli/console.py builds
    them once per process (right for the CLI), so a width set by one test's ``COLUMNS`` would
    otherwise carry over to every test after it."""
    from rlcli.cli import console

    for name in ("out", "err"):
        console.__dict__.pop(name, None)
    yield

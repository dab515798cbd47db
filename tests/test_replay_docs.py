"""docs/exam-questions.md shows real output: every ``$ rlcli replay|calc ...`` block followed
by an output block is rerun here and must print exactly that output."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app

DOC = Path(__file__).resolve().parent.parent / "docs" / "exam-questions.md"
EXAMPLE = re.compile(
    r"```console\n\$ rlcli (?P<cmd>[^\n]+)\n```\n\n```(?:text|markdown|latex|json)\n"
    r"(?P<out>.*?)\n```",
    re.S,
)


def examples() -> list[tuple[str, str]]:
    return [(m["cmd"], m["out"]) for m in EXAMPLE.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_page_has_one_example_per_format():
    text = DOC.read_text(encoding="utf-8")
    for fmt in ("text", "markdown", "latex", "json"):
        assert f"```{fmt}\n" in text
    assert len(examples()) >= 8


@pytest.mark.parametrize(("cmd", "out"), examples(), ids=lambda x: x[:40] if "\n" not in x else "")
def test_documented_output_is_what_the_command_prints(cmd, out):
    result = CliRunner().invoke(app, shlex.split(cmd))
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == out

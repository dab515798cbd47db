"""`rlcli derive ppo-clip`: the checks read the table they show, so a corrupted table or
gradient column fails; LaTeX puts comparisons in math mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.derive import ppo_clip


def _cli(*args: str):

    return CliRunner().invoke(app, ["derive", *args])


A = sp.Symbol("A", real=True)


EPS = sp.Symbol("epsilon", positive=True)


def _row(rows: list[list[Any]], sign: str, place: str) -> list[Any]:
    return next(r for r in rows if r[0] == sign and r[1].startswith(place))


def _checks_with_table(monkeypatch, mutate: Callable[[list[list[Any]]], None]) -> dict:
    """regions() with its table rows changed by ``mutate`` before the checks read them."""
    real = ppo_clip.Table

    def table(title: str, columns: list[str], rows: list[list[Any]]) -> Any:
        mutate(rows)
        return real(title, columns, rows)

    monkeypatch.setattr(ppo_clip, "Table", table)
    _, checks = ppo_clip.regions()
    return {c.name: c.ok for c in checks}


R = sp.Symbol("r", positive=True)


def test_ppo_table_latex_puts_comparisons_in_math_mode() -> None:
    """In \\text{...} a bare < or > prints as ¡ ¿ (OT1 font): they must be math."""
    import re

    result = _cli("ppo-clip", "--format", "latex")
    assert result.exit_code == 0, result.output
    texts = re.findall(r"\\text\{((?:[^{}]|\{[^{}]*\})*)\}", result.stdout)
    assert texts
    for body in texts:
        outside_math = re.sub(r"\$[^$]*\$", "", body)
        assert "<" not in outside_math and ">" not in outside_math, body
    assert "\nA > 0 & r < 1-\\epsilon &" in result.stdout  # the labels are math


def test_ppo_checks_pass_on_the_true_table() -> None:
    table, checks = ppo_clip.regions()
    assert len(checks) == 3 and all(c.ok is True for c in checks)
    assert _row(table.rows, "A > 0", "r > 1")[2] == (1 + EPS) * A


def test_ppo_doubled_table_fails_every_check(monkeypatch) -> None:
    def double(rows: list[list[Any]]) -> None:
        for row in rows:
            row[2], row[3] = 2 * row[2], 2 * row[3]

    assert set(_checks_with_table(monkeypatch, double).values()) == {False}


def test_ppo_wrong_branch_fails_the_definition_check(monkeypatch) -> None:
    def unclipped(rows: list[list[Any]]) -> None:  # A > 0, r > 1+ε: the min takes (1+ε)A
        row = _row(rows, "A > 0", "r > 1")
        row[2], row[3] = R * A, A

    ok = _checks_with_table(monkeypatch, unclipped)
    assert ok["table = min(rA, clip(r, 1−ε, 1+ε)A) and its slope"] is False


def test_ppo_wrong_gradient_column_fails(monkeypatch) -> None:
    def flat(rows: list[list[Any]]) -> None:
        _row(rows, "A < 0", "r > 1")[3] = sp.Integer(0)  # the min is rA there: slope A

    ok = _checks_with_table(monkeypatch, flat)
    assert ok["table = min(rA, clip(r, 1−ε, 1+ε)A) and its slope"] is False


def test_ppo_entry_above_ra_fails_the_pessimism_check(monkeypatch) -> None:
    def optimistic(rows: list[list[Any]]) -> None:  # (1−ε)A > rA for A > 0, r < 1−ε
        row = _row(rows, "A > 0", "r < 1")
        row[2], row[3] = (1 - EPS) * A, sp.Integer(0)

    ok = _checks_with_table(monkeypatch, optimistic)
    assert ok["L^CLIP ≤ r·A in all six regions"] is False


def test_ppo_clipped_inside_row_fails_the_r_equals_1_check(monkeypatch) -> None:
    def clipped(rows: list[list[Any]]) -> None:
        row = _row(rows, "A < 0", "1−ε")
        row[2], row[3] = (1 + EPS) * A, sp.Integer(0)

    ok = _checks_with_table(monkeypatch, clipped)
    assert ok["at r = 1: value and gradient of the vanilla policy gradient"] is False
    assert ok["table = min(rA, clip(r, 1−ε, 1+ε)A) and its slope"] is False

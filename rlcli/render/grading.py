"""A graded answer (``--answer``): ✓/✗ per cell with the right value beside each wrong one."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rlcli.grade.grade import Report
from rlcli.replay.worked import show_dec


def _expected(v: Any) -> str:
    return show_dec(v) if isinstance(v, Fraction) else f"{float(v):.6g}"


def grading_text(report: Report) -> str:
    right = sum(c.ok for c in report.cells)
    out = ["", f"your answer: {right}/{len(report.cells)} right"]
    width = max(len(c.path) for c in report.cells)
    for c in report.cells:
        mark = "✓" if c.ok else "✗"
        tail = "" if c.ok else f"   right: {_expected(c.expected)}"
        out.append(f"  {mark} {c.path:<{width}}  {c.given}{tail}")
    for d in report.diagnoses:
        out.append(f"  likely mistake: {d} (recomputing with it gives your numbers)")
    return "\n".join(out)


def grading_json(report: Report) -> dict[str, Any]:
    def num(v: Any) -> Any:
        return float(v) if isinstance(v, (Fraction, float)) else v

    return {
        "cells": [
            {
                "path": c.path,
                "given": c.given,
                "expected": num(c.expected),
                "expected_exact": str(c.expected) if isinstance(c.expected, Fraction) else None,
                "ok": c.ok,
            }
            for c in report.cells
        ],
        "all_right": report.all_right,
        "diagnoses": report.diagnoses,
    }

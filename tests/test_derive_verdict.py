"""A check that cannot pass or fail is shown as such (–), never as ✓; the verdict counts only
checks that were judged, and does not credit sympy for steps checked numerically."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rlcli.cli.app import app

NARROW_Q = ["derive", "importance-sampling", "--p", "normal(0,1)", "--q", "normal(0,0.6)",
            "--f", "x", "--samples", "2000", "--seed", "1"]  # fmt: skip


def test_monte_carlo_with_infinite_variance_is_shown_without_pass_or_fail() -> None:
    result = CliRunner().invoke(app, [*NARROW_Q, "--json"])
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["Monte Carlo: ordinary vs weighted IS"]["ok"] is None
    assert checks["estimator variance"]["ok"] is True  # "infinite" is a verified statement
    text = CliRunner().invoke(app, [*NARROW_Q, "--format", "text"]).stdout
    assert "– Monte Carlo: ordinary vs weighted IS" in text
    assert "✓ Monte Carlo" not in text
    assert text.rstrip().endswith("2/2 checks passed.")
    assert "by sympy" not in text.splitlines()[-1]


def test_latex_keeps_checks_notes_and_verdict_as_comments() -> None:
    result = CliRunner().invoke(
        app,
        ["derive", "importance-sampling", "--q", "normal(0,0.6)", "--samples", "500",
         "--format", "latex"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("% check ✓ estimator variance: INFINITE") for line in lines)
    assert any(line.startswith("% check – Monte Carlo") for line in lines)
    assert lines[-1].startswith("% ") and "steps verified" in lines[-1]
    body = [line for line in lines if not line.startswith("%")]
    assert all(ord(ch) < 128 for line in body for ch in line)  # non-ASCII only in comments

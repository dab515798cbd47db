"""A graded answer as text lines (✓/✗, the right value beside each wrong one, the
diagnoses) and as the ``--json`` document (one entry per cell, the ``diagnoses`` list)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rlcli.grade.answer import Choice
from rlcli.grade.grader import Cell, Report
from rlcli.grade.numbers import Given, Inexact, show


def _given(given: Given | frozenset[str]) -> str:
    return given.text if isinstance(given, Given) else " | ".join(sorted(given))


def _expected(expected: Fraction | Inexact | Choice) -> str:
    if isinstance(expected, Choice):
        return " | ".join(sorted(expected.right))
    return show(expected)


def cell_line(cell: Cell) -> str:
    where = ".".join(cell.path)
    if cell.ok:
        return f"✓ {where} = {_given(cell.given)}"
    return f"✗ {where} = {_given(cell.given)}    right: {_expected(cell.expected)}"


def report_lines(report: Report) -> list[str]:
    """The text report: a summary, one line per cell, then the diagnosis."""
    wrong = sum(not c.ok for c in report.cells)
    lines = [f"answer: {len(report.cells) - wrong} right, {wrong} wrong"]
    lines += ["  " + cell_line(c) for c in report.cells]
    if not wrong:
        return lines
    if not report.diagnoses:
        lines.append("diagnosis: no mistake in the catalogue reproduces these numbers")
    for d in report.diagnoses:
        lines.append("diagnosis: " + " and ".join(m.name for m in d.mistakes)
                     + " reproduces your numbers")  # fmt: skip
        lines.append(f"  first difference: {d.first_difference}")
    return lines


def missing_lines(paths: list[str]) -> list[str]:
    """The asked cells an answer left out, named (shown after its report)."""
    if not paths:
        return []
    return [f"missing: {len(paths)} asked value(s) not given: {', '.join(paths)}"]


def _json_value(x: Any) -> Any:
    if isinstance(x, Choice):
        return sorted(x.right)
    if isinstance(x, frozenset):
        return sorted(x)
    if isinstance(x, Given):
        return x.text
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, Inexact):
        return x.value
    return x


def report_json(report: Report) -> dict[str, Any]:
    return {
        "all_right": report.all_right,
        "cells": [
            {"path": ".".join(c.path), "given": _json_value(c.given),
             "expected": _json_value(c.expected), "ok": c.ok}
            for c in report.cells
        ],
        "diagnoses": [
            {"mistakes": [m.key for m in d.mistakes], "names": [m.name for m in d.mistakes],
             "first_difference": d.first_difference}
            for d in report.diagnoses
        ],
    }  # fmt: skip


def worked_lines(spec: Any, asked: tuple[str, ...], truth: dict[str, Any]) -> list[str]:
    """An MDP exercise's worked solution: the ``--show-work`` backups of the command that
    answers it, or for the Bellman equations the equations and their solution; then the
    answer."""
    from rlcli.mdp.solve.exact import rational_policy
    from rlcli.mdp.solve.runs import run_evaluation, run_solve
    from rlcli.render import work

    mdp = spec.mdp
    lines: list[str] = []
    if spec.command == "evaluate" and spec.method == "sweeps":
        run = run_evaluation(
            mdp, spec.pi, iterative=True, sweeps=spec.sweeps, exact=True, trace=True
        )
        sections = work.evaluation_work(mdp, run.exact_trace, rational_policy(spec.pi), True, False)
    elif spec.command == "solve":
        vi = spec.method == "sweeps"
        run = run_solve(mdp, value_iteration_method=vi, sweeps=spec.sweeps, exact=True, trace=True)
        worker = work.value_iteration_work if vi else work.policy_iteration_work
        sections = worker(mdp, run.solution.trace, True)
    else:
        sections = [{"title": "Bellman expectation equations (terminal T: v = 0)",
                     "lines": bellman_lines(mdp, rational_policy(spec.pi))}]  # fmt: skip
    for sec in sections:
        lines.append(f"{sec['title']}:")
        lines += [f"  {line}" for line in sec["lines"]]
    return lines + answer_lines(asked, truth)


def answer_lines(asked: tuple[str, ...], truth: Any) -> list[str]:
    """``answer:`` and one line per asked entry: ``values: A = 3/4, B = 1``, ``sweeps 1:
    A = .., ..``, ``ordinary = 16/3 (≈ 5.33333)``, ``advantages = [1/2, 3/4]``."""
    lines = ["answer:"]
    for key in asked:
        node = truth[key]
        if isinstance(node, dict) and any(isinstance(v, dict) for v in node.values()):
            lines += [f"  {key} {name}: {_answer_value(node[name])}" for name in _ordered(node)]
        elif isinstance(node, dict):
            lines.append(f"  {key}: {_answer_value(node)}")
        else:
            lines.append(f"  {key} = {_answer_value(node)}")
    return lines


def _answer_value(node: Any) -> str:
    """A leaf as the grader shows it; a list as ``[a, b]``; a mapping as ``n = v, ..``."""
    if isinstance(node, list):
        return "[" + ", ".join(_answer_value(v) for v in node) + "]"
    if isinstance(node, dict):
        return ", ".join(f"{n} = {_answer_value(node[n])}" for n in _ordered(node))
    return _expected(node)


def _ordered(node: dict[str, Any]) -> list[str]:
    """Names in the order of the questions' answer hints: A, B, C; left, right; sweeps 1, 2."""
    return sorted(node, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))


def bellman_lines(mdp: Any, pi: list[Any]) -> list[str]:
    """v(s) = Σ_a π(a|s) Σ p (r + γ v(s')) for each non-terminal state, with the numbers."""
    from rlcli.render.work import policy_terms, q_expression

    gamma, probs, rewards = mdp.exact.rational()
    names = [("0" if mdp.terminal[s] else f"v({n})") for s, n in enumerate(mdp.states)]
    lines = []
    for s, state in enumerate(mdp.states):
        if mdp.terminal[s]:
            continue
        terms = policy_terms(
            mdp, s, pi, lambda k: q_expression(mdp, k, names, gamma, probs, rewards)
        )
        lines.append(f"v({state}) = " + " + ".join(terms))
    return lines

"""Small helpers shared by several test files: the two-state MDP of the grading tests, a piped
practice drill, the diagnoses of a wrong answer, the LaTeX checks of the worksheets, and the
book's boxed Monte Carlo prediction as a plain loop (the reference of the learning tests)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from typer.testing import CliRunner, Result

from rlcli.cli.app import app

runner = CliRunner()

# Two states and a terminal, gamma = 1/2; the reward depends on the state entered
# (A: 1, B: 2, T: 4). Its values are worked by hand in the tests that use it.
TWO_STATE_MDP = """
gamma: 1/2
states: [A, B, T]
terminal: [T]
transitions:
  A:
    left: {next: B, r: 2}
    right: {next: T, r: 4}
  B:
    left: {next: A, r: 1}
    right: {next: T, r: 4}
"""


def drill(topic: str, seed: int, answer: str) -> Result:
    """``rlcli practice TOPIC --seed SEED`` with ``answer`` typed at the prompt, then Enter."""
    return runner.invoke(app, ["practice", topic, "--seed", str(seed)], input=answer + "\n")


def worksheet(
    path: Path | str, topics: Sequence[str], count: int, seed: int | None = None
) -> list[str]:
    """``rlcli practice TOPICS --count N [--seed S] --worksheet PATH``, which must succeed;
    returns its arguments, to run it again."""
    seeded = [] if seed is None else ["--seed", str(seed)]
    args = ["practice", *topics, "--count", str(count), *seeded, "--worksheet", str(path)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return args


def diagnoses(*args: str) -> list[list[str]]:
    """The names of each diagnosis of ``rlcli ARGS --json``, a wrong ``--answer`` (exit 1)."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    return [d["names"] for d in json.loads(result.stdout)["diagnoses"]]


def well_formed_latex(text: str) -> None:
    """One document; environments nest; braces balance and TeX specials are escaped outside
    verbatim; ASCII only (pdflatex without inputenc surprises)."""
    assert text.isascii()
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")
    stack = []
    outside = re.sub(r"\\begin\{verbatim\}.*?\\end\{verbatim\}", "", text, flags=re.S)
    for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", text):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name
    assert not stack
    plain = re.sub(r"\\[{}&%$#_]", "", outside)
    depth = 0
    for c in plain:
        depth += {"{": 1, "}": -1}.get(c, 0)
        assert depth >= 0
    assert depth == 0
    assert not re.search(r"(?<!\\)[&%$#_^]", re.sub(r"\\textasciicircum\{\}", "", outside))


def latex_engine() -> str | None:
    """The first LaTeX engine installed (pdflatex, lualatex, xelatex), or None."""
    return shutil.which("pdflatex") or shutil.which("lualatex") or shutil.which("xelatex")


def assert_compiles(engine: str, path: Path) -> None:
    """``path`` compiles with ``engine`` in its own folder, without stopping on an error."""
    done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", path.name],
                          cwd=path.parent, capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]


def rms(V, truth, terminal):
    """The RMS error over the non-terminal states (S&B Fig 6.2's measure)."""
    return np.sqrt(np.mean((V[~terminal] - truth[~terminal]) ** 2))


def mc_reference(mdp, episodes, run, alpha, first_visit, v0, truth, watch=0):
    """S&B §5.1 boxed first-visit MC prediction (every visit: drop the 'unless' test), with
    V(S_t) += α(G_t − V(S_t)) in time order at the episode's end; α None: 1/N(S_t).
    Returns V, the RMS error after each episode, and V(watch) after each episode."""
    V = np.where(mdp.terminal, 0.0, v0)
    N = np.zeros(mdp.n_states)
    curve, watched = [rms(V, truth, mdp.terminal)], [V[watch]]
    for ep in episodes:
        T = int(ep.length[run])
        states, rewards = ep.states[run], ep.rewards[run]
        G, returns = 0.0, [0.0] * T
        for t in range(T - 1, -1, -1):
            G = mdp.gamma * G + rewards[t]
            returns[t] = G
        seen = set()
        for t in range(T):
            if first_visit and states[t] in seen:
                continue
            seen.add(states[t])
            N[states[t]] += 1
            step = 1.0 / N[states[t]] if alpha is None else alpha
            V[states[t]] += step * (returns[t] - V[states[t]])
        curve.append(rms(V, truth, mdp.terminal))
        watched.append(V[watch])
    return V, np.array(curve), np.array(watched)

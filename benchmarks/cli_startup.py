"""Time ``rlcli --help`` (and friends) as whole processes; list heavy modules they import.

Run:  python benchmarks/cli_startup.py [--repeat 20] [--before DIR]

References measured in the same run: the bare interpreter (``python -c pass``) and the floor
any typer CLI pays (``python -c 'import typer'``); each command is also shown as a ratio to
that floor. ``python -X importtime -m rlcli ARGS`` shows where the rest goes. With
``--before DIR`` (another checkout of rlcli, e.g. ``git archive BASE rlcli problems | tar -x
-C DIR``), every command also runs from that tree, interleaved, for a before/after in the
same run.

The last three commands are S&B Example 6.2 + Figure 6.2 (right) as docs/benchmarks.md
times them: two processes, then the one call that mixes online and batch learners. The
third reference line is what a simulating command imports before its own code (typer and
pydantic, NumPy, PyYAML). Compile the tree first (``python -m compileall -q rlcli``)
when PYTHONDONTWRITEBYTECODE is set: an installed package has its .pyc files.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["--version"],
    ["mdp", "--help"],
    ["estimate", "--help"],
    # S&B Example 6.2 from the command line (100 runs x 100 episodes, TD(0) and MC)
    ["estimate", "random-walk-5", "-p", "uniform", "--method", "td,mc", "--alpha", "0.1"],
    # Example 6.2 + Figure 6.2 right, the two commands of docs/benchmarks.md
    ["estimate", "random-walk-5", "-p", "uniform", "--method", "td,mc", "--alpha",
     "0.01,0.02,0.03,0.04,0.05,0.1,0.15", "--init", "0.5", "--runs", "100", "--episodes",
     "100", "--json"],
    ["estimate", "random-walk-5", "-p", "uniform", "--method", "td,mc", "--batch", "--init",
     "-1", "--runs", "100", "--episodes", "100", "--json"],
    # the same two figures in one process (issue 11)
    ["estimate", "random-walk-5", "-p", "uniform", "--method", "td,mc,batch-td,batch-mc",
     "--alpha", "0.01,0.02,0.03,0.04,0.05,0.1,0.15", "--init", "0.5,batch=-1", "--runs", "100",
     "--episodes", "100", "--json"],
]  # fmt: skip
# what any simulating typer command imports before its own code: typer with the pydantic it
# converts options through, NumPy and its random module, PyYAML for the MDP file
SIMULATION_FLOOR = "import typer, typer._adapters, numpy, numpy.random, yaml"
HEAVY = ("sympy", "scipy", "matplotlib", "pygments", "pydantic", "numpy")


def wall(args: list[str], repeat: int, tree: str | None = None) -> tuple[float, float]:
    """Median wall-clock and CPU (user + sys) seconds of ``rlcli ARGS`` as a whole process
    (run from the checkout ``tree`` when given)."""
    return _measure([sys.executable, "-m", "rlcli", *args], repeat, tree or str(ROOT))


ROOT = Path(__file__).resolve().parent.parent  # this checkout


def _measure(argv: list[str], repeat: int, tree: str | None = None) -> tuple[float, float]:
    """CPU time is what to compare on a shared machine: wall time waits for other work."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        # run in the tree: ``python -m rlcli`` and ``-c`` import rlcli from the working folder
        subprocess.run(argv, check=True, capture_output=True, cwd=tree)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def heavy_imports(args: list[str], tree: str | None = None) -> list[str]:
    code = (
        "import sys\n"
        "from rlcli.cli.app import app\n"
        f"sys.argv = ['rlcli', *{args!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:', *(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tree or str(ROOT)
    )
    return result.stdout.rsplit("HEAVY:", 1)[-1].split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--before", default=None, help="another rlcli checkout to compare")
    options = parser.parse_args()
    repeat, before = options.repeat, options.before
    bare = _measure([sys.executable, "-c", "pass"], repeat)
    floor = _measure([sys.executable, "-c", "import typer"], repeat)
    simulation = _measure([sys.executable, "-c", SIMULATION_FLOOR], repeat)
    print(f"{'command':<86} {'wall':>7} {'cpu':>7}  cpu/floor")
    for label, (w, c) in (
        ("python -c pass (interpreter start)", bare),
        ("python -c import typer (the floor)", floor),
        (f"python -c {SIMULATION_FLOOR}", simulation),
    ):
        print(f"{label:<86} {w * 1e3:5.0f}ms {c * 1e3:5.0f}ms")
    for args in COMMANDS:
        label = "rlcli " + " ".join(args)
        label = label if len(label) <= 86 else label[:83] + "..."
        trees = [(before, "(before) "), (None, "")] if before is not None else [(None, "")]
        for tree, prefix in trees:  # the other tree's run just before this tree's
            try:
                seconds, cpu = wall(args, repeat, tree)
            except subprocess.CalledProcessError:  # a command the other tree does not have
                print(f"{prefix + label:<86} (fails in that tree)")
                continue
            heavy = ", ".join(heavy_imports(args, tree)) or "none"
            print(
                f"{prefix + label:<86} {seconds * 1e3:5.0f}ms {cpu * 1e3:5.0f}ms  "
                f"{cpu / floor[1]:4.1f}x  heavy: {heavy}"
            )


if __name__ == "__main__":
    main()

"""Time ``rlcli --help`` (and friends) as whole processes; list heavy modules they import.

Run:  python benchmarks/cli_startup.py [--repeat 20]

References measured in the same run: the bare interpreter (``python -c pass``) and the floor
any typer CLI pays (``python -c 'import typer'``); each command is also shown as a ratio to
that floor. ``python -X importtime -m rlcli ARGS`` shows where the rest goes.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--help"],
    ["--version"],
    ["mdp", "--help"],
    ["estimate", "--help"],
    # S&B Example 6.2 from the command line (100 runs x 100 episodes, TD(0) and MC)
    ["estimate", "random-walk-5", "-p", "uniform", "--method", "td,mc", "--alpha", "0.1"],
]
HEAVY = ("sympy", "scipy", "matplotlib", "pygments", "pydantic", "numpy")


def wall(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU (user + sys) seconds of ``rlcli ARGS`` as a whole process."""
    return _measure([sys.executable, "-m", "rlcli", *args], repeat)


def _measure(argv: list[str], repeat: int) -> tuple[float, float]:
    """CPU time is what to compare on a shared machine: wall time waits for other work."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def heavy_imports(args: list[str]) -> list[str]:
    code = (
        "import sys\n"
        "from rlcli.cli.app import app\n"
        f"sys.argv = ['rlcli', *{args!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:', *(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return result.stdout.rsplit("HEAVY:", 1)[-1].split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat
    bare = _measure([sys.executable, "-c", "pass"], repeat)
    floor = _measure([sys.executable, "-c", "import typer"], repeat)
    print(f"{'command':<86} {'wall':>7} {'cpu':>7}  cpu/floor")
    for label, (w, c) in (
        ("python -c pass (interpreter start)", bare),
        ("python -c import typer (the floor)", floor),
    ):
        print(f"{label:<86} {w * 1e3:5.0f}ms {c * 1e3:5.0f}ms")
    for args in COMMANDS:
        seconds, cpu = wall(args, repeat)
        print(
            f"{'rlcli ' + ' '.join(args):<86} {seconds * 1e3:5.0f}ms {cpu * 1e3:5.0f}ms  "
            f"{cpu / floor[1]:4.1f}x  heavy: {', '.join(heavy_imports(args)) or 'none'}"
        )


if __name__ == "__main__":
    main()

"""Time ``rlcli --help`` (and friends) as whole processes; list heavy modules they import.

Run:  python benchmarks/cli_startup.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--help"],
    ["mdp", "--help"],
    ["--version"],
]
HEAVY = ("sympy", "scipy", "matplotlib")


def wall(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rlcli", *args], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
    baseline = statistics.median([_python_startup() for _ in range(repeat)])
    print(f"python -c pass (interpreter start): {baseline * 1000:.0f} ms")
    for args in COMMANDS:
        print(
            f"rlcli {' '.join(args):<14} {wall(args, repeat) * 1000:6.0f} ms   "
            f"heavy modules imported: {', '.join(heavy_imports(args)) or 'none'}"
        )


def _python_startup() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()

"""Time every ``rlcli derive`` command as a whole process (sympy import included).

Run:  python benchmarks/derive_startup.py [--repeat 5]
The budget from the issue is 1.5 s per derivation on the reference machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

BUDGET = 1.5
CASES = [
    ["log-derivative"],
    *(
        ["log-derivative", "--family", f]
        for f in (
            "gaussian",
            "gaussian-scale",
            "bernoulli",
            "categorical",
            "exponential",
            "poisson",
        )
    ),
    ["log-derivative", "--family", "gaussian", "--samples", "100000", "--seed", "0"],
    *(["log-derivative", "--family", "gaussian", "--f", f] for f in ("sin(x)", "abs(x)")),
    ["log-derivative", "--family", "gaussian", "--f", "exp(x**2/8)"],
    ["log-derivative", "--family", "poisson", "--f", "exp(x**2)"],
    ["log-derivative", "--family", "gaussian", "--f", "exp(x**2)", "--at", "sigma=1.5"],
    ["log-derivative", "--density", "theta*exp(-theta*x)", "--support", "0,inf"],
    ["log-derivative", "--density", "exp(-(x-theta)**2/2)/sqrt(2*pi)"],
    ["policy-gradient"],
    ["policy-gradient", "--horizon", "3"],
    ["baseline"],
    ["baseline", "--horizon", "3"],
    ["importance-sampling"],
    [
        "importance-sampling",
        "--p",
        "normal(0,1)",
        "--q",
        "normal(1,2)",
        "--f",
        "x**2",
        "--samples",
        "100000",
    ],
    ["ppo-clip"],
    ["kl"],
    ["kl", "--samples", "100000"],
]


def wall(args: list[str], repeat: int) -> tuple[float, float, int]:
    """Median wall-clock and CPU seconds of ``rlcli derive ARGS --json`` as a whole process."""
    return wall_of([sys.executable, "-m", "rlcli", "derive", *args, "--json"], repeat)


def wall_of(argv: list[str], repeat: int) -> tuple[float, float, int]:
    """Median wall-clock and CPU (user + sys) seconds of a process, and its exit code."""
    times, cpus, code = [], [], 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = done.returncode
    return statistics.median(times), statistics.median(cpus), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    base_wall, base_cpu, _ = wall_of([sys.executable, "-c", "import sympy, numpy"], repeat)
    print(f"python -c 'import sympy, numpy': {base_wall:.2f} s wall, {base_cpu:.2f} s cpu")
    print(f"load average: {os.getloadavg()[0]:.2f} (other processes share the CPUs)")
    print(f"{'command':<92} {'wall':>6} {'cpu':>6}  exit  (budget {BUDGET} s)")
    for args in CASES:
        seconds, cpu, code = wall(args, repeat)
        flag = "ok" if seconds <= BUDGET else "OVER"
        print(f"rlcli derive {' '.join(args):<79} {seconds:5.2f}s {cpu:5.2f}s  {code:>4}  {flag}")


if __name__ == "__main__":
    main()

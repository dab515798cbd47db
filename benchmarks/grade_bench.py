"""``--answer`` and ``rlcli practice`` as whole processes, beside ``rlcli --version`` (start-up)
and the same command without ``--answer`` (the reference), interleaved in one run so that
a busy machine slows them alike; plus heavy modules each imports.

Run:  python benchmarks/grade_bench.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

GRID = ["mdp", "evaluate", "gridworld-4x4", "-p", "uniform", "--method", "iterative",
        "--sweeps", "3"]  # fmt: skip
CASES = {
    "rlcli --version (start-up)": (["--version"], None),
    "mdp evaluate student-mdp -p random (reference)": (
        ["mdp", "evaluate", "student-mdp", "-p", "random"], None),
    "... --answer 'Facebook=-2.3, Class1=-1.3' (right)": (
        ["mdp", "evaluate", "student-mdp", "-p", "random", "--answer",
         "Facebook=-2.3, Class1=-1.3"], None),
    "gridworld-4x4 --sweeps 3 (reference)": (GRID, None),
    "gridworld-4x4 --sweeps 3 --answer (wrong: every mistake and pair tried)": (
        [*GRID, "--answer", "sweeps: {3: {r0c1: 7}}"], None),
    "practice policy-iteration --seed 3 (piped answer)": (
        ["practice", "policy-iteration", "--seed", "3"], "values: {A: 1}\n"),
    "practice policy-evaluation --seed 1 (piped answer)": (
        ["practice", "policy-evaluation", "--seed", "1"], "sweeps: {1: {A: 0}}\n"),
    "replay q-learning (a practice exercise's data, reference)": (
        ["replay", "q-learning", "A right -1 B left 0; B right 2 A left 2 B left 0",
         "--alpha", "1/4"], None),
    "practice q-learning --seed 3 (piped wrong answer, diagnosed)": (
        ["practice", "q-learning", "--seed", "3"], "q: {A: {left: 1}}\n"),
}  # fmt: skip
HEAVY = ("sympy", "scipy", "matplotlib")


def run(args: list[str], stdin: str | None) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rlcli", *args], input=stdin, text=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - t0


def heavy_imports(args: list[str], stdin: str | None) -> list[str]:
    code = (
        "import sys\nfrom rlcli.cli.app import app\n"
        f"sys.argv = ['rlcli', *{args!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:', *(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input=stdin, text=True,
                          capture_output=True)  # fmt: skip
    return done.stdout.rsplit("HEAVY:", 1)[-1].split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(repeat):  # interleaved: every case sees the same load
        for name, (args, stdin) in CASES.items():
            times[name].append(run(args, stdin))
    start = statistics.median(times["rlcli --version (start-up)"])
    print(f"{'command':<74} {'median':>8} {'÷ start-up':>10}  heavy imports")
    for name, (args, stdin) in CASES.items():
        med = statistics.median(times[name])
        heavy = ", ".join(heavy_imports(args, stdin)) or "none"
        print(f"{name:<74} {med * 1000:6.0f} ms {med / start:9.2f}x  {heavy}")


if __name__ == "__main__":
    main()

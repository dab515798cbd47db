"""Time the textbook learning figures from the command line, as whole processes.

Each figure is one ``rlcli estimate`` call (``--json`` to a pipe, so rendering is not
timed against the terminal). CPU seconds are the child process's user + system time,
comparable with the reference implementations' CPU time quoted in issue 4.

Run:  python benchmarks/learn_figures.py [--repeat 3] [--only 1]
      [--reference-python PY --reference-dir DIR]

With ``--reference-python``/``--reference-dir`` (a checkout of the book's public reference
code, ShangtongZhang/reinforcement-learning-an-introduction, in its own venv with numpy,
matplotlib and tqdm; never part of this project), the Example 6.2 + Fig 6.2 reference
(``chapter06/random_walk.py``: ``example_6_2()`` and ``figure_6_2()``) is timed in the same
run, and the speed-up is against that measurement instead of the quoted CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ALPHAS = ",".join(f"{a / 10:g}" for a in range(11))
LAMBDAS = "0,0.4,0.8,0.9,0.95,0.975,0.99,1"
ALPHAS_6_2 = "0.01,0.02,0.03,0.04,0.05,0.1,0.15"
WALK_5 = ["random-walk-5", "-p", "uniform", "--runs", "100", "--episodes", "100"]
# (figure number, what it computes, quoted reference CPU s, the rlcli estimate calls)
FIGURES = [
    (
        1,
        "S&B Example 6.2 + Fig 6.2 right in one call (TD and every-visit MC, α ∈ {.01,…,.04,"
        ".05,.1,.15} for both, V0 = 0.5; batch TD and MC, V0 = −1; 100 runs × 100 episodes)",
        78.0,
        [
            [*WALK_5, "--method", "td,mc,batch-td,batch-mc", "--alpha", ALPHAS_6_2,
             "--init", "0.5,batch=-1"],
        ],
    ),
    (
        1,
        "the same as two calls (online learners, then --batch)",
        78.0,
        [
            [*WALK_5, "--method", "td,mc", "--alpha", ALPHAS_6_2, "--init", "0.5"],
            [*WALK_5, "--method", "td,mc", "--batch", "--init", "-1"],
        ],
    ),
    (
        2,
        "S&B Fig 7.2 (n ∈ 1..512 × α ∈ 0..1, 100 runs × 10 episodes)",
        268.0,
        [
            ["random-walk-19", "-p", "uniform", "--method", "nstep", "--n",
             "1,2,4,8,16,32,64,128,256,512", "--alpha", ALPHAS, "--runs", "100",
             "--episodes", "10"],
        ],
    ),
    (
        3,
        "S&B Figs 12.3/12.6/12.8 (offline λ-return, accumulating TD(λ), true online TD(λ); "
        "8 λ × 11 α, 50 runs × 10 episodes)",
        440.0,
        [
            ["random-walk-19", "-p", "uniform", "--method", "td-lambda", "--variant", variant,
             "--lambda", LAMBDAS, "--alpha", ALPHAS, "--runs", "50", "--episodes", "10"]
            for variant in ("offline", "accumulating", "true-online")
        ],
    ),
]  # fmt: skip


def measure(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``rlcli estimate ... --json`` process."""
    before = os.times()
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rlcli", "estimate", *args, "--json"],
        check=True, capture_output=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def measure_reference(python: str, directory: str) -> float:
    """CPU seconds of the book's reference code for Example 6.2 + Fig 6.2 (one process)."""
    before = os.times()
    subprocess.run(
        [python, "-c", "import random_walk as m; m.example_6_2(); m.figure_6_2()"],
        cwd=os.path.join(directory, "chapter06"), check=True, capture_output=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip
    after = os.times()
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", type=int, default=None, help="figure number (1-3)")
    parser.add_argument("--reference-python", default=None)
    parser.add_argument("--reference-dir", default=None)
    args = parser.parse_args()
    repeat = args.repeat
    measured = None
    if args.reference_python and args.reference_dir:
        measured = measure_reference(args.reference_python, args.reference_dir)
    print("| figure | commands | wall s (median) | CPU s (median) | reference CPU s | speed-up |")
    print("|---|---|---|---|---|---|")
    for number, name, reference, commands in FIGURES:
        if args.only is not None and number != args.only:
            continue
        if number == 1 and measured is not None:
            reference = measured
        walls, cpus = [], []
        for _ in range(repeat):
            runs = [measure(args) for args in commands]
            walls.append(sum(w for w, _ in runs))
            cpus.append(sum(c for _, c in runs))
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"| {name} | {len(commands)} | {wall:.2f} | {cpu:.2f} | {reference:.1f} "
            f"| {reference / cpu:.0f}× |"
        )


if __name__ == "__main__":
    main()

"""Time every ``rlcli replay`` / ``rlcli calc`` kind of command as a whole process, beside
``rlcli --help`` and ``rlcli mdp check FILE`` (a light command with options, which pays
typer's option coercion like ours) measured in the same run, interleaved so machine load
hits all alike, and list the heavy modules each imports.

Run:  python benchmarks/exam_bench.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FOUR = "A right 2 B left 0 A left 1 B right 4"
EX_6_4 = "A 0 B 0; B 1; B 1; B 1; B 1; B 1; B 1; B 0"
COMMANDS = [
    ["replay", "td", EX_6_4, "--alpha", "1/10"],
    ["replay", "td", EX_6_4, "--batch"],
    ["replay", "mc", EX_6_4, "--visit", "first"],
    [
        "replay",
        "td-lambda",
        EX_6_4,
        "--lambda",
        "1/2",
        "--alpha",
        "1/10",
        "--variant",
        "true-online",
    ],
    ["replay", "q-learning", FOUR, "--alpha", "1/2", "--format", "latex"],
    ["replay", "double-q", FOUR, "--alpha", "1/2", "--seed", "0"],
    ["replay", "returns", "A 1 B 2 C 3", "--gamma", "1/2", "--init", "B=2,C=4", "--lambda", "1/2"],
    [
        "replay",
        "importance-sampling",
        "A right 3; A left 1",
        "--target",
        "A=right",
        "--behaviour",
        "A=left:1/2|right:1/2",
        "--json",
    ],
    [
        "calc",
        "reinforce",
        "--logits",
        "s1: L=0, R=ln(3); s2: L=0, R=0",
        "--trajectory",
        "s1 R 1 s2 L 2",
        "--baseline",
        "s1=2, s2=1",
        "--lr",
        "1/2",
    ],
    ["calc", "gae", "--rewards", "1,0,2", "--values", "1/2,1,0,1", "--gamma", "9/10"],
    ["calc", "ppo-clip", "--ratio", "0.7,1,1.5", "--advantage", "1,-1,1"],
    ["calc", "kl", "--p", "1/2,1/4,1/4", "--q", "1/4,1/4,1/2", "--samples", "0,0,1,2"],
    ["calc", "grpo", "--rewards", "1,0,0,1", "--std", "sample"],
]
HEAVY = ("sympy", "scipy", "matplotlib", "numpy")
REFERENCE = ["mdp", "check", "problems/student-mdp.yaml"]
LIMIT = 0.5  # seconds, the budget per command


def once(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rlcli", *args], check=True, capture_output=True)
    return time.perf_counter() - t0


def heavy_imports(args: list[str]) -> list[str]:
    code = (
        "import sys\nfrom rlcli.cli.app import app\n"
        f"sys.argv = ['rlcli', *{args!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:', *(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    return out.rsplit("HEAVY:", 1)[-1].split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    print(
        "| command | median wall | `rlcli --help` | `rlcli mdp check` | ratio to mdp check "
        "| ≤ 0.5 s | heavy imports |"
    )
    print("|---|---|---|---|---|---|---|")
    for args in COMMANDS:
        ours, base, ref = [], [], []
        for _ in range(repeat):  # interleaved: load changes hit all three
            ours.append(once(args))
            base.append(once(["--help"]))
            ref.append(once(REFERENCE))
        m, b, c = statistics.median(ours), statistics.median(base), statistics.median(ref)
        label = " ".join(a if " " not in a else f"'{a[:18]}…'" for a in args[:4])
        print(
            f"| `rlcli {label}` | {m * 1000:.0f} ms | {b * 1000:.0f} ms | {c * 1000:.0f} ms | "
            f"{m / c:.2f} | "
            f"{'yes' if m <= LIMIT else 'no'} | {', '.join(heavy_imports(args)) or 'none'} |"
        )


if __name__ == "__main__":
    main()

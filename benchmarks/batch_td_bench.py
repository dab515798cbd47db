"""Batch TD before and after, as whole ``rlcli estimate`` processes, interleaved.

Run:  mkdir -p /tmp/btd_before     # the tree before: main where this branch started
      git archive $(git merge-base HEAD main) rlcli problems | tar -x -C /tmp/btd_before
      python -m compileall -q rlcli /tmp/btd_before/rlcli   # PYTHONDONTWRITEBYTECODE is set
      python benchmarks/batch_td_bench.py --before /tmp/btd_before [--repeat 3]

Each repeat runs every command from the ``--before`` tree, then from this tree, so machine
load hits both alike; the table gives the medians of wall and CPU (user + system of the
child) seconds, the CPU ratio before/after, and the largest difference between the two
trees' ``--json`` numbers (``rms`` curves and ``final_values``: the same fixed points, so
only rounding may differ). A second table times batch TD alone in process:
``batch_td_chunk`` over a run's chunks of episodes (sampled once beforehand, V0 = −1),
median CPU of several repeats, no start-up, sampling or error curves.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # this checkout
COMMANDS = [
    # the case: 213 states, one-step to few-step episodes, γ = 1
    ["blackjack", "-p", "uniform", "--method", "batch-td", "--runs", "100", "--episodes",
     "100", "--seed", "1"],
    # S&B Example 6.2 + Fig 6.2 right in one call (5 states: the whole system, as before)
    ["random-walk-5", "-p", "uniform", "--method", "td,mc,batch-td,batch-mc", "--alpha",
     "0.01,0.02,0.03,0.04,0.05,0.1,0.15", "--init", "0.5,batch=-1", "--runs", "100",
     "--episodes", "100"],
    # 21 states with loops: the first episode leaves most of them
    ["random-walk-19", "-p", "uniform", "--method", "batch-td", "--runs", "100", "--episodes",
     "100", "--seed", "2"],
]  # fmt: skip


def run(args: list[str], tree: Path) -> tuple[float, float, dict]:
    """Wall and CPU seconds of ``rlcli estimate ARGS --json`` run from ``tree``, and its
    JSON document (``python -m rlcli`` imports rlcli from the working folder)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rlcli", "estimate", *args, "--json"],
                          check=True, capture_output=True, text=True, cwd=tree)  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, json.loads(done.stdout)


IN_PROCESS = """
import statistics, sys, time
from pathlib import Path
from rlcli.learn.batch import BatchData, batch_td_chunk
from rlcli.learn.episodes import iter_chunks, start_distribution
from rlcli.mdp.read.load import load_mdp
mdp = load_mdp(Path("problems") / (sys.argv[1] + ".yaml"))
runs, episodes = int(sys.argv[2]), int(sys.argv[3])
chunks = list(iter_chunks(mdp, mdp.uniform_policy(), start_distribution(mdp, None), runs,
                          episodes, 0, 10_000))
cpu = []
for _ in range(int(sys.argv[4])):
    data = BatchData.empty(runs, mdp.n_states, td=True)
    t0 = time.process_time()
    for chunk in chunks:
        batch_td_chunk(chunk, data, -1.0, mdp.gamma, mdp.terminal)
    cpu.append(time.process_time() - t0)
print(statistics.median(cpu))
"""
IN_PROCESS_CASES = [("random-walk-5", 100, 100, 60), ("random-walk-19", 100, 100, 10),
                    ("blackjack", 100, 100, 3)]  # fmt: skip


def in_process(case: tuple[str, int, int, int], tree: Path) -> float:
    """Median CPU seconds of ``batch_td_chunk`` over the chunks of ``case`` (problem, runs,
    episodes, repeats) with the rlcli of ``tree``."""
    argv = [sys.executable, "-c", IN_PROCESS, *map(str, case)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=tree)
    return float(done.stdout)


def largest_difference(a: dict, b: dict) -> float:
    """max |a − b| over every learner's ``rms`` curve and ``final_values``."""
    worst = 0.0
    for x, y in zip(a["results"], b["results"], strict=True):
        pairs = list(zip(x["rms"], y["rms"], strict=True))
        pairs += [(x["final_values"][s], y["final_values"][s]) for s in x["final_values"]]
        worst = max([worst, *(abs(p - q) for p, q in pairs)])
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True, type=Path, help="the rlcli tree before")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    print(f"{'command':<62} {'before wall':>11} {'CPU':>6} {'after wall':>10} {'CPU':>6} "
          f"{'CPU ratio':>9} {'max |Δ|':>8}")  # fmt: skip
    for args in COMMANDS:
        times: dict[Path, list[tuple[float, float]]] = {options.before: [], ROOT: []}
        docs: dict[Path, dict] = {}
        for _ in range(options.repeat):
            for tree in (options.before, ROOT):
                wall, cpu, docs[tree] = run(args, tree)
                times[tree].append((wall, cpu))
        (w0, c0), (w1, c1) = (
            tuple(statistics.median(x) for x in zip(*times[t], strict=True))
            for t in (options.before, ROOT)
        )
        label = " ".join(args)
        label = label if len(label) <= 62 else label[:59] + "..."
        delta = largest_difference(docs[options.before], docs[ROOT])
        print(f"{label:<62} {w0:10.2f}s {c0:5.2f}s {w1:9.2f}s {c1:5.2f}s {c0 / c1:8.1f}x "
              f"{delta:8.1e}")  # fmt: skip
    print(f"\n{'batch TD in process (runs × episodes)':<62} {'before CPU':>11} {'after CPU':>10} "
          f"{'ratio':>6}")  # fmt: skip
    for case in IN_PROCESS_CASES:
        c0, c1 = in_process(case, options.before), in_process(case, ROOT)
        label = f"{case[0]} ({case[1]} × {case[2]}, median of {case[3]})"
        print(f"{label:<62} {c0 * 1e3:9.1f}ms {c1 * 1e3:8.1f}ms {c0 / c1:5.1f}x")


if __name__ == "__main__":
    main()

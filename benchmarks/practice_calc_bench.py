"""Speed of the calc practice topics (``rlcli.practice.calc_topics``).

1. In-process: the time to a kept exercise (draws until one is hand-sized, as the practice
   command does), per topic over seeds 0..N-1, beside an MDP topic's
   ``rlcli.practice.topics.generate`` in the same run.
2. Whole process: a Python process that imports the module, draws one exercise, renders its
   worked solution and grades a wrong answer (with every mistake recomputed), interleaved
   with ``rlcli --version`` (start-up) and ``rlcli practice policy-evaluation`` with a
   piped answer (the existing practice command), so load slows them alike.

Run:  python benchmarks/practice_calc_bench.py [--seeds 200] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

from rlcli.practice.calc_topics import TOPICS, draw
from rlcli.practice.topics import generate

ONE = (
    "import numpy as np\n"
    "from rlcli.practice.calc_topics import draw\n"
    "rng = np.random.default_rng([3, {k}])\n"
    "ex = None\n"
    "while ex is None:\n"
    "    ex = draw({topic!r}, rng)\n"
    "lines = ex.work()\n"
    "def wrong(v):\n"
    "    if isinstance(v, dict):\n"
    "        return '{{' + ', '.join(f'{{k}}: {{wrong(x)}}' for k, x in v.items()) + '}}'\n"
    "    if isinstance(v, list):\n"
    "        return '[' + ', '.join(wrong(x) for x in v) + ']'\n"
    "    return '999'\n"
    "print('all right:', ex.grade(wrong(ex.solution), None).all_right, len(lines))\n"
)


def first(topic: str, seed: int) -> None:
    rng = np.random.default_rng([seed, list(TOPICS).index(topic)])
    while draw(topic, rng) is None:
        pass


def in_process(seeds: int) -> None:
    ref = "policy-evaluation"
    t0 = time.perf_counter()
    for s in range(seeds):
        generate(ref, s)
    ref_ms = (time.perf_counter() - t0) / seeds * 1000
    print(f"| topic | ms per kept exercise | ÷ MDP `{ref}` ({ref_ms:.2f} ms) |")
    print("|---|---|---|")
    for topic in TOPICS:
        t0 = time.perf_counter()
        for s in range(seeds):
            first(topic, s)
        ms = (time.perf_counter() - t0) / seeds * 1000
        print(f"| {topic} | {ms:.2f} | {ms / ref_ms:.2f} |")


def run(args: list[str], stdin: str | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(args, input=stdin, text=True, capture_output=True)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    return time.perf_counter() - t0


def whole_process(repeat: int) -> None:
    cases: dict[str, tuple[list[str], str | None]] = {
        "`rlcli --version` (start-up)": ([sys.executable, "-m", "rlcli", "--version"], None),
        "`rlcli practice policy-evaluation --seed 1`, piped answer": (
            [sys.executable, "-m", "rlcli", "practice", "policy-evaluation", "--seed", "1"],
            "sweeps: {1: {A: 0}}\n",
        ),
    }
    for k, topic in enumerate(TOPICS):
        code = ONE.format(k=k, topic=topic)
        cases[f"draw + work + grade, {topic}"] = ([sys.executable, "-c", code], None)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (args, stdin) in cases.items():
            times[name].append(run(args, stdin))
    start = statistics.median(times["`rlcli --version` (start-up)"])
    print("\n| process | median | ÷ start-up |")
    print("|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med * 1000:.0f} ms | {med / start:.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    in_process(args.seeds)
    whole_process(args.repeat)


if __name__ == "__main__":
    main()

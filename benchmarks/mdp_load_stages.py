"""Where the time of ``rlcli mdp solve FILE`` goes: each stage of loading and solving a JSON
MDP file in one process, as user and system CPU seconds, wall seconds and peak memory.

The stages are those of ``loads_mdp`` (rlcli/mdp/read/load.py) on a file that takes the fast
path: read the text, orjson's reading, building the model (the transitions fast path),
proving the reading is ``json``'s, freeing the parsed data; then policy iteration. Like the
CLI on a file this large, the process first asks glibc to keep freed memory
(rlcli/cli/heap.py); ``--give-back`` leaves malloc's defaults, to see what that saves. With
``--json-module``, Python's ``json.loads`` of the same text is timed last, for comparison.
Files come from benchmarks/mdp_generate.py.

Run:  python benchmarks/mdp_generate.py 100000 --form expected -o /tmp/mdp-100k-expected.json
      python benchmarks/mdp_load_stages.py /tmp/mdp-100k-expected.json --json-module
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from pathlib import Path

for _name, _value in {"OPENBLAS_NUM_THREADS": "1", "OPENBLAS_THREAD_TIMEOUT": "20"}.items():
    os.environ.setdefault(_name, _value)  # as rlcli's CLI sets them (BLAS_ENV)


class Stages:
    def __init__(self) -> None:
        self.last = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime, usage.ru_stime, time.perf_counter()

    def mark(self, name: str) -> None:
        now = self._now()
        user, system, wall = (b - a for a, b in zip(self.last, now, strict=True))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {name} | {user:.2f} | {system:.2f} | {wall:.2f} | {peak:.0f} |", flush=True)
        self.last = self._now()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--json-module", action="store_true", help="time json.loads too")
    parser.add_argument("--give-back", action="store_true", help="malloc's default thresholds")
    args = parser.parse_args()
    if not args.give_back:
        from rlcli.cli.heap import keep_freed_memory

        keep_freed_memory()
    print("| stage | user CPU (s) | system CPU (s) | wall (s) | peak memory (MB) |")
    print("|---|---|---|---|---|")
    stages = Stages()
    import scipy.sparse.linalg  # noqa: F401  (imports are not load time)

    from rlcli.mdp.read import load, source
    from rlcli.mdp.solve.optimal import policy_iteration

    stages.mark("imports")
    gc.disable()  # as load_mdp does while it reads
    path = Path(args.file)
    text = source.read_text(path)
    stages.mark("read the text")
    data = source.read_with_orjson(text)
    stages.mark("orjson's reading")
    known: dict = {}
    mdp = load.build_mdp(data, str(path), None, known)
    stages.mark("build the model")
    if not source.orjson_reading_is_exact(data, text, known):
        raise SystemExit("not provable: loads_mdp would read this file again with json")
    stages.mark("prove the reading")
    del data
    stages.mark("free the parsed data")
    gc.enable()
    policy_iteration(mdp)
    stages.mark("policy iteration")
    if args.json_module:
        import json

        del mdp
        stages.mark("(free the model)")
        json.loads(text)
        stages.mark("(for comparison: json.loads)")


if __name__ == "__main__":
    main()

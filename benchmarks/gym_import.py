"""Time ``rlcli mdp import`` end to end, as whole processes, beside the floor of the same
work in Gymnasium alone (start Python, import gymnasium, ``gymnasium.make`` the env).

Run:  python benchmarks/gym_import.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = [
    ("FrozenLake-v1", "map_name=8x8"),
    ("Taxi-v4", ""),
    ("CliffWalking-v1", ""),
]


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of ``cmd`` as a whole process. CPU time
    is the steadier figure on a shared machine; wall time is what a user waits."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    print(f"{'':<28} {'rlcli mdp import':>20} {'gymnasium.make':>20} {'ratio':>6}")
    print(f"{'env':<28} {'wall':>9} {'CPU':>10} {'wall':>9} {'CPU':>10} {'(CPU)':>6}")
    w_cli, c_cli = timed([sys.executable, "-m", "rlcli", "--version"], repeat)
    print(f"{'(rlcli --version: start-up)':<28} {w_cli:>7.2f} s {c_cli:>8.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for env_id, kwargs in CASES:
            out = Path(tmp) / f"{env_id}.yaml"
            ours = [
                sys.executable,
                "-m",
                "rlcli",
                "mdp",
                "import",
                env_id,
                "-o",
                str(out),
                "--force",
            ]
            if kwargs:
                ours += ["--kwargs", kwargs]
            make_kwargs = dict(item.split("=") for item in kwargs.split(",") if item)
            floor = [
                sys.executable,
                "-c",
                f"import gymnasium; gymnasium.make({env_id!r}, **{make_kwargs!r})",
            ]
            (w_ours, c_ours), (w_floor, c_floor) = timed(ours, repeat), timed(floor, repeat)
            label = env_id + (f" {kwargs}" if kwargs else "")
            print(
                f"{label:<28} {w_ours:>7.2f} s {c_ours:>8.2f} s {w_floor:>7.2f} s "
                f"{c_floor:>8.2f} s {c_ours / c_floor:>6.2f}"
            )


if __name__ == "__main__":
    main()

"""`rlcli lm pipeline` end to end: CPU time, peak memory and held-out greedy accuracy before
and after RL, for GRPO and PPO over seeds 0-4. Each run is its own process (ru_maxrss is per
process); PPO reuses the base model and reward model of the GRPO run of its seed.

    python benchmarks/lm_pipeline.py [--seeds 0,1,2,3,4] [--out /tmp/lm-bench]
    python benchmarks/lm_pipeline.py --bases /tmp/lm-bench --out /tmp/lm-bench-rl
        (reuse the base and reward models of an earlier run: RL and eval only)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path


def run(args: list[str]) -> tuple[dict, float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "rlcli", *args], capture_output=True, text=True, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(proc.stdout), cpu, after.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--out", default="/tmp/lm-bench")
    ap.add_argument("--bases", default=None, help="copy base and reward models from here")
    ap.add_argument("--iterations", default=None, help="RL iterations (default: the CLI's)")
    a = ap.parse_args()
    root = Path(a.out)
    print(
        "| algo | seed | base greedy | final greedy | lift | pass@8 base → final | "
        "maj@8 base → final | CPU s (whole pipeline) | peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in [int(s) for s in a.seeds.split(",")]:
        for algo in ("grpo", "ppo"):
            d = root / f"{algo}-{seed}"
            if d.exists():
                shutil.rmtree(d)
            d.mkdir(parents=True)
            src = Path(a.bases) if a.bases else root if algo == "ppo" else None
            if src is not None:
                for f in ("base.npz", "reward-model.npz"):
                    shutil.copy(src / f"grpo-{seed}" / f, d / f)
            extra = ["--iterations", a.iterations] if a.iterations else []
            args = ["lm", "pipeline", "--dir", str(d), "--seed", str(seed), "--algo", algo]
            res, cpu, mb = run([*args, "--json", *extra])
            b, f = res["base"], res["final"]
            note = " (RL + eval only)" if src is not None else ""
            print(
                f"| {algo} | {seed} | {b['greedy_accuracy']:.1%} | {f['greedy_accuracy']:.1%} "
                f"| {100 * (f['greedy_accuracy'] - b['greedy_accuracy']):+.1f} pts "
                f"| {b['pass_at']['8']:.1%} → {f['pass_at']['8']:.1%} "
                f"| {b['maj_at']['8']:.1%} → {f['maj_at']['8']:.1%} "
                f"| {cpu:.0f}{note} | {mb:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

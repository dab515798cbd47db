"""CPU seconds of Monte Carlo prediction alone (``run_prediction``) on a few settings.

Run:  python benchmarks/learn_mc_settings.py
To time another version of the code (e.g. main before a change), put its checkout first on
the path:  PYTHONPATH=/tmp/old-checkout python benchmarks/learn_mc_settings.py
"""

from __future__ import annotations

import time

from learn_compute_only import experiment  # the same experiment set-up (benchmarks/ is on the path)

from rlcli.learn.predict import Setting, run_prediction


def main() -> None:
    jobs = {
        "random walk 19, every-visit MC α = 1/n, 100 runs × 100 episodes": (
            experiment("random-walk-19.yaml", 100, 100, 0.0), [Setting("mc", visit="every")]),
        "random walk 19, first-visit MC α ∈ {1/n, 0.1}, 20 runs × 1,000 episodes": (
            experiment("random-walk-19.yaml", 20, 1000, 0.0),
            [Setting("mc", visit="first", alpha=a) for a in (None, 0.1)]),
        "random walk 5, every-visit MC, 7 α, 100 runs × 100 episodes": (
            experiment("random-walk-5.yaml", 100, 100, 0.5),
            [Setting("mc", alpha=a, visit="every")
             for a in (0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.15)]),
    }  # fmt: skip
    print("| setting | CPU s (best of 3) |")
    print("|---|---|")
    for name, (exp, settings) in jobs.items():
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            run_prediction(exp, settings)
            best = min(best, time.process_time() - t0)
        print(f"| {name} | {best:.3f} |")


if __name__ == "__main__":
    main()

"""CPU seconds of the simulation alone for the learning figures (no start-up, no I/O).

Same settings as ``learn_figures.py``; times ``run_prediction`` with
``time.process_time()``.

Run:  python benchmarks/learn_compute_only.py
"""

from __future__ import annotations

import time
from pathlib import Path

from rlcli.learn.episodes import start_distribution
from rlcli.learn.predict import Experiment, Setting, run_prediction
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
ALPHAS_6_2 = [0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.15]
ALPHAS = [a / 10 for a in range(11)]
LAMBDAS = [0, 0.4, 0.8, 0.9, 0.95, 0.975, 0.99, 1]


def experiment(name: str, runs: int, episodes: int, v0: float) -> Experiment:
    mdp = load_mdp(PROBLEMS / name)
    pi = mdp.uniform_policy()
    truth = evaluate_policy(mdp, pi).values
    return Experiment(mdp, pi, truth, start_distribution(mdp, None), runs, episodes, 0, v0=v0)


def main() -> None:
    walk5 = experiment("random-walk-5.yaml", 100, 100, 0.5)
    walk19 = experiment("random-walk-19.yaml", 100, 10, 0.0)
    walk19_50 = experiment("random-walk-19.yaml", 50, 10, 0.0)
    figures = {
        "Example 6.2 + Fig 6.2 right": [
            (walk5, [Setting(m, alpha=a, visit="every" if m == "mc" else None)
                     for m in ("td", "mc") for a in ALPHAS_6_2]
             + [Setting("td", batch=True, init=-1.0),
                Setting("mc", batch=True, visit="every", init=-1.0)]),
        ],
        "Fig 7.2": [
            (walk19, [Setting("nstep", alpha=a, n=2**k) for k in range(10) for a in ALPHAS]),
        ],
        "Figs 12.3/12.6/12.8": [
            (walk19_50, [Setting("td-lambda", alpha=a, lam=lam, variant=v)
                         for lam in LAMBDAS for a in ALPHAS])
            for v in ("offline", "accumulating", "true-online")
        ],
    }  # fmt: skip
    print("| figure | compute CPU s |")
    print("|---|---|")
    for name, jobs in figures.items():
        t0 = time.process_time()
        for exp, settings in jobs:
            run_prediction(exp, settings)
        print(f"| {name} | {time.process_time() - t0:.2f} |")


if __name__ == "__main__":
    main()

"""Time S&B Figures 5.1 and 5.3 from the command line against two references.

Run:  python benchmarks/blackjack_figures.py [--episodes 500000] [--repeat 3]
          [--zhang FILE] [--fig-5-3] [--zhang-runs 100]

Figure 5.1: ``rlcli estimate blackjack -p stick-on-20 --method mc --episodes N --runs 1``
as a whole process (goal: ≤ 5 s for N = 500,000) and its simulation alone (``run_prediction``
in process: episodes, learning, the RMS curve), beside, in the same run:

(a) a plain NumPy first-visit MC written here on the same MDP arrays: all N episodes
    sampled at once (vectorised over episodes, one loop over time steps), returns averaged
    by ``np.bincount``; no learning curve (rlcli also records the RMS error after every
    episode);
(b) with ``--zhang FILE``: the public reference code of the book's figures, Shangtong
    Zhang's ``chapter05/blackjack.py``
    (https://github.com/ShangtongZhang/reinforcement-learning-an-introduction, commit
    96bc203617a70eba6b7784a8f876aaf218b2c914), its ``monte_carlo_on_policy(N)``, run in a
    subprocess without plotting. The file is not copied here: pass its path. Shims, so it
    runs on current NumPy without plotting extras: ``np.int = int`` (removed in NumPy 1.24,
    the file uses ``dtype=np.int``) and stand-ins for ``tqdm`` (iterate as is) and
    ``seaborn`` (unused without plotting); nothing in the Monte Carlo code is changed.

With ``--fig-5-3``: the Figure 5.3 command (100 runs × 10,000 episodes of off-policy MC
from (13, usable ace, dealer 2), ordinary and weighted IS, ``--error-state``), and with
``--zhang`` its ``monte_carlo_off_policy(10000)`` for ``--zhang-runs`` runs (its
``figure_5_3`` loop without the plot).

CPU seconds (user + sys) are reported as well as wall time: wall time waits for other
work on the machine. Ratios are of CPU seconds measured in the same run.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIG_5_1 = ["blackjack", "-p", "stick-on-20", "--method", "mc", "--runs", "1"]
FIG_5_3 = ["blackjack", "-p", "stick-on-20", "--method", "mc", "--behavior", "uniform",
           "--start", "p13_d2_ace", "--visit", "first", "--runs", "100", "--episodes", "10000",
           "--error-state", "p13_d2_ace"]  # fmt: skip

# Runs Zhang's file without its __main__ block; prints the CPU seconds of one call.
ZHANG_HARNESS = """
import sys, time, types
import numpy as np
np.int = int
sys.modules["tqdm"] = types.SimpleNamespace(tqdm=lambda it, *a, **k: it)
sys.modules["seaborn"] = types.ModuleType("seaborn")
source = open(sys.argv[1]).read()
namespace = {"__name__": "zhang_blackjack"}
exec(compile(source, sys.argv[1], "exec"), namespace)
np.random.seed(0)
call, episodes, runs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t0 = time.process_time()
for _ in range(runs):
    result = namespace[call](episodes)
print(time.process_time() - t0)
"""


def process_seconds(argv: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of a command run as a whole process."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def rlcli_seconds(args: list[str], repeat: int) -> tuple[float, float]:
    return process_seconds([sys.executable, "-m", "rlcli", "estimate", *args, "--json"], repeat)


def zhang_seconds(path: Path, call: str, episodes: int, runs: int) -> float:
    """CPU seconds of ``runs`` calls of ``call(episodes)`` from Zhang's blackjack.py."""
    out = subprocess.run(
        [sys.executable, "-c", ZHANG_HARNESS, str(path), call, str(episodes), str(runs)],
        check=True, capture_output=True, text=True, cwd=path.parent,
    )  # fmt: skip
    return float(out.stdout.split()[-1])


def simulation_seconds(episodes: int) -> float:
    """CPU seconds of ``run_prediction`` alone for Figure 5.1 (episodes, learning and the RMS
    curve after every episode; no start-up, file loading, exact solve or JSON)."""
    from rlcli.learn.episodes import start_distribution
    from rlcli.learn.predict import Experiment, Setting, run_prediction
    from rlcli.mdp.read.load import load_mdp
    from rlcli.mdp.solve.evaluate import evaluate_policy

    m = load_mdp(ROOT / "problems" / "blackjack.yaml")
    pi = m.policies["stick-on-20"]
    exp = Experiment(m, pi, evaluate_policy(m, pi).values, start_distribution(m, None), 1,
                     episodes, 0, max_steps=100)  # fmt: skip
    t0 = time.process_time()
    run_prediction(exp, [Setting("mc", visit="every")])
    return time.process_time() - t0


def reference_first_visit_mc(episodes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """First-visit MC on the file's arrays: V(s) = mean of the returns that follow s, and
    the visit counts N(s)."""
    from rlcli.mdp.read.load import load_mdp

    m = load_mdp(ROOT / "problems" / "blackjack.yaml")
    pi = m.policies["stick-on-20"]
    rng = np.random.default_rng(seed)
    # deterministic policy: the one pair of each state with π = 1
    pair_of = np.zeros(m.n_states, dtype=np.int64)
    pair_of[m.pair_state[pi > 0]] = np.flatnonzero(pi > 0)
    cum = np.cumsum(m.out_prob)
    s = np.searchsorted(np.cumsum(m.start), rng.random(episodes) * m.start.sum(), side="right")
    visited, rewards = [], np.zeros(episodes)
    live = np.flatnonzero(~m.terminal[s])
    while len(live):
        k = pair_of[s[live]]
        lo, hi = m.out_ptr[k], m.out_ptr[k + 1]
        base = np.where(lo > 0, cum[lo - 1], 0.0)
        u = base + rng.random(len(live)) * (cum[hi - 1] - base)
        z = np.minimum(np.searchsorted(cum, u, side="right"), hi - 1)
        visited.append((live, s[live]))
        rewards[live] += m.out_reward[z]
        s[live] = m.out_next[z]
        live = live[~m.terminal[s[live]]]
    # γ = 1 and a Blackjack state never repeats: every visit is a first visit, G_t = total reward
    ep = np.concatenate([e for e, _ in visited])
    st = np.concatenate([x for _, x in visited])
    n = np.bincount(st, minlength=m.n_states)
    total = np.bincount(st, weights=rewards[ep], minlength=m.n_states)
    return np.divide(total, n, out=np.zeros(m.n_states), where=n > 0), n


def _check(V: np.ndarray, n: np.ndarray) -> float:
    """The reference is a real estimate: its error against v_π (linear solve)."""
    from rlcli.mdp.read.load import load_mdp
    from rlcli.mdp.solve.evaluate import evaluate_policy

    m = load_mdp(ROOT / "problems" / "blackjack.yaml")
    true = evaluate_policy(m, m.policies["stick-on-20"]).values
    return float(np.abs(V - true)[n >= 1000].max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--zhang", type=Path, help="path to Zhang's chapter05/blackjack.py")
    parser.add_argument("--fig-5-3", action="store_true", help="also time Figure 5.3")
    parser.add_argument("--zhang-runs", type=int, default=100)
    args = parser.parse_args()
    wall, cpu = rlcli_seconds([*FIG_5_1, "--episodes", str(args.episodes)], args.repeat)
    t0 = time.process_time()
    V, n = reference_first_visit_mc(args.episodes, seed=0)
    ref = time.process_time() - t0
    print(f"Figure 5.1: rlcli estimate {' '.join(FIG_5_1)} --episodes {args.episodes}")
    print(f"  rlcli (whole process): wall {wall:.2f} s, CPU {cpu:.2f} s (goal ≤ 5 s)")
    print(f"  (a) NumPy reference (in process, no learning curve): CPU {ref:.2f} s; largest "
          f"error on states with ≥ 1000 visits {_check(V, n):.4f}")  # fmt: skip
    print(f"      ratio rlcli CPU / (a): {cpu / ref:.1f}")
    sim = simulation_seconds(args.episodes)
    print(f"  rlcli simulation alone (run_prediction in process): CPU {sim:.2f} s")
    if args.zhang:
        zhang = zhang_seconds(args.zhang, "monte_carlo_on_policy", args.episodes, 1)
        print(f"  (b) Zhang's monte_carlo_on_policy({args.episodes}): CPU {zhang:.2f} s")
        print(f"      ratio (b) / rlcli CPU: {zhang / cpu:.1f} (whole process), "
              f"{zhang / sim:.1f} (simulation alone)")  # fmt: skip
    if args.fig_5_3:
        wall, cpu = rlcli_seconds(FIG_5_3, args.repeat)
        print(f"Figure 5.3: rlcli estimate {' '.join(FIG_5_3)}")
        print(f"  rlcli (whole process): wall {wall:.2f} s, CPU {cpu:.2f} s")
        if args.zhang:
            zhang = zhang_seconds(args.zhang, "monte_carlo_off_policy", 10_000, args.zhang_runs)
            print(f"  (b) Zhang's monte_carlo_off_policy(10000) × {args.zhang_runs} runs: "
                  f"CPU {zhang:.2f} s")  # fmt: skip
            if args.zhang_runs == 100:
                print(f"      ratio (b) / rlcli CPU: {zhang / cpu:.1f}")


if __name__ == "__main__":
    main()

"""Time S&B Figure 5.1 from the command line: first-visit MC of stick-on-20 on Blackjack.

Run:  python benchmarks/blackjack_figures.py [--episodes 500000] [--repeat 3]

Times ``rlcli estimate blackjack -p stick-on-20 --method mc --episodes N --runs 1`` as a
whole process (goal: ≤ 5 s for N = 500,000), and as a reference in the same run a plain
NumPy first-visit MC written here on the same MDP arrays: all N episodes sampled at once
(vectorised over episodes, one loop over time steps), returns averaged by ``np.bincount``.
The reference has no learning curve; rlcli also records the RMS error after every episode,
so the ratio shows what that per-episode work costs. CPU seconds (user + sys of the
process) are reported as well as wall time: wall time waits for other work on the machine.
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


def cli_seconds(episodes: int, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of the rlcli command as a whole process."""
    argv = [sys.executable, "-m", "rlcli", "estimate", "blackjack", "-p", "stick-on-20",
            "--method", "mc", "--episodes", str(episodes), "--runs", "1", "--json"]  # fmt: skip
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


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
    args = parser.parse_args()
    wall, cpu = cli_seconds(args.episodes, args.repeat)
    t0 = time.process_time()
    V, n = reference_first_visit_mc(args.episodes, seed=0)
    ref = time.process_time() - t0
    print(f"rlcli estimate blackjack -p stick-on-20 --method mc --episodes {args.episodes}")
    print(f"  rlcli (whole process): wall {wall:.2f} s, CPU {cpu:.2f} s (goal ≤ 5 s)")
    print(f"  NumPy reference (in process, no learning curve): CPU {ref:.2f} s")
    print(f"  reference's largest error on states with ≥ 1000 visits: {_check(V, n):.4f}")
    print(f"  ratio rlcli CPU / reference CPU: {cpu / ref:.1f}")


if __name__ == "__main__":
    main()

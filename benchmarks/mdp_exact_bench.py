"""Policy iteration in fractions versus floats on n×n slippery grids (one algorithm,
two number fields): the ratio that sets ``limits.EXACT_STATE_LIMIT``.

Each grid: 4 moves, each going where meant or to either side with probability 1/3,
reward −1 per step, γ = 9/10, the far corner terminal. Both runs happen in this process,
one after the other, so the ratio is robust to a busy machine; the exact values are
checked against the float ones.

Run:  python benchmarks/mdp_exact_bench.py --sizes 5,10,15,18
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_solve_limits import slippery_grid

from rlcli.mdp.read.load import loads_mdp
from rlcli.mdp.solve import limits
from rlcli.mdp.solve.arithmetic import Floats, Fractions
from rlcli.mdp.solve.optimal import policy_iteration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="5,10,15,18")
    args = parser.parse_args()
    limits.EXACT_STATE_LIMIT = 10**9  # measure beyond the limit
    print("| grid | non-terminal states | PI iterations | floats (s) | fractions (s) | ratio "
          "| max abs difference |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    policy_iteration(loads_mdp(slippery_grid(3), "warm.yaml"))  # imports are not solve time
    for n in (int(x) for x in args.sizes.split(",")):
        mdp = loads_mdp(slippery_grid(n), f"grid{n}.yaml")
        floats = []
        for _ in range(5):  # the float solve is short: best of 5
            t0 = time.perf_counter()
            fl = policy_iteration(mdp, field=Floats(mdp))
            floats.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        ex = policy_iteration(mdp, field=Fractions(mdp))
        exact = time.perf_counter() - t1
        assert ex.exact_values is not None
        diff = max(abs(float(a) - b) for a, b in zip(ex.exact_values, fl.values, strict=True))
        print(f"| {n}×{n} | {n * n - 1} | {ex.iterations} | {min(floats):.4f} | {exact:.2f} "
              f"| {exact / min(floats):,.0f} | {diff:.1e} |")  # fmt: skip


if __name__ == "__main__":
    main()

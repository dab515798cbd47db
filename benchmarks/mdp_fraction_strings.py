"""Loading a dense MDP whose probabilities are fraction strings ("1/600") against the same
MDP with plain float probabilities, in one process (the ratio is what to read: timings are
noisy on a shared machine). Also the time to refuse ``--exact`` on it (600 states is over
the 250-state limit of rational elimination), measured as ``run_solve`` after loading.

``--reference-parser`` also times the fraction file with the fast path and the caches of
rlcli/mdp/read/expr.py turned off (every text through the full parser), as before them.

Run:  python benchmarks/mdp_fraction_strings.py [--states 600] [--repeat 3] [--reference-parser]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def dense(n: int, fractions: bool) -> str:
    """n states, one action each, every state reachable with probability 1/n."""
    states = [f"s{i}" for i in range(n)]
    p: str | float = f"1/{n}" if fractions else 1 / n
    transitions = {s: {"go": {"r": 1, "next": dict.fromkeys(states, p)}} for s in states}
    return json.dumps({"gamma": "9/10" if fractions else 0.9, "states": states,
                       "transitions": transitions})  # fmt: skip


def best_of(repeat: int, func) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-parser", action="store_true")
    args = parser.parse_args()

    from rlcli.errors import UsageError
    from rlcli.mdp.read import expr, numbers
    from rlcli.mdp.read.load import load_mdp
    from rlcli.mdp.solve.runs import run_solve

    with tempfile.TemporaryDirectory() as tmp:
        frac, flt = Path(tmp, "fractions.json"), Path(tmp, "floats.json")
        frac.write_text(dense(args.states, True))
        flt.write_text(dense(args.states, False))
        t_float = best_of(args.repeat, lambda: load_mdp(flt))
        t_frac = best_of(args.repeat, lambda: load_mdp(frac))
        mdp = load_mdp(frac)

        def refuse() -> None:
            try:
                run_solve(mdp, exact=True)
            except UsageError:
                return
            raise AssertionError("--exact was not refused")

        t_refuse = best_of(args.repeat, refuse)
        print(f"{args.states}x{args.states} dense, {args.states**2:,} outcomes, "
              f"median of {args.repeat}")  # fmt: skip
        print(f"  load, float probabilities      {t_float:7.2f} s")
        print(f"  load, '1/{args.states}' strings          {t_frac:7.2f} s   "
              f"({t_frac / t_float:.1f}x the floats)")  # fmt: skip
        print(f"  --exact refused after loading  {t_refuse:7.3f} s")
        if args.reference_parser:
            fast_parse = expr.parse
            expr.parse = expr._parse  # every text through the full parser, no reuse
            value = numbers.Numbers.value
            numbers.Numbers.value = lambda self, raw: (
                expr.to_float(  # type: ignore[method-assign]
                    self.expr(raw).evaluate(self.env)
                )
                if isinstance(raw, str)
                else value(self, raw)
            )
            try:
                t_ref = best_of(args.repeat, lambda: load_mdp(frac))
            finally:
                expr.parse, numbers.Numbers.value = fast_parse, value
            print(f"  load, strings, full parser     {t_ref:7.2f} s   "
                  f"({t_ref / t_float:.1f}x the floats)")  # fmt: skip


if __name__ == "__main__":
    main()

"""Time ``rlcli mdp solve`` on random sparse MDPs; compare with pymdptoolbox if available.

For each size: generate the JSON (benchmarks/mdp_generate.py), time the whole command
``rlcli mdp solve FILE`` (and with ``--json``) as a process, and, in a fresh process,
the load and the policy-iteration solve separately. With ``--toolbox-python`` (an
interpreter that has pymdptoolbox, kept OUT of the project: python3 -m venv /tmp/bench-venv &&
/tmp/bench-venv/bin/pip install pymdptoolbox), pymdptoolbox's PolicyIteration runs on
the sizes up to ``--toolbox-max`` states and its values are compared with rlcli's.

Run:  python benchmarks/mdp_solve_bench.py --sizes 1000,10000,100000 \\
          --toolbox-python /tmp/bench-venv/bin/python --toolbox-max 2000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mdp_generate import generate  # noqa: E402

SPLIT = """
import json, sys, time
import scipy.sparse, scipy.sparse.linalg, scipy.sparse.csgraph  # imports are not solve time
t0 = time.perf_counter()
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.optimal import policy_iteration
mdp = load_mdp(sys.argv[1])
t1 = time.perf_counter()
sol = policy_iteration(mdp)
t2 = time.perf_counter()
json.dump({"load": t1 - t0, "solve": t2 - t1, "iterations": sol.iterations,
           "residual": sol.residual, "values": sol.values.tolist()}, sys.stdout)
"""

TOOLBOX = """
import json, sys, time
import numpy as np
import mdptoolbox.mdp
doc = json.load(open(sys.argv[1]))
names = doc["states"]; index = {s: i for i, s in enumerate(names)}
S = len(names); actions = sorted({a for t in doc["transitions"].values() for a in t})
P = np.zeros((len(actions), S, S)); R = np.zeros((S, len(actions)))
for s, acts in doc["transitions"].items():
    for a, outs in acts.items():
        for o in outs:
            P[actions.index(a), index[s], index[o["next"]]] += o["p"]
            R[index[s], actions.index(a)] += o["p"] * o["r"]
t0 = time.perf_counter()
pi = mdptoolbox.mdp.PolicyIteration(P, R, doc["gamma"])
pi.run()
t1 = time.perf_counter()
json.dump({"solve": t1 - t0, "iterations": pi.iter, "values": list(map(float, pi.V))}, sys.stdout)
"""


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--actions", type=int, default=4)
    parser.add_argument("--successors", type=int, default=10)
    parser.add_argument("--toolbox-python", default=None)
    parser.add_argument("--toolbox-max", type=int, default=2000)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    print(
        "| states | pairs | outcomes | rlcli end to end (s) | with --json (s) | load (s) | "
        "solve (s) | PI iterations | pymdptoolbox PI (s) | max abs value difference |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.sizes.split(",")):
        path = Path(args.workdir) / f"rlcli-bench-{n}x{args.actions}x{args.successors}.json"
        if not path.exists():
            doc = generate(n, args.actions, args.successors, 0.99, seed=0)
            path.write_text(json.dumps(doc, separators=(",", ":")))
        command = [sys.executable, "-m", "rlcli", "mdp", "solve", str(path)]
        end_to_end, with_json = wall(command), wall([*command, "--json"])
        split = json.loads(
            subprocess.run(
                [sys.executable, "-c", SPLIT, str(path)], check=True, capture_output=True
            ).stdout
        )
        toolbox, diff = "n/a", "n/a"
        if args.toolbox_python and n <= args.toolbox_max:
            tb = json.loads(
                subprocess.run(
                    [args.toolbox_python, "-c", TOOLBOX, str(path)], check=True,
                    capture_output=True,
                ).stdout
            )  # fmt: skip
            toolbox = f"{tb['solve']:.2f}"
            diff = (
                f"{max(abs(a - b) for a, b in zip(tb['values'], split['values'], strict=True)):.1e}"
            )
        pairs = n * args.actions
        print(
            f"| {n:,} | {pairs:,} | {pairs * args.successors:,} | {end_to_end:.2f} | "
            f"{with_json:.2f} | "
            f"{split['load']:.2f} | {split['solve']:.2f} | {split['iterations']} | "
            f"{toolbox} | {diff} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

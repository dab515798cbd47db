"""Time ``rlcli mdp solve`` on random sparse MDPs against a bare reference process.

For each size and file form (``--forms``: outcome lists ``[{next, p, r}]`` and the
expected-reward form ``{r, next: {state: p}}``): generate the JSON
(benchmarks/mdp_generate.py), time the whole command ``rlcli mdp solve FILE`` (and with
``--json``) as a process, and the REFERENCE process in the same run: plain ``json``,
a SciPy sparse matrix, policy iteration with GMRES evaluation, nothing else (no
validation, no output); the ratio is the CPU time of ``--json`` over the reference's
(best of ``--repeat`` runs each: wall time on a shared machine measures the others). In a
fresh process the load and the policy-iteration solve are timed separately (wall and CPU of
that process; CPU counts every BLAS thread), and the
values of rlcli and the reference are compared. The reference runs under the OpenBLAS
settings rlcli gives itself (``BLAS_ENV`` in rlcli/cli/app.py: one thread),
so the ratio measures rlcli's own work, not a BLAS setting. With ``--toolbox-python`` (an
interpreter that has pymdptoolbox, kept OUT of the project: python3 -m venv /tmp/bench-venv &&
/tmp/bench-venv/bin/pip install pymdptoolbox), pymdptoolbox's PolicyIteration runs on
the sizes up to ``--toolbox-max`` states and its values are compared with rlcli's.

Run:  python benchmarks/mdp_solve_bench.py --sizes 1000,10000,100000 \\
          --toolbox-python /tmp/bench-venv/bin/python --toolbox-max 2000
Peak memory (max RSS) is measured with GNU time when it is installed (/usr/bin/time).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mdp_generate import generate  # noqa: E402

try:
    from rlcli.cli.app import BLAS_ENV
except ImportError:  # an older checkout: its name for the setting, or none
    try:
        from rlcli.cli.app import BLAS_SPIN as BLAS_ENV
    except ImportError:
        BLAS_ENV = {}

ENV = {**BLAS_ENV, **os.environ}  # rlcli's settings, for every process timed here

SPLIT = """
import json, sys, time
import scipy.sparse, scipy.sparse.linalg, scipy.sparse.csgraph  # imports are not solve time
t0, c0 = time.perf_counter(), time.process_time()
from rlcli.mdp.read.load import load_mdp
from rlcli.mdp.solve.optimal import policy_iteration
mdp = load_mdp(sys.argv[1])
t1, c1 = time.perf_counter(), time.process_time()
sol = policy_iteration(mdp)
t2, c2 = time.perf_counter(), time.process_time()
json.dump({"load": t1 - t0, "solve": t2 - t1, "load_cpu": c1 - c0, "solve_cpu": c2 - c1,
           "iterations": sol.iterations, "residual": sol.residual,
           "values": sol.values.tolist()}, sys.stdout)
"""

REFERENCE = """
import json, sys, time
import numpy as np, scipy.sparse as sp, scipy.sparse.linalg as spla
doc = json.load(open(sys.argv[1]))
index = {s: i for i, s in enumerate(doc["states"])}
rows, cols, probs, rewards, pair_state = [], [], [], [], []
for s, actions in doc["transitions"].items():
    for spec in actions.values():
        k = len(pair_state)
        pair_state.append(index[s])
        if isinstance(spec, list):
            out = [(o["next"], o["p"], o["r"]) for o in spec]
        else:
            out = [(t, p, spec["r"]) for t, p in spec["next"].items()]
        r = 0.0
        for t, p, x in out:
            rows.append(k); cols.append(index[t]); probs.append(p); r += p * x
        rewards.append(r)
S, K, gamma = len(index), len(pair_state), doc["gamma"]
P = sp.csr_matrix((probs, (rows, cols)), shape=(K, S)); R = np.array(rewards)
first = np.searchsorted(pair_state, np.arange(S)); A = K // S  # the generator: A per state
policy, v = first.copy(), np.zeros(S)
for it in range(1, 1000):
    M = sp.identity(S, format="csr") - gamma * P[policy]
    v, info = spla.gmres(M, R[policy], x0=v, rtol=1e-12, atol=0, restart=50, maxiter=1000)
    q = (R + gamma * (P @ v)).reshape(S, A)
    best = first + q.argmax(axis=1)
    keep = q[np.arange(S), policy - first] >= q.max(axis=1) - 1e-12
    new = np.where(keep, policy, best)
    if np.array_equal(new, policy):
        break
    policy = new
json.dump({"iterations": it, "values": v.tolist()}, sys.stdout)
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


def wall(cmd: list[str], repeat: int = 1) -> tuple[float, float, str]:
    """Best of ``repeat`` runs of a process: wall seconds, CPU seconds (user + system, far
    less sensitive than wall time to other work on a shared machine) and peak memory (max
    RSS, MB) if GNU time is there."""
    gnu_time = Path("/usr/bin/time")
    prefix = [str(gnu_time), "-f", "%M"] if gnu_time.exists() else []
    best = (math.inf, math.inf, "n/a")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [*prefix, *cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=ENV,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        peak = f"{int(proc.stderr.split()[-1]) / 1024:.0f}" if prefix else "n/a"
        best = (min(best[0], seconds), min(best[1], cpu), peak)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--forms", default="outcomes,expected")
    parser.add_argument("--actions", type=int, default=4)
    parser.add_argument("--successors", type=int, default=10)
    parser.add_argument("--toolbox-python", default=None)
    parser.add_argument("--toolbox-max", type=int, default=2000)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs of each process")
    args = parser.parse_args()
    print(
        "| states | form | outcomes | MB | rlcli end to end (s) | with --json: wall / CPU (s) | "
        "reference: wall / CPU (s) | ratio (CPU) | peak MB rlcli / ref | load: wall / CPU (s) | "
        "solve: wall / CPU (s) | "
        "PI iterations | max abs value diff vs ref | pymdptoolbox PI (s) | "
        "max abs diff vs toolbox |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.sizes.split(",")):
        for form in args.forms.split(","):
            bench(n, form, args)


def bench(n: int, form: str, args: argparse.Namespace) -> None:
    path = Path(args.workdir) / f"rlcli-bench-{n}x{args.actions}x{args.successors}-{form}.json"
    if not path.exists():
        doc = generate(n, args.actions, args.successors, 0.99, seed=0, form=form)
        path.write_text(json.dumps(doc, separators=(",", ":")))
    command = [sys.executable, "-m", "rlcli", "mdp", "solve", str(path)]
    end_to_end, _, _ = wall(command)
    with_json, json_cpu, peak = wall([*command, "--json"], args.repeat)
    reference, ref_cpu, ref_peak = wall([sys.executable, "-c", REFERENCE, str(path)], args.repeat)
    ref = json.loads(
        subprocess.run(
            [sys.executable, "-c", REFERENCE, str(path)], check=True, capture_output=True
        ).stdout
    )
    split = json.loads(
        subprocess.run(
            [sys.executable, "-c", SPLIT, str(path)], check=True, capture_output=True
        ).stdout
    )
    ref_diff = max(abs(a - b) for a, b in zip(ref["values"], split["values"], strict=True))
    toolbox, diff = "n/a", "n/a"
    if args.toolbox_python and n <= args.toolbox_max and form == "outcomes":
        tb = json.loads(
            subprocess.run(
                [args.toolbox_python, "-c", TOOLBOX, str(path)], check=True,
                capture_output=True,
            ).stdout
        )  # fmt: skip
        toolbox = f"{tb['solve']:.2f}"
        diff = f"{max(abs(a - b) for a, b in zip(tb['values'], split['values'], strict=True)):.1e}"
    outcomes = n * args.actions * args.successors
    print(
        f"| {n:,} | {form} | {outcomes:,} | {path.stat().st_size / 1e6:.0f} | {end_to_end:.2f} | "
        f"{with_json:.2f} / {json_cpu:.2f} | {reference:.2f} / {ref_cpu:.2f} | "
        f"{json_cpu / ref_cpu:.2f} | {peak} / {ref_peak} | "
        f"{split['load']:.2f} / {split['load_cpu']:.2f} | "
        f"{split['solve']:.2f} / {split['solve_cpu']:.2f} | {split['iterations']} | "
        f"{ref_diff:.1e} | "
        f"{toolbox} | {diff} |",
        flush=True,
    )


if __name__ == "__main__":
    main()

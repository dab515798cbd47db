"""Write a random sparse MDP as JSON: S states, A actions per state, B successors per pair.

Successors are distinct uniform-random states, probabilities a random split of 1,
rewards uniform in [0, 1) with 3 decimals; no terminal states; gamma 0.99 by default.
``--form outcomes`` writes each action as ``[{next, p, r}, ...]``; ``--form expected``
as ``{r, next: {state: p}}`` with r the expected reward (same seed, same dynamics).

Run:  python benchmarks/mdp_generate.py 10000 --actions 4 --successors 10 -o /tmp/mdp-10k.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

FORMS = ("outcomes", "expected")


def generate(
    n_states: int,
    n_actions: int,
    n_successors: int,
    gamma: float,
    seed: int,
    form: str = "outcomes",
) -> dict:
    rng = np.random.default_rng(seed)
    names = [str(s) for s in range(n_states)]
    transitions = {}
    for s in range(n_states):
        actions = {}
        for a in range(n_actions):
            nxt = rng.choice(n_states, size=min(n_successors, n_states), replace=False)
            p = rng.random(len(nxt)) + 0.05
            p = p / p.sum()
            p[-1] = 1.0 - p[:-1].sum()  # sums to 1 in floating point
            r = np.round(rng.random(len(nxt)), 3)
            if form == "expected":
                actions[f"a{a}"] = {
                    "r": float(np.dot(p, r)),
                    "next": {names[t]: float(q) for t, q in zip(nxt, p, strict=True)},
                }
            else:
                actions[f"a{a}"] = [
                    {"next": names[t], "p": float(q), "r": float(x)}
                    for t, q, x in zip(nxt, p, r, strict=True)
                ]
        transitions[names[s]] = actions
    return {
        "name": f"random sparse MDP {n_states}x{n_actions}x{n_successors} (seed {seed})",
        "gamma": gamma,
        "states": names,
        "transitions": transitions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("states", type=int)
    parser.add_argument("--actions", type=int, default=4)
    parser.add_argument("--successors", type=int, default=10)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--form", choices=FORMS, default="outcomes")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    doc = generate(args.states, args.actions, args.successors, args.gamma, args.seed, args.form)
    with open(args.output, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


if __name__ == "__main__":
    main()

"""Benchmark: `rlcli train ppo --env` on Gymnasium's Acrobot-v1 and Pendulum-v1, over seeds.

    OPENBLAS_NUM_THREADS=1 python benchmarks/train_gymnasium.py [--seeds 3]
        [--only acrobot|pendulum]

Goals (issue 15): Acrobot-v1 reaches a mean return ≥ −100 within 500k env steps (CleanRL's
ppo.py reports −86 ± 1 at 500k); Pendulum-v1 ≥ −250 within 300k (rl-zoo's tuned PPO, with
gSDE: −172 ± 104 at 100k). "Reaches" = the rolling mean of the last 20 episodes, checked
after each update, as ``--target`` does. Each run is ``rlcli.train.run.train`` with the
settings printed (the CLI equivalents: ``rlcli train ppo --env ID --target R ...``); CPU time
is ``time.process_time`` of this process (Gymnasium's environments included).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from rlcli.train.run import env_config, train

# Acrobot: the discrete defaults (CleanRL ppo.py: 4 envs × 128 steps, lr 2.5e-4, 4 epochs of
# 4 minibatches, entropy 0.01). Pendulum: the Box defaults changed as rl-zoo's Pendulum PPO
# (γ 0.9, lr 1e-3), with 4 envs × 256 steps and 16 minibatches.
RUNS = {
    "acrobot": ("Acrobot-v1", -100.0, 500_000, {}),
    "pendulum": (
        "Pendulum-v1",
        -250.0,
        300_000,
        dict(gamma=0.9, lr=1e-3, n_envs=4, n_steps=256, minibatches=16),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", choices=sorted(RUNS))
    args = parser.parse_args()
    for name, (env_id, target, budget, changes) in RUNS.items():
        if args.only and name != args.only:
            continue
        cfg = env_config("ppo", env_id, {}).updated(total_steps=budget, target=target, **changes)
        settings = changes or "the defaults"
        print(f"{env_id}: target {target:g} within {budget:,d} steps; settings {settings}")
        for seed in range(args.seeds):
            t0 = time.process_time()
            result = train("ppo", "env", cfg.updated(seed=seed))
            cpu = time.process_time() - t0
            solved = result.solved_at_steps
            best = max(r for _, r in result.curve)
            reached = f"reached at {solved:,d} steps" if solved else "not reached"
            print(
                f"  seed {seed}: {reached}, {cpu:.1f} CPU-s, best mean return {best:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

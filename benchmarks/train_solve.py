"""Benchmark: PPO on CartPole-v1 and GRPO on tokens over seeds (CPU seconds, env steps to solve).

    OPENBLAS_NUM_THREADS=1 python benchmarks/train_solve.py [--seeds 5]

CartPole: solved = rolling mean of the last 20 episodes ≥ 475 (checked after each update);
goal ≥ 4 of 5 seeds within 50k env steps. Tokens: solved = ≥ 95% correct answers among the last
20,000 completions (about twenty GRPO iterations). Each run is a fresh process-internal call of
``rlcli.train.run.train`` with the CLI defaults; CPU time is ``time.process_time``.
If stable-baselines3 and gymnasium are importable, SB3 PPO (rl-zoo CartPole settings) runs
side by side; they are not dependencies and are not installed by this script.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from rlcli.train.config import default_config
from rlcli.train.run import train


def run(algo: str, task: str, seeds: int) -> list[tuple[int, int | None, float, float]]:
    rows = []
    for seed in range(seeds):
        cfg = default_config(algo, task).updated(seed=seed)
        t0 = time.process_time()
        result = train(algo, task, cfg)
        cpu = time.process_time() - t0
        rows.append((seed, result.solved_at_steps, cpu, result.curve[-1][1]))
        solved = "—" if result.solved_at_steps is None else f"{result.solved_at_steps:,d}"
        print(
            f"{algo:5s} {task:9s} seed {seed}: solved at {solved:>8s} steps, "
            f"{cpu:6.2f} CPU-s, last mean return {result.curve[-1][1]:.3f}"
            + (
                f", greedy answers right {sum(ok for *_, ok in result.greedy)}/{len(result.greedy)}"
                if result.greedy
                else ""
            ),
            flush=True,
        )
    return rows


def sb3_cartpole(seeds: int) -> None:
    try:
        import gymnasium as gym
        from stable_baselines3 import PPO
        from stable_baselines3.common.env_util import make_vec_env
    except ImportError:
        print("stable-baselines3/gymnasium not installed: SB3 comparison skipped")
        return
    del gym
    for seed in range(seeds):
        env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
        model = PPO(
            "MlpPolicy",
            env,
            n_steps=32,
            batch_size=256,
            gae_lambda=0.8,
            gamma=0.98,
            n_epochs=20,
            ent_coef=0.0,
            learning_rate=lambda f: 1e-3 * f,
            clip_range=lambda f: 0.2 * f,
            seed=seed,
            verbose=0,
        )
        t0 = time.process_time()
        model.learn(50_000)
        print(f"SB3 PPO cartpole seed {seed}: {time.process_time() - t0:.2f} CPU-s for 50k steps")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", choices=["cartpole", "tokens"], default=None)
    args = parser.parse_args()
    if args.only in (None, "cartpole"):
        rows = run("ppo", "cartpole", args.seeds)
        ok = sum(1 for _, s, _, _ in rows if s is not None and s <= 50_000)
        cpu = [c for _, s, c, _ in rows if s is not None]
        print(
            f"PPO cartpole: {ok}/{len(rows)} seeds reach 475 within 50k steps; "
            f"CPU-s per solve {min(cpu, default=0):.2f}–{max(cpu, default=0):.2f}"
        )
        sb3_cartpole(args.seeds)
    if args.only in (None, "tokens"):
        rows = run("grpo", "tokens", args.seeds)
        ok = sum(1 for _, s, _, _ in rows if s is not None)
        print(f"GRPO tokens: {ok}/{len(rows)} seeds reach 95% correct")


if __name__ == "__main__":
    main()

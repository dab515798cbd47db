"""Benchmark: PPO on CartPole-v1 over seeds (CPU seconds, env steps to solve).

    OPENBLAS_NUM_THREADS=1 python benchmarks/train_solve.py [--seeds 5] [--only cartpole]
        [--torch-threads 1]

CartPole: solved = rolling mean of the last 20 episodes ≥ 475 (checked after each update);
goal ≥ 4 of 5 seeds within 50k env steps. Each run is a fresh process-internal call of
``rlcli.train.run.train`` with the CLI defaults; CPU time is ``time.process_time``.
If stable-baselines3 and gymnasium are importable, SB3 PPO (rl-zoo CartPole settings) runs
side by side in the same process, stopped by the same rule, and a table gives per seed SB3's
CPU-s over ours and the CPU-µs per env step of each; they are not dependencies and are not
installed by this script (a separate venv with the torch CPU wheel:
``python -m venv /tmp/sb3venv; /tmp/sb3venv/bin/pip install torch --index-url
https://download.pytorch.org/whl/cpu; /tmp/sb3venv/bin/pip install stable-baselines3 -e .``).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

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
            f"{cpu:6.2f} CPU-s, last mean return {result.curve[-1][1]:.3f}",
            flush=True,
        )
    return rows


def sb3_cartpole(seeds: int, threads: int) -> list[tuple[int, int | None, float]] | None:
    """SB3 PPO with the rl-zoo CartPole-v1 settings, stopped by the same rule as ours.
    Returns (seed, steps when solved or None, CPU-s, env steps run) rows, None without SB3."""
    try:
        import torch
        from stable_baselines3 import PPO
        from stable_baselines3.common.callbacks import BaseCallback
        from stable_baselines3.common.env_util import make_vec_env
    except ImportError:
        print("stable-baselines3/gymnasium not installed: SB3 comparison skipped")
        return None
    torch.set_num_threads(threads)  # 1 as ours: tiny matrices, more threads only add CPU time

    class Solved(BaseCallback):
        """Stop once the mean of the last 20 finished episodes reaches 475."""

        def _on_step(self) -> bool:
            returns = [info["r"] for info in list(self.model.ep_info_buffer)[-20:]]
            return not (len(returns) == 20 and sum(returns) / 20 >= 475)

    rows = []
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
        model.learn(100_000, callback=Solved())
        cpu = time.process_time() - t0
        returns = [info["r"] for info in list(model.ep_info_buffer)[-20:]]
        solved = len(returns) == 20 and sum(returns) / 20 >= 475
        at = f"{model.num_timesteps:>8,d}" if solved else "       —"
        print(f"SB3 PPO cartpole seed {seed}: solved at {at} steps, {cpu:6.2f} CPU-s", flush=True)
        rows.append((seed, model.num_timesteps if solved else None, cpu, model.num_timesteps))
    return rows


def ratios(ours: list[tuple[int, int | None, float, float]], sb3: list) -> None:
    """Per seed: SB3's CPU-s over ours to the same stopping rule, and the CPU cost per env step
    (µs), which separates speed from sample efficiency (steps to solve differ by seed)."""
    print("seed | ours steps, CPU-s | SB3 steps, CPU-s | SB3/ours CPU-s | µs/step ours, SB3, ratio")
    for (seed, steps, cpu, _), (_, sb3_steps, sb3_cpu, sb3_run) in zip(ours, sb3, strict=True):
        if steps is None or sb3_steps is None:
            print(f"{seed} | not solved by both: no ratio")
            continue
        us, sb3_us = 1e6 * cpu / steps, 1e6 * sb3_cpu / sb3_run
        print(
            f"{seed} | {steps:,d}, {cpu:.2f} | {sb3_steps:,d}, {sb3_cpu:.2f} | "
            f"{sb3_cpu / cpu:.1f}× | {us:.1f}, {sb3_us:.1f}, {sb3_us / us:.1f}×"
        )


ROLLOUT_NETS = "rollout: networks (π per step; π_old, V on the batch)"


def breakdown(seed: int) -> None:
    """Where PPO's CPU time goes on one CartPole solve: the functions below are wrapped with
    CPU-time accumulators (about 1 µs per call of overhead, a few % of the total)."""
    from rlcli.envs.cartpole import CartPoleEnv
    from rlcli.nn.adam import Adam
    from rlcli.nn.mlp import MLP
    from rlcli.train import rollout, run

    spent: dict[str, float] = {}
    inside: list[str] = []  # the wrapped calls under way (rollout vs update)

    def timed(owner: Any, name: str, label: str) -> None:
        """Replace ``owner.name`` (or ``owner[name]`` for a dict) by a timed wrapper."""
        original = owner[name] if isinstance(owner, dict) else getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            if label.startswith("network") and "rollout" in inside:
                label_now = ROLLOUT_NETS
            else:
                label_now = label
            inside.append(label_now)
            t0 = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label_now] = spent.get(label_now, 0.0) + time.process_time() - t0
                inside.pop()

        if isinstance(owner, dict):
            owner[name] = wrapper
        else:
            setattr(owner, name, wrapper)

    timed(rollout, "rollout", "rollout")
    timed(CartPoleEnv, "step", "rollout: CartPole step")
    timed(MLP, "forward", "network forward")
    timed(MLP, "backward", "network backward")
    timed(Adam, "step", "Adam step")
    timed(run.ITERATIONS, "ppo", "iteration")
    cfg = default_config("ppo", "cartpole").updated(seed=seed)
    t0 = time.process_time()
    result = train("ppo", "cartpole", cfg)
    total = time.process_time() - t0
    own = dict(spent)
    # exclusive times: a wrapped call's time minus the wrapped calls inside it
    own["rollout"] -= spent["rollout: CartPole step"] + spent[ROLLOUT_NETS]
    own["iteration"] -= (
        spent["rollout"] + spent["network forward"] + spent["network backward"] + spent["Adam step"]
    )
    own["training loop outside the iteration"] = total - spent["iteration"]
    names = {"rollout": "rollout: the rest (sampling, buffers, log-softmax, GAE)",
             "iteration": "update: the rest (losses, softmax, bookkeeping)"}  # fmt: skip
    print(f"seed {seed}: {result.solved_at_steps:,d} steps, {total:.2f} CPU-s")
    for label, sec in sorted(own.items(), key=lambda kv: -kv[1]):
        print(f"  {names.get(label, label):55s} {sec:6.3f} s  {100 * sec / total:4.1f} %")


def fixed_work(iterations: int, repeats: int) -> None:
    """CPU time per PPO iteration on CartPole at fixed work: ``iterations`` iterations of seed 0
    (8 envs × 32 steps and the update), no early stop; the minimum over ``repeats`` runs. Run it
    alternately on two checkouts (``PYTHONPATH=...``) to compare code, not machine load."""
    from dataclasses import replace

    cfg = default_config("ppo", "cartpole")
    cfg = replace(cfg, target=None, total_steps=iterations * cfg.n_envs * cfg.n_steps)
    best = math.inf
    for _ in range(repeats):
        t0 = time.process_time()
        result = train("ppo", "cartpole", cfg)
        best = min(best, time.process_time() - t0)
    print(
        f"{iterations} iterations: {1e3 * best / iterations:.3f} ms per iteration "
        f"(min of {repeats}); last mean return {result.curve[-1][1]:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", choices=["cartpole"], default=None)
    parser.add_argument("--torch-threads", type=int, default=1, help="SB3's torch threads")
    parser.add_argument(
        "--breakdown", action="store_true", help="where PPO's CPU time goes (seeds 0..)"
    )
    parser.add_argument(
        "--fixed-work",
        type=int,
        metavar="N",
        help="CPU-ms per PPO iteration over N iterations of seed 0 (min of 5 runs)",
    )
    args = parser.parse_args()
    if args.fixed_work:
        fixed_work(args.fixed_work, 5)
        return
    if args.breakdown:
        for seed in range(args.seeds):
            breakdown(seed)
        return
    if args.only in (None, "cartpole"):
        rows = run("ppo", "cartpole", args.seeds)
        ok = sum(1 for _, s, _, _ in rows if s is not None and s <= 50_000)
        cpu = [c for _, s, c, _ in rows if s is not None]
        print(
            f"PPO cartpole: {ok}/{len(rows)} seeds reach 475 within 50k steps; "
            f"CPU-s per solve {min(cpu, default=0):.2f}–{max(cpu, default=0):.2f}"
        )
        sb3 = sb3_cartpole(args.seeds, args.torch_threads)
        if sb3 is not None:
            ratios(rows, sb3)


if __name__ == "__main__":
    main()

"""``rlcli train``: policy-gradient agents in plain NumPy on toy tasks."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from rlcli.cli.common import JsonOpt, SetOpt
from rlcli.errors import UsageError

app = typer.Typer(
    help="Train REINFORCE, actor-critic (GAE), PPO and GRPO agents in plain NumPy.",
    no_args_is_help=True,
)


class Task(str, Enum):
    bandit = "bandit"
    gridworld = "gridworld"
    cartpole = "cartpole"
    tokens = "tokens"


class Encoding(str, Enum):
    unary = "unary"
    onehot = "onehot"


class Arms(str, Enum):
    gaussian = "gaussian"
    bernoulli = "bernoulli"


TaskOpt = Annotated[Task, typer.Option("--task", "-t", help="What to train on.")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Seed for every random stream.")]
StepsOpt = Annotated[int | None, typer.Option("--steps", help="Env steps to train for.")]
EnvsOpt = Annotated[int | None, typer.Option("--envs", help="Copies of the task run together.")]
LrOpt = Annotated[float | None, typer.Option("--lr", help="Adam learning rate.")]
GammaOpt = Annotated[float | None, typer.Option("--gamma", help="Discount factor.")]
HiddenOpt = Annotated[
    str | None,
    typer.Option("--hidden", help="Hidden layer widths, e.g. 64,64; 'none' for a linear policy."),
]
EntOpt = Annotated[float | None, typer.Option("--ent-coef", help="Entropy bonus coefficient.")]
GradOpt = Annotated[
    float | None, typer.Option("--max-grad-norm", help="Global gradient-norm clip (0: off).")
]
TargetOpt = Annotated[
    float | None,
    typer.Option("--target", help="Stop once the mean return reaches R; exit 1 if it never does."),
]
WindowOpt = Annotated[
    int | None,
    typer.Option(
        "--window", help="Episodes in the rolling mean return (default 20; tokens 20,000)."
    ),
]
ProblemOpt = Annotated[
    Path | None,
    typer.Option(
        "--problem", help="gridworld: an MDP file or bundled problem name [default: gridworld-4x4]."
    ),
]
MaxStepsOpt = Annotated[
    int | None,
    typer.Option("--max-episode-steps", help="gridworld: time limit per episode [default: 100]."),
]
ArmsOpt = Annotated[
    Arms | None, typer.Option("--arms", help="bandit: arm reward distribution [default: gaussian].")
]
KOpt = Annotated[int | None, typer.Option("--k", help="bandit: number of arms [default: 10].")]
OperandOpt = Annotated[
    int | None,
    typer.Option("--max-operand", help="tokens: prompts a+b= with a, b in 0..N [default: 4]."),
]
EncodingOpt = Annotated[
    Encoding | None,
    typer.Option(
        "--encoding",
        help="tokens: how a and b are embedded (unary knows 3 < 4; onehot: unrelated symbols) "
        "[default: unary].",
    ),
]
NoAnnealOpt = Annotated[
    bool,
    typer.Option("--no-anneal", help="Keep the learning rate (and PPO's clip ε) constant."),
]

# The options that belong to one task, with their defaults: given for another task they
# would be silently ignored, so they are refused instead.
TASK_OPTIONS: dict[str, tuple[str, Task, Any]] = {
    "problem": ("--problem", Task.gridworld, Path("gridworld-4x4")),
    "set_": ("--set", Task.gridworld, None),
    "max_episode_steps": ("--max-episode-steps", Task.gridworld, 100),
    "arms": ("--arms", Task.bandit, Arms.gaussian),
    "k": ("--k", Task.bandit, 10),
    "max_operand": ("--max-operand", Task.tokens, 4),
    "encoding": ("--encoding", Task.tokens, Encoding.unary),
}
CsvOpt = Annotated[
    Path | None, typer.Option("--csv", help="Write every iteration's statistics to FILE.csv.")
]
PlotOpt = Annotated[
    Path | None,
    typer.Option("--plot", help="Draw the learning curve to FILE.png (needs matplotlib)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No live table.")]
NStepsOpt = Annotated[int | None, typer.Option("--n-steps", help="Rollout length per copy.")]
LamOpt = Annotated[float | None, typer.Option("--lam", help="GAE λ.")]
VfOpt = Annotated[float | None, typer.Option("--vf-coef", help="Value-loss coefficient.")]
EpochsOpt = Annotated[int | None, typer.Option("--epochs", help="Passes over each batch.")]
MbOpt = Annotated[int | None, typer.Option("--minibatches", help="Minibatches per epoch.")]
NoBootOpt = Annotated[
    bool,
    typer.Option(
        "--no-bootstrap",
        help="Treat a time-limit cut as the episode's end (default: bootstrap with γV(s_final)).",
    ),
]
ClipOpt = Annotated[float | None, typer.Option("--clip", help="Ratio clip ε.")]


def _hidden(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    if text.strip().lower() in ("none", "0", ""):
        return ()
    try:
        sizes = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"--hidden expects widths like 64,64, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise UsageError(f"--hidden widths must be positive, got {text!r}")
    return sizes


def _task_options(task: Task, given: dict[str, Any]) -> list[str]:
    """Refuse another task's options; fill in this task's defaults (in place).
    Returns the task options given, as command-line text (for titles)."""
    shown = []
    for name, (flag, owner, default) in TASK_OPTIONS.items():
        if name not in given:
            continue
        value = given[name]
        if value is None or (name == "set_" and not value):
            given[name] = default
        elif owner is not task:
            raise UsageError(f"{flag} applies to --task {owner.value} only, not {task.value}")
        else:
            values = value if isinstance(value, list) else [value]
            shown += [f"{flag} {getattr(v, 'value', v)}" for v in values]
    return shown


def _single_threaded_blas() -> None:
    """Our matrices are tiny: BLAS threads only spin (measured 3x the CPU time with 2 threads).
    Effective when numpy is not imported yet; an explicit environment setting wins."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _run(algo: str, task: Task, common: dict[str, Any], specific: dict[str, Any]) -> None:
    """Build the config, train with the live table, render and write the outputs."""
    _single_threaded_blas()
    from rlcli.cli.console import err, out
    from rlcli.render.jsonout import emit
    from rlcli.render.training import LiveTable, curve_text, summary_table, write_csv, write_plot
    from rlcli.train.config import default_config
    from rlcli.train.run import check_config, check_size, train

    given_options = _task_options(task, common)
    _check_outputs(common["plot"], common["csv"])
    cfg = default_config(algo, task.value)
    task_options = dict(cfg.task_options)
    mdp = None
    if task is Task.gridworld:
        from rlcli.cli.common import load

        mdp = load(common["problem"], common["set_"])
        task_options["max_episode_steps"] = common["max_episode_steps"]
        if common.get("gamma", 0) is None:  # grpo has no --gamma: its outcome is the sum
            common["gamma"] = mdp.gamma
    elif task is Task.bandit:
        task_options.update(arms=common["arms"].value, k=common["k"])
    elif task is Task.tokens:
        task_options["max_operand"] = common["max_operand"]
        task_options["unary"] = common["encoding"] is Encoding.unary
    cfg = cfg.updated(
        seed=common["seed"],
        total_steps=common["steps"],
        n_envs=common["envs"],
        lr=common["lr"],
        gamma=common.get("gamma"),
        hidden=_hidden(common["hidden"]),
        ent_coef=common["ent_coef"],
        max_grad_norm=common["max_grad_norm"],
        target=common["target"],
        window=common["window"],
        anneal_lr=False if common["no_anneal"] else None,
        anneal_clip=False if common["no_anneal"] else None,
        task_options=task_options,
        **specific,
    )
    as_json, quiet = common["json"], common["quiet"]
    check_config(algo, task.value, cfg)
    check_size(algo, task.value, cfg, mdp)
    per_iteration = _steps_per_iteration(algo, cfg, task)
    title = " ".join([f"rlcli train {algo} --task {task.value} --seed {cfg.seed}", *given_options])
    if as_json or quiet:
        result = train(algo, task.value, cfg, mdp)
    else:
        with LiveTable(err, title, max(1, cfg.total_steps // per_iteration)) as live:
            result = train(algo, task.value, cfg, mdp, on_iteration=live.update)
    if common["csv"] is not None:
        write_csv(common["csv"], result.history)
    if common["plot"] is not None:
        write_plot(common["plot"], {algo: result.curve}, title, cfg.target)
    if as_json:
        emit(result_json(result))
    else:
        out.print(summary_table(result, common["target"] is not None))
        out.print(curve_text(result.curve, f"mean return vs env steps ({algo}, {task.value})"))
    if common["target"] is not None and result.solved_at_steps is None:
        raise typer.Exit(1)


PLOT_FORMATS = (".png", ".pdf", ".svg")


def _check_outputs(plot: Path | None, csv: Path | None) -> None:
    """Fail before training, not after it, when an output cannot be written."""
    import importlib.util

    if plot is not None:
        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--plot needs matplotlib: pip install 'rlcli[plot]'")
        if plot.suffix.lower() not in PLOT_FORMATS:
            raise UsageError(f"--plot {plot}: the file name must end in {', '.join(PLOT_FORMATS)}")
    for flag, path in (("--plot", plot), ("--csv", csv)):
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"{flag} {path}: is a directory, give a file name")
        if not path.parent.is_dir():
            raise UsageError(f"{flag} {path}: no directory {path.parent}")
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise UsageError(f"{flag} {path}: not writable")


def _steps_per_iteration(algo: str, cfg: Any, task: Task) -> int:
    from rlcli.train.config import ROLLOUT_ALGOS

    if algo in ROLLOUT_ALGOS:
        return cfg.n_envs * cfg.n_steps
    typical = {"bandit": 1, "tokens": 2, "gridworld": 20, "cartpole": 100}[task.value]
    return cfg.n_envs * typical


def result_json(result: Any) -> dict[str, Any]:
    """The ``--json`` document of one run (DESIGN.md keys first)."""
    from dataclasses import asdict

    return {
        "algo": result.algo,
        "task": result.task,
        "seed": result.seed,
        "curve": [[s, r] for s, r in result.curve],
        "solved_at_steps": result.solved_at_steps,
        "wall_seconds": round(result.wall_seconds, 4),
        "target": result.config.target,
        "env_steps": result.env_steps,
        "episodes": result.episodes,
        "final_mean_return": result.curve[-1][1] if result.curve else None,
        "reference_return": result.reference_return,
        "greedy_curve": None
        if result.greedy is None
        else [[h["env_steps"], h["greedy_accuracy"]] for h in result.history],
        "greedy_answers": None
        if result.greedy is None
        else [{"prompt": p, "completion": c, "correct": ok} for p, c, ok in result.greedy],
        "config": asdict(result.config),
    }


def _common(**kw: Any) -> dict[str, Any]:
    return kw


@app.command()
def reinforce(
    task: TaskOpt = Task.cartpole,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Subtract a learned value baseline V(s).")
    ] = False,
    normalize: Annotated[
        bool,
        typer.Option(
            "--normalize",
            help="Standardise each batch's returns (or advantages): subtracting the batch mean "
            "is itself a baseline, so plain REINFORCE leaves it off.",
        ),
    ] = False,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    envs: EnvsOpt = None,
    lr: LrOpt = None,
    gamma: GammaOpt = None,
    hidden: HiddenOpt = None,
    ent_coef: EntOpt = None,
    max_grad_norm: GradOpt = None,
    target: TargetOpt = None,
    window: WindowOpt = None,
    problem: ProblemOpt = None,
    set_: SetOpt = None,
    max_episode_steps: MaxStepsOpt = None,
    arms: ArmsOpt = None,
    k: KOpt = None,
    max_operand: OperandOpt = None,
    encoding: EncodingOpt = None,
    no_anneal: NoAnnealOpt = False,
    csv: CsvOpt = None,
    plot: PlotOpt = None,
    quiet: QuietOpt = False,
    json: JsonOpt = False,
) -> None:
    """REINFORCE: whole episodes, reward-to-go G_t, ∇J ≈ mean ∇log π(a_t|s_t)(G_t − b)."""
    specific = {"baseline": baseline, "norm_adv": normalize or None}
    common = {
        k_: v
        for k_, v in locals().items()
        if k_ not in ("task", "specific", "normalize", *specific)
    }
    _run("reinforce", task, common, specific)


@app.command()
def a2c(
    task: TaskOpt = Task.cartpole,
    n_steps: NStepsOpt = None,
    lam: LamOpt = None,
    vf_coef: VfOpt = None,
    no_bootstrap: NoBootOpt = False,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    envs: EnvsOpt = None,
    lr: LrOpt = None,
    gamma: GammaOpt = None,
    hidden: HiddenOpt = None,
    ent_coef: EntOpt = None,
    max_grad_norm: GradOpt = None,
    target: TargetOpt = None,
    window: WindowOpt = None,
    problem: ProblemOpt = None,
    set_: SetOpt = None,
    max_episode_steps: MaxStepsOpt = None,
    arms: ArmsOpt = None,
    k: KOpt = None,
    max_operand: OperandOpt = None,
    encoding: EncodingOpt = None,
    no_anneal: NoAnnealOpt = False,
    csv: CsvOpt = None,
    plot: PlotOpt = None,
    quiet: QuietOpt = False,
    json: JsonOpt = False,
) -> None:
    """Advantage actor-critic: n-step rollouts, GAE(λ) advantages, one gradient step each."""
    specific = {
        "n_steps": n_steps,
        "lam": lam,
        "vf_coef": vf_coef,
        "bootstrap_truncation": False if no_bootstrap else None,
    }
    common = {
        k_: v
        for k_, v in locals().items()
        if k_ not in ("task", "specific", "no_bootstrap", *specific)
    }
    _run("a2c", task, common, specific)


@app.command()
def ppo(
    task: TaskOpt = Task.cartpole,
    kl_penalty: Annotated[
        bool, typer.Option("--kl-penalty", help="Adaptive-β KL penalty instead of clipping.")
    ] = False,
    kl_target: Annotated[
        float | None, typer.Option("--kl-target", help="--kl-penalty: target KL d_targ.")
    ] = None,
    target_kl: Annotated[
        float | None, typer.Option("--target-kl", help="Stop an update's epochs above this KL.")
    ] = None,
    clip_value: Annotated[
        float | None, typer.Option("--clip-value", help="Clip value updates to ±this.")
    ] = None,
    clip: ClipOpt = None,
    epochs: EpochsOpt = None,
    minibatches: MbOpt = None,
    n_steps: NStepsOpt = None,
    lam: LamOpt = None,
    vf_coef: VfOpt = None,
    no_bootstrap: NoBootOpt = False,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    envs: EnvsOpt = None,
    lr: LrOpt = None,
    gamma: GammaOpt = None,
    hidden: HiddenOpt = None,
    ent_coef: EntOpt = None,
    max_grad_norm: GradOpt = None,
    target: TargetOpt = None,
    window: WindowOpt = None,
    problem: ProblemOpt = None,
    set_: SetOpt = None,
    max_episode_steps: MaxStepsOpt = None,
    arms: ArmsOpt = None,
    k: KOpt = None,
    max_operand: OperandOpt = None,
    encoding: EncodingOpt = None,
    no_anneal: NoAnnealOpt = False,
    csv: CsvOpt = None,
    plot: PlotOpt = None,
    quiet: QuietOpt = False,
    json: JsonOpt = False,
) -> None:
    """PPO: clipped surrogate (or --kl-penalty), GAE, epochs of shuffled minibatches."""
    if kl_target is not None and not kl_penalty:
        raise UsageError("--kl-target sets the target of --kl-penalty; add --kl-penalty")
    if clip is not None and kl_penalty:
        raise UsageError("--clip has no effect with --kl-penalty (it replaces the clipping)")
    specific = {
        "kl_penalty": kl_penalty or None,
        "kl_target": kl_target,
        "target_kl": target_kl,
        "clip_value": clip_value,
        "clip": clip,
        "epochs": epochs,
        "minibatches": minibatches,
        "n_steps": n_steps,
        "lam": lam,
        "vf_coef": vf_coef,
        "bootstrap_truncation": False if no_bootstrap else None,
    }
    common = {
        k_: v
        for k_, v in locals().items()
        if k_ not in ("task", "specific", "no_bootstrap", *specific)
    }
    _run("ppo", task, common, specific)


@app.command()
def grpo(
    task: TaskOpt = Task.tokens,
    group_size: Annotated[
        int | None, typer.Option("--group-size", "-G", help="Completions per prompt.")
    ] = None,
    kl_coef: Annotated[
        float | None, typer.Option("--kl-coef", help="β of the k3 KL to the frozen reference.")
    ] = None,
    clip: ClipOpt = None,
    epochs: EpochsOpt = None,
    minibatches: MbOpt = None,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    envs: EnvsOpt = None,
    lr: LrOpt = None,
    hidden: HiddenOpt = None,
    ent_coef: EntOpt = None,
    max_grad_norm: GradOpt = None,
    target: TargetOpt = None,
    window: WindowOpt = None,
    problem: ProblemOpt = None,
    set_: SetOpt = None,
    max_episode_steps: MaxStepsOpt = None,
    arms: ArmsOpt = None,
    k: KOpt = None,
    max_operand: OperandOpt = None,
    encoding: EncodingOpt = None,
    no_anneal: NoAnnealOpt = False,
    csv: CsvOpt = None,
    plot: PlotOpt = None,
    quiet: QuietOpt = False,
    json: JsonOpt = False,
) -> None:
    """GRPO: G completions per prompt, group-normalised outcome advantages, no critic."""
    specific = {
        "group_size": group_size,
        "kl_coef": kl_coef,
        "clip": clip,
        "epochs": epochs,
        "minibatches": minibatches,
    }
    common = {
        k_: v
        for k_, v in locals().items()
        if k_ not in ("task", "specific", "no_bootstrap", *specific)
    }
    _run("grpo", task, common, specific)


@app.command()
def compare(
    task: TaskOpt = Task.tokens,
    algos: Annotated[
        str, typer.Option("--algos", help="Comma-separated algorithms to compare.")
    ] = "reinforce,ppo,grpo",
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds 0..N-1, the same for each.")] = 3,
    steps: Annotated[
        int | None,
        typer.Option("--steps", help="Env steps per run, the same for every algorithm."),
    ] = None,
    problem: ProblemOpt = None,
    set_: SetOpt = None,
    plot: PlotOpt = None,
    json: JsonOpt = False,
) -> None:
    """Several algorithms on the same task and seeds, side by side in one table."""
    _single_threaded_blas()
    from rlcli.cli.console import err, out
    from rlcli.render.jsonout import emit
    from rlcli.render.training import compare_table, write_plot
    from rlcli.train.config import ALGOS, default_config
    from rlcli.train.run import check_config, check_size, train

    names = list(dict.fromkeys(a.strip() for a in algos.split(",") if a.strip()))
    bad = [a for a in names if a not in ALGOS]
    if bad or not names:
        raise UsageError(f"--algos: unknown {bad or algos!r} (choose from {', '.join(ALGOS)})")
    if seeds < 1:
        raise UsageError("--seeds must be at least 1")
    if steps is not None and steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    given = {"problem": problem, "set_": set_}
    _task_options(task, given)
    _check_outputs(plot, None)
    mdp = None
    if task is Task.gridworld:
        from rlcli.cli.common import load

        mdp = load(given["problem"], given["set_"])
    budget = steps or default_config("ppo", task.value).total_steps
    configs = {}
    for algo in names:  # every setting checked before the first run starts
        cfg = default_config(algo, task.value).updated(total_steps=budget)
        configs[algo] = cfg if mdp is None else cfg.updated(gamma=mdp.gamma)
        check_config(algo, task.value, configs[algo])
        check_size(algo, task.value, configs[algo], mdp)
    runs: dict[str, list[Any]] = {}
    for algo in names:
        for seed in range(seeds):
            if not json:
                err.print(f"[dim]{algo} seed {seed}…[/dim]")
            cfg = configs[algo].updated(seed=seed)
            runs.setdefault(algo, []).append(train(algo, task.value, cfg, mdp))
    if plot is not None:
        curves = {f"{a} seed {r.seed}": r.curve for a, rs in runs.items() for r in rs}
        write_plot(plot, curves, f"rlcli train compare --task {task.value}")
    if json:
        emit(
            {
                "task": task.value,
                "seeds": list(range(seeds)),
                "results": [result_json(r) for rs in runs.values() for r in rs],
            }
        )
        return
    out.print(compare_table(task.value, runs))

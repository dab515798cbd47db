"""``rlcli train``: policy-gradient agents in plain NumPy on toy tasks and Gymnasium envs."""

from __future__ import annotations

import inspect
import math
import os
import re
from dataclasses import Field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from rlcli.cli.common import (
    CSV_HELP,
    OUTPUT_FLAGS,
    ForceOpt,
    JsonOpt,
    SeedOpt,
    SetOpt,
    check_csv_file,
    check_plot_file,
    csv_target,
    field_options,
    is_stdout,
    report_console,
)
from rlcli.errors import RlcliError, UsageError
from rlcli.train.config import ConfigError

app = typer.Typer(
    help="Train REINFORCE, actor-critic (GAE), PPO and GRPO agents in plain NumPy, on toy "
    "tasks (--task) or (all but GRPO) on any Gymnasium environment (--env).",
    no_args_is_help=True,
)


class Task(str, Enum):
    bandit = "bandit"
    gridworld = "gridworld"
    cartpole = "cartpole"


class Arms(str, Enum):
    gaussian = "gaussian"
    bernoulli = "bernoulli"


# Tasks that left ``train``, and where they went: ``--task tokens`` gets this hint, not only
# the list of choices.
RETIRED_TASKS = {
    "tokens": "the language-model story is `rlcli lm` (`rlcli lm micro`, `rlcli lm rl grpo`; "
    "docs/lm.md)",
}


def parse_task(text: str) -> Task:
    """``--task TEXT`` -> Task; a retired task's name gets a pointer to where it went."""
    names = ", ".join(t.value for t in Task)
    if text in RETIRED_TASKS:
        raise typer.BadParameter(
            f"{text!r} is no longer a train task: {RETIRED_TASKS[text]}. Choose from {names}."
        )
    try:
        return Task(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not one of {names}.") from None


TASK_METAVAR = "[" + "|".join(t.value for t in Task) + "]"


def task_option(default: Task) -> Any:
    """The ``--task`` option, naming ``default`` in its help."""
    return typer.Option(
        "--task",
        "-t",
        parser=parse_task,
        metavar=TASK_METAVAR,
        help=f"What to train on [default: {default.value}].",
        show_default=False,
    )


ProblemOpt = Annotated[
    Path | None,
    typer.Option(
        "--problem", help="gridworld: an MDP file or bundled problem name [default: gridworld-4x4]."
    ),
]
# The options that belong to one task: (declaration, task, default). Given for another task
# they would be silently ignored, so they are refused instead.
TASK_OPTIONS: dict[str, tuple[Any, Task, Any]] = {
    "problem": (ProblemOpt, Task.gridworld, Path("gridworld-4x4")),
    "set_": (SetOpt, Task.gridworld, None),
    "max_episode_steps": (
        Annotated[
            int | None,
            typer.Option(
                "--max-episode-steps", help="gridworld: time limit per episode [default: 100]."
            ),
        ],
        Task.gridworld,
        100,
    ),
    "arms": (
        Annotated[
            Arms | None,
            typer.Option("--arms", help="bandit: arm reward distribution [default: gaussian]."),
        ],
        Task.bandit,
        Arms.gaussian,
    ),
    "k": (
        Annotated[int | None, typer.Option("--k", help="bandit: number of arms [default: 10].")],
        Task.bandit,
        10,
    ),
}
CsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--csv",
        help="Write every iteration's statistics to FILE.csv (the timing column: steps_per_sec)."
        + CSV_HELP,
    ),
]
PlotOpt = Annotated[
    Path | None,
    typer.Option("--plot", help="Draw the learning curve to FILE.png (needs matplotlib)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No live table.")]
# What every training command takes besides the TrainConfig fields: (declaration, default).
OUTPUT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "csv": (CsvOpt, None),
    "plot": (PlotOpt, None),
    "force": (ForceOpt, False),
    "quiet": (QuietOpt, False),
    "json": (JsonOpt, False),
}


# The outputs that measure time, so differ between runs of the same --seed; the rest is
# byte-identical (tests/test_cli_train_validation.py checks it).
TIMING_FIELDS = ("wall_seconds", "steps_per_sec")
REPRODUCIBLE = (
    "The same --seed gives the same output byte for byte, except the timing fields: "
    "wall_seconds (--json) and steps_per_sec (--csv, the live table)."
)


def _flags(f: Field) -> tuple[str, ...]:
    """The option names of a TrainConfig field: its ``flag`` metadata, else ``--field-name``."""
    flag = f.metadata.get("flag", "--" + f.name.replace("_", "-"))
    return (flag,) if isinstance(flag, str) else tuple(flag)


CLI_NAMES = {"set_": "--set", "env_id": "--env"}  # task settings the CLI spells otherwise


def flag_of(name: str) -> str:
    """How the command line spells a TrainConfig field or a task option."""
    from dataclasses import fields

    from rlcli.train.config import TrainConfig

    for f in fields(TrainConfig):
        if f.name == name or name in f.metadata.get("also", ()):
            return _flags(f)[0]
    return CLI_NAMES.get(name, "--" + name.replace("_", "-"))


def _config_parameter(f: Field, annotation: Any) -> inspect.Parameter:
    """A TrainConfig field as an option: its docstring is the help, None means "the default
    for this algorithm and task" (``default_config``); a bool field is a flag that sets
    ``metadata["sets"]``."""
    from rlcli.train.config import field_docs

    option = typer.Option(*_flags(f), help=field_docs()[f.name])
    if annotation is bool:
        return _param(f.name, Annotated[bool, option], False)
    if annotation not in (int, float, int | None, float | None):
        annotation = str  # parsed by PARSERS
    value_type = annotation if annotation in (int | None, float | None) else annotation | None
    return _param(f.name, Annotated[value_type, option], None)


def _param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def _env_kwargs(text: str | None) -> dict[str, Any]:
    """``--env-kwargs g=9.81,desc=[SF, FG]`` -> {"g": 9.81, "desc": ["SF", "FG"]}: the
    parser of ``rlcli mdp import --kwargs`` (YAML scalars and flow lists, never evaluated)."""
    from rlcli.gym.kwargs import parse_kwargs

    try:
        return parse_kwargs(text)
    except UsageError as exc:
        raise UsageError(f"--env-kwargs (NAME=VALUE,...): {exc}") from None


EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        help="Train on a Gymnasium environment instead of --task (e.g. CartPole-v1, "
        "Pendulum-v1): Discrete or Box actions, Box or Discrete observations; reinforce, a2c "
        "and ppo. "
        "Needs gymnasium: pip install 'rlcli[gym]'.",
    ),
]
EnvKwargsOpt = Annotated[
    str | None,
    typer.Option(
        "--env-kwargs",
        help="--env: keyword arguments of gymnasium.make, e.g. g=9.81,max_episode_steps=300.",
        metavar="K=V,...",
    ),
]


def _command(algo: str, default_task: Task, doc: str) -> None:
    """Register ``rlcli train ALGO``: its options are generated from TrainConfig
    (``option_fields(algo)``), the task options and the output options."""
    from typing import get_type_hints

    from rlcli.train.config import TrainConfig, option_fields

    types = get_type_hints(TrainConfig)
    task_opt = Annotated[Task | None, task_option(default_task)]
    params = [
        _param("task", task_opt, None),
        _param("env", EnvOpt, None),
        _param("env_kwargs", EnvKwargsOpt, None),
        *(_config_parameter(f, types[f.name]) for f in option_fields(algo)),
        _param("seed", SeedOpt, 0),
        *(_param(n, decl, None) for n, (decl, _, _) in TASK_OPTIONS.items()),
        *(_param(n, decl, d) for n, (decl, d) in OUTPUT_OPTIONS.items()),
    ]

    def command(**given: Any) -> None:
        _run(algo, default_task, given)

    command.__name__ = algo
    command.__doc__ = f"{doc}\n\n{REPRODUCIBLE}"
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    app.command(name=algo)(command)


def _hidden(text: str | None) -> tuple[int, ...] | None:
    """``--hidden 64,64`` -> (64, 64); 'none' -> () (a linear policy)."""
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


def _task_options(task: Task | None, given: dict[str, Any]) -> list[str]:
    """Refuse another task's options; fill in this task's defaults (in place).
    Returns the task options given, as command-line text (for titles). ``task`` None: --env."""
    shown = []
    for name, (_, owner, default) in TASK_OPTIONS.items():
        if name not in given:
            continue
        flag = flag_of(name)
        value = given[name]
        if value is None or (name == "set_" and not value):
            given[name] = default
        elif owner is not task:
            other = "--env" if task is None else task.value
            raise UsageError(f"{flag} applies to --task {owner.value} only, not {other}")
        else:
            values = value if isinstance(value, list) else [value]
            shown += [f"{flag} {getattr(v, 'value', v)}" for v in values]
    return shown


PARSERS = {"hidden": _hidden}  # TrainConfig fields given as text


def _config_changes(algo: str, given: dict[str, Any]) -> dict[str, Any]:
    """The TrainConfig fields the command line set (None: not given, keep the default)."""
    from rlcli.train.config import option_fields

    changes: dict[str, Any] = {}
    for f in option_fields(algo):
        value = given.pop(f.name)
        if isinstance(value, bool):  # a flag: given sets metadata["sets"]
            value = f.metadata["sets"] if value else None
            changes.update(dict.fromkeys(f.metadata.get("also", ()), value))
        elif f.name in PARSERS:
            value = PARSERS[f.name](value)
        changes[f.name] = value
    return changes


def _named_by_flags(exc: RlcliError) -> RlcliError:
    """The library names settings by their TrainConfig field; the command line by its flags."""
    names = getattr(exc, "fields", ())
    if not names:
        return exc
    text = str(exc)
    for name in names:
        text = re.sub(rf"(?<![\w-]){name}(?![\w-])", flag_of(name), text)
    renamed = type(exc)(text) if not isinstance(exc, ConfigError) else UsageError(text)
    return renamed


def _run(algo: str, default_task: Task, given: dict[str, Any]) -> None:
    try:
        with field_options(**OUTPUT_FLAGS):
            _train(algo, default_task, given)
    except RlcliError as exc:
        raise _named_by_flags(exc) from None


def _train(algo: str, default_task: Task, given: dict[str, Any]) -> None:
    """Build the config, train with the live table, render and write the outputs."""
    from rlcli.cli.console import err
    from rlcli.render.jsonout import emit
    from rlcli.render.training import LiveTable, curve_text, summary_table, write_csv, write_plot
    from rlcli.train.config import default_config
    from rlcli.train.run import check_config, check_size, train

    task, env_id, env_kwargs = given.pop("task"), given.pop("env"), given.pop("env_kwargs")
    task = _target(task, env_id, env_kwargs, default_task)
    changes = _config_changes(algo, given)
    if algo == "ppo":
        if changes["kl_target"] is not None and not changes["kl_penalty"]:
            raise UsageError("--kl-target sets the target of --kl-penalty; add --kl-penalty")
        if changes["clip"] is not None and changes["kl_penalty"]:
            raise UsageError("--clip has no effect with --kl-penalty (it replaces the clipping)")
    given_options = _task_options(task, given)
    _check_outputs(given["plot"], given["csv"], given["force"], given["json"])
    task_name = "env" if env_id is not None else task.value
    mdp = None
    if env_id is not None:
        from rlcli.train.run import env_config

        cfg = env_config(algo, env_id, _env_kwargs(env_kwargs))
        task_options = dict(cfg.task_options)
        given_options = [f"--env-kwargs {env_kwargs}"] if env_kwargs else []
    else:
        cfg = default_config(algo, task_name)
        task_options = dict(cfg.task_options)
    if task is Task.gridworld:
        from rlcli.cli.common import load

        mdp = load(given["problem"], given["set_"])
        task_options["max_episode_steps"] = given["max_episode_steps"]
        if "gamma" in changes and changes["gamma"] is None:  # grpo: the outcome is the sum
            changes["gamma"] = mdp.gamma
    elif task is Task.bandit:
        task_options.update(arms=given["arms"].value, k=given["k"])
    cfg = cfg.updated(seed=given["seed"], task_options=task_options, **changes)
    as_json, quiet = given["json"], given["quiet"]
    check_config(algo, task_name, cfg)
    check_size(algo, task_name, cfg, mdp)
    per_iteration = _steps_per_iteration(algo, cfg, task_name)
    what = f"--env {env_id}" if env_id is not None else f"--task {task_name}"
    title = " ".join([f"rlcli train {algo} {what} --seed {cfg.seed}", *given_options])
    if as_json or quiet:
        result = train(algo, task_name, cfg, mdp)
    else:
        with LiveTable(err, title, max(1, cfg.total_steps // per_iteration)) as live:
            result = train(algo, task_name, cfg, mdp, on_iteration=live.update)
    if given["csv"] is not None:
        write_csv(csv_target(given["csv"]), result.history)
    if given["plot"] is not None:
        write_plot(given["plot"], {algo: result.curve}, title, cfg.target)
    if as_json:
        emit(result_json(result))
    else:
        report = report_console(given["csv"])
        report.print(summary_table(result, changes["target"] is not None))
        report.print(curve_text(result.curve, f"mean return vs env steps ({algo}, {result.name})"))
    if changes["target"] is not None and result.solved_at_steps is None:
        raise typer.Exit(1)


def _target(
    task: Task | None, env_id: str | None, env_kwargs: str | None, default: Task
) -> Task | None:
    """What to train on: ``--task`` (``default`` when neither is given) or ``--env`` (None)."""
    if env_id is not None and task is not None:
        raise UsageError("--task and --env are two ways to name what to train on: give one")
    if env_kwargs is not None and env_id is None:
        raise UsageError("--env-kwargs sets the keyword arguments of --env; add --env ENV_ID")
    return task or default if env_id is None else None


def _check_outputs(plot: Path | None, csv: Path | None, force: bool, json: bool = False) -> None:
    """Fail before training, not after it, when an output cannot be written, or would
    overwrite a file without ``--force``, or ``--csv -`` and ``--json`` share stdout."""
    check_plot_file(plot, force)
    check_csv_file(csv, force, json)
    for flag, path in (("--plot", plot), ("--csv", csv)):
        if path is None or is_stdout(path):
            continue
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise UsageError(f"{flag} {path}: not writable")


def _steps_per_iteration(algo: str, cfg: Any, task: str) -> int:
    from rlcli.train.config import ROLLOUT_ALGOS

    if algo in ROLLOUT_ALGOS:
        return cfg.n_envs * cfg.n_steps
    typical = {"bandit": 1, "gridworld": 20}.get(task, 100)
    return cfg.n_envs * typical


def _finite(x: float) -> float | None:
    """JSON has no NaN: an undefined statistic is null."""
    return x if math.isfinite(x) else None


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
        "env": result.config.task_options.get("env_id"),
        "time_limits": result.time_limits,
        "env_steps": result.env_steps,
        "episodes": result.episodes,
        "final_mean_return": result.curve[-1][1] if result.curve else None,
        "reference_return": result.reference_return,
        "explained_variance": None
        if not any("explained_variance" in h for h in result.history)
        else [[h["env_steps"], _finite(h["explained_variance"])] for h in result.history],
        "config": asdict(result.config),
    }


_command(
    "reinforce",
    Task.cartpole,
    "REINFORCE: whole episodes, reward-to-go G_t, ∇J ≈ mean ∇log π(a_t|s_t)(G_t − b).",
)
_command(
    "a2c",
    Task.cartpole,
    "Advantage actor-critic: n-step rollouts, GAE(λ) advantages, one gradient step each.",
)
_command(
    "ppo",
    Task.cartpole,
    "PPO: clipped surrogate (or --kl-penalty), GAE, epochs of shuffled minibatches.",
)
_command(
    "grpo",
    Task.bandit,
    "GRPO: G episodes from each start state (a prompt's G completions), group-normalised "
    "outcome advantages, no critic.",
)


COMPARE_TASK = Task.bandit  # seconds for the three default algorithms × 3 seeds
COMPARE_ALGOS = "reinforce,ppo,grpo"
COMPARE_ENV_ALGOS = "reinforce,a2c,ppo"  # grpo needs groups from one start: not on --env
MAX_SEEDS = 1_000  # runs one after another: more would only hang


@app.command()
def compare(
    task: Annotated[Task | None, task_option(COMPARE_TASK)] = None,
    env: EnvOpt = None,
    env_kwargs: EnvKwargsOpt = None,
    algos: Annotated[
        str | None,
        typer.Option(
            "--algos",
            help=f"Comma-separated algorithms to compare [default: {COMPARE_ALGOS}; with --env "
            f"{COMPARE_ENV_ALGOS}].",
        ),
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds 0..N-1, the same for each.")] = 3,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            help="Env steps per run, the same for every algorithm [default: PPO's default for "
            "the task or environment].",
        ),
    ] = None,
    problem: ProblemOpt = None,
    set_: SetOpt = None,
    plot: PlotOpt = None,
    force: ForceOpt = False,
    json: JsonOpt = False,
) -> None:
    """Several algorithms on the same task (or Gymnasium environment) and seeds, side by side
    in one table.

    The same --seeds give the same table, byte for byte, except the s/run column (and
    wall_seconds in --json)."""
    try:
        with field_options(**OUTPUT_FLAGS):
            _compare(task, env, env_kwargs, algos, seeds, steps, problem, set_, plot, force, json)
    except RlcliError as exc:
        raise _named_by_flags(exc) from None


def _compare(
    task: Task | None,
    env_id: str | None,
    env_kwargs: str | None,
    algos: str | None,
    seeds: int,
    steps: int | None,
    problem: Path | None,
    set_: list[str] | None,
    plot: Path | None,
    force: bool,
    json: bool,
) -> None:
    from rlcli.cli.console import err, out
    from rlcli.render.jsonout import emit
    from rlcli.render.training import compare_table, write_plot
    from rlcli.train.config import ALGOS, default_config
    from rlcli.train.run import check_config, check_size, env_config, train

    task = _target(task, env_id, env_kwargs, COMPARE_TASK)
    if algos is None:
        algos = COMPARE_ALGOS if env_id is None else COMPARE_ENV_ALGOS
    names = list(dict.fromkeys(a.strip() for a in algos.split(",") if a.strip()))
    bad = [a for a in names if a not in ALGOS]
    if bad or not names:
        raise UsageError(f"--algos: unknown {bad or algos!r} (choose from {', '.join(ALGOS)})")
    if not 1 <= seeds <= MAX_SEEDS:
        raise UsageError(f"--seeds must be in 1..{MAX_SEEDS:,d}, got {seeds:,d}")
    if steps is not None and steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    given = {"problem": problem, "set_": set_}
    _task_options(task, given)
    _check_outputs(plot, None, force)
    mdp = None
    if task is Task.gridworld:
        from rlcli.cli.common import load

        mdp = load(given["problem"], given["set_"])
    if env_id is not None:
        kwargs = _env_kwargs(env_kwargs)
        task_name, what = "env", f"--env {env_id}"

        def defaults(algo: str) -> Any:
            return env_config(algo, env_id, kwargs)
    else:
        task_name = (task or COMPARE_TASK).value
        what = f"--task {task_name}"

        def defaults(algo: str) -> Any:
            return default_config(algo, task_name)

    budget = steps or defaults("ppo").total_steps
    configs = {}
    for algo in names:  # every setting checked before the first run starts
        cfg = defaults(algo).updated(total_steps=budget)
        configs[algo] = cfg if mdp is None else cfg.updated(gamma=mdp.gamma)
        check_config(algo, task_name, configs[algo])
        check_size(algo, task_name, configs[algo], mdp)
    runs: dict[str, list[Any]] = {}
    for algo in names:
        for seed in range(seeds):
            if not json:
                err.print(f"[dim]{algo} seed {seed}…[/dim]")
            cfg = configs[algo].updated(seed=seed)
            runs.setdefault(algo, []).append(train(algo, task_name, cfg, mdp))
    if plot is not None:
        curves = {f"{a} seed {r.seed}": r.curve for a, rs in runs.items() for r in rs}
        write_plot(plot, curves, f"rlcli train compare {what}")
    if json:
        emit(
            {
                "task": task_name,
                "env": env_id,
                "seeds": list(range(seeds)),
                "results": [result_json(r) for rs in runs.values() for r in rs],
            }
        )
        return
    out.print(compare_table(env_id or task_name, runs))

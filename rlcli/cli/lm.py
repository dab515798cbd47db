"""``rlcli lm``: RL fine-tuning of a small language model, in plain NumPy."""

from __future__ import annotations

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
    check_csv_file,
    check_output_file,
    check_plot_file,
    csv_target,
    field_options,
    report_console,
)
from rlcli.errors import UsageError
from rlcli.lm.rl_config import RLConfig

app = typer.Typer(
    help="Language-model RL in miniature: pretrain a NumPy transformer on word problems, fit "
    "a reward model, fine-tune with PPO / GRPO / Dr. GRPO / RLOO / REINFORCE, evaluate pass@k.",
    no_args_is_help=True,
)


# The command-line option of each RLConfig field its check names (``field_options``).
RL_FLAGS = {
    "iterations": "--iterations", "prompts": "--prompts", "group_size": "--group-size",
    "epochs": "--epochs", "minibatches": "--minibatches", "lr": "--lr", "kl_coef": "--kl-coef",
    "clip": "--clip", "temperature": "--temperature", "value_clip": "--value-clip",
    "kl_target": "--kl-target", "kl_horizon": "--kl-horizon",
}  # fmt: skip


class Algo(str, Enum):
    ppo = "ppo"
    grpo = "grpo"
    dr_grpo = "dr-grpo"
    rloo = "rloo"
    reinforce = "reinforce"


OutOpt = Annotated[Path, typer.Option("-o", "--out", help="Checkpoint file to write (.npz).")]
CsvOpt = Annotated[
    Path | None, typer.Option("--csv", help="Write every iteration to FILE.csv." + CSV_HELP)
]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Draw the curve to FILE.png.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No live table.")]
ModelArg = Annotated[Path, typer.Argument(help="A policy checkpoint (.npz).")]
RewardOpt = Annotated[
    str,
    typer.Option(
        "--reward",
        help="'verifier' (the answer after #### is checked) or 'model FILE' (a reward model's "
        "score; FILE is the reward-model .npz).",
    ),
]
RewardFileArg = Annotated[
    Path | None,
    typer.Argument(
        help="With --reward model: the reward-model checkpoint (.npz).", show_default=False
    ),
]


def _reward_file(reward: str, file: Path | None) -> Path | None:
    """The reward-model file of ``--reward model FILE``; None for ``--reward verifier``."""
    if reward == "verifier":
        if file is not None:
            raise UsageError(f"{file}: a reward-model file goes with --reward model, not verifier")
        return None
    if reward != "model":
        raise UsageError(f"--reward: 'verifier' or 'model FILE', got {reward!r}")
    if file is None:
        raise UsageError("--reward model: name the reward-model file, e.g. --reward model rm.npz")
    return file


def _outputs(
    force: bool, json: bool, out: Path, csv: Path | None = None, plot: Path | None = None
) -> None:
    """Before any work: the checkpoint, ``--csv`` and ``--plot`` can be written (and
    ``--csv -`` does not share stdout with ``--json``)."""
    check_output_file(out, "--out", force)
    check_csv_file(csv, force, json)
    check_plot_file(plot, force)


def _live(title: str, quiet: bool, as_json: bool):
    """A per-iteration table on stderr when it is a terminal, else no live output."""
    from rlcli.cli.console import err

    if quiet or as_json or not err.is_terminal:
        return None, None
    from rich.live import Live

    from rlcli.render.lm_tables import history_table

    rows: list[dict[str, Any]] = []
    live = Live(console=err, auto_refresh=False, transient=True)

    def update(row: dict[str, Any]) -> None:
        rows.append(row)
        live.update(history_table(title, rows[-15:]), refresh=True)

    return live, update


def _wide(console: Any) -> Any:
    """The console itself on a terminal; else a 120-column one on the same stream (tables in
    files keep every column; rich would cut them to 80)."""
    if console.is_terminal:
        return console
    from rich.console import Console

    from rlcli.render.lm_tables import WIDE

    return Console(width=WIDE, highlight=False, stderr=console.stderr)


def _load_policy(path: Path):
    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm.pipeline import policy_of

    return policy_of(ckpt.load(path, "policy"))


@app.command("pretrain")
def pretrain_cmd(
    out: OutOpt = Path("base.npz"),
    steps: Annotated[int, typer.Option("--steps", min=1, help="Optimiser steps.")] = 600,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Sequences per step.")] = 32,
    lr: Annotated[float, typer.Option("--lr", min=0.0, help="Peak learning rate.")] = 3e-3,
    context: Annotated[int, typer.Option("--context", min=1, help="Context in tokens.")] = 48,
    d_model: Annotated[int, typer.Option("--d-model", min=1, help="Model width.")] = 64,
    layers: Annotated[int, typer.Option("--layers", min=1, help="Transformer blocks.")] = 2,
    heads: Annotated[int, typer.Option("--heads", min=1, help="Attention heads.")] = 2,
    seed: SeedOpt = 0,
    csv: CsvOpt = None,
    force: ForceOpt = False,
    json: JsonOpt = False,
) -> None:
    """Next-token cross-entropy on solved word problems → a base model; loss curve and held-out
    accuracy (greedy and sampled)."""
    _outputs(force, json, out, csv)
    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm import task
    from rlcli.lm.pretrain import PretrainConfig, pretrain
    from rlcli.render.jsonout import emit
    from rlcli.render.lm_tables import key_value_table, write_history_csv
    from rlcli.render.training import curve_lines

    p_len = task.prompt_length(task.tokenizer())
    if context < p_len + 12:
        raise UsageError(
            f"--context {context}: the prompts take up to {p_len} tokens and answers 12; "
            f"use at least {p_len + 12}"
        )
    cfg = PretrainConfig(seed, steps, batch, lr, context, d_model, layers, heads)
    res = pretrain(cfg)
    ckpt.save(out, res.checkpoint)
    if csv is not None:
        with field_options(**OUTPUT_FLAGS):
            write_history_csv(csv_target(csv), res.curve)
    if json:
        emit(
            {
                "seed": seed,
                "path": str(out),
                "curve": [[r["step"], r["loss"]] for r in res.curve],
                "greedy_accuracy": res.greedy_accuracy,
                "sampled_accuracy": res.sampled_accuracy,
                "wall_seconds": res.wall_seconds,
            }
        )
        return
    lines = curve_lines([(r["step"], r["loss"]) for r in res.curve])
    lines[-1] = lines[-1].replace("env steps", "steps")
    report = report_console(csv)
    report.print(
        "\n".join(["training loss (next-token cross-entropy) vs step", *lines]),
        markup=False,
        highlight=False,
    )
    report.print(
        key_value_table(
            f"pretrained → {out}",
            [
                ("parameters", f"{sum(v.size for v in res.checkpoint.params.values()):,}"),
                ("final loss", f"{res.curve[-1]['loss']:.4f}"),
                ("held-out greedy accuracy", f"{res.greedy_accuracy:.1%}"),
                ("held-out sampled accuracy (τ = 1)", f"{res.sampled_accuracy:.1%}"),
                ("wall time", f"{res.wall_seconds:.1f} s"),
            ],
        )
    )


@app.command("reward-model")
def reward_model_cmd(
    base: ModelArg,
    out: OutOpt = Path("reward-model.npz"),
    steps: Annotated[int, typer.Option("--steps", min=1, help="Optimiser steps.")] = 150,
    seed: SeedOpt = 0,
    force: ForceOpt = False,
    json: JsonOpt = False,
) -> None:
    """Bradley–Terry reward model on synthetic preference pairs (the labeller's rule, with its
    length bias, is printed); pairwise accuracy on held-out pairs."""
    _outputs(force, json, out)
    from rlcli.cli.console import out as stdout
    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm.preferences import RULE
    from rlcli.lm.reward_model import RewardModelConfig, train_reward_model
    from rlcli.render.jsonout import emit
    from rlcli.render.lm_tables import key_value_table

    res = train_reward_model(ckpt.load(base, "policy"), RewardModelConfig(seed=seed, steps=steps))
    ckpt.save(out, res.checkpoint)
    if json:
        emit(
            {
                "seed": seed,
                "path": str(out),
                "rule": RULE,
                "held_out_pairwise_accuracy": res.held_out_accuracy,
                "curve": [[r["step"], r["loss"]] for r in res.curve],
            }
        )
        return
    stdout.print(
        key_value_table(
            f"reward model → {out}",
            [
                ("preference rule", RULE),
                ("final Bradley–Terry loss", f"{res.curve[-1]['loss']:.4f}"),
                ("held-out pairwise accuracy", f"{res.held_out_accuracy:.1%}"),
                ("wall time", f"{res.wall_seconds:.1f} s"),
            ],
        )
    )


@app.command("rl")
def rl_cmd(
    algo: Annotated[Algo, typer.Argument(help="The RL algorithm.")],
    policy: ModelArg,
    reward_file: RewardFileArg = None,
    reward: RewardOpt = "verifier",
    out: OutOpt = Path("policy.npz"),
    iterations: Annotated[int, typer.Option("--iterations", min=1)] = RLConfig.iterations,
    prompts: Annotated[
        int, typer.Option("--prompts", min=1, help="Prompts per iteration.")
    ] = RLConfig.prompts,
    group_size: Annotated[
        int, typer.Option("--group-size", min=1, help="Samples/prompt G.")
    ] = RLConfig.group_size,
    kl_coef: Annotated[
        float, typer.Option("--kl-coef", min=0.0, help="β of the KL.")
    ] = RLConfig.kl_coef,
    clip: Annotated[float, typer.Option("--clip", help="Ratio clip ε.")] = RLConfig.clip,
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, help="Passes per batch.")
    ] = RLConfig.epochs,
    minibatches: Annotated[int, typer.Option("--minibatches", min=1)] = RLConfig.minibatches,
    lr: Annotated[float, typer.Option("--lr", min=0.0)] = RLConfig.lr,
    temperature: Annotated[
        float, typer.Option("--temperature", help="Sampling τ.")
    ] = RLConfig.temperature,
    value_clip: Annotated[
        float | None,
        typer.Option(
            "--value-clip",
            help="ppo: clip the critic's change to ±this around its rollout value, taking the "
            "larger squared error (PPO2, OpenRLHF value_clip) [default: off].",
        ),
    ] = RLConfig.value_clip,
    kl_target: Annotated[
        float | None,
        typer.Option(
            "--kl-target",
            help="Adapt β (from --kl-coef) after each rollout towards this KL per completion "
            "(k1, nats), Ziegler et al. 2019 [default: off, β fixed].",
        ),
    ] = RLConfig.kl_target,
    kl_horizon: Annotated[
        int,
        typer.Option(
            "--kl-horizon",
            help="--kl-target: β ← β(1 + e·n/horizon), e = clip(KL/target − 1, ±0.2), n "
            "completions per iteration.",
        ),
    ] = RLConfig.kl_horizon,
    seed: SeedOpt = 0,
    csv: CsvOpt = None,
    plot: PlotOpt = None,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
    json: JsonOpt = False,
) -> None:
    """Fine-tune POLICY against the verifier or a reward model; the original stays frozen as
    the KL reference."""
    rm_path = _reward_file(reward, reward_file)
    _outputs(force, json, out, csv, plot)
    from dataclasses import asdict

    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm.pipeline import policy_of, reward_fn
    from rlcli.lm.rl import rl_train
    from rlcli.render.jsonout import emit
    from rlcli.render.lm_tables import history_table, write_history_csv, write_history_plot

    base_ck = ckpt.load(policy, "policy")
    base = policy_of(base_ck)
    rm = None if rm_path is None else ckpt.load(rm_path, "reward-model")
    cfg = RLConfig(
        algo.value,
        seed,
        iterations,
        prompts,
        group_size,
        lr,
        kl_coef,
        clip,
        epochs,
        minibatches,
        temperature,
        value_clip=value_clip,
        kl_target=kl_target,
        kl_horizon=kl_horizon,
    )
    with field_options(**RL_FLAGS):
        cfg.check()
    spelled = "verifier" if rm_path is None else f"model {rm_path}"
    title = f"rlcli lm rl {algo.value} --reward {spelled} --seed {seed}"
    live, update = _live(title, quiet, json)
    if live is not None:
        with live:
            res = rl_train(base, cfg, reward_fn(reward, rm, base), update)
    else:
        res = rl_train(base, cfg, reward_fn(reward, rm, base))
    info = {
        "stage": "rl",
        "seed": seed,
        "prompt_len": base.prompt_len,
        "algo": algo.value,
        "reward": reward,
        "reward_model": None if rm_path is None else str(rm_path),
        "rl_config": asdict(cfg),
    }
    ckpt.save(out, ckpt.Checkpoint("policy", base_ck.config, base_ck.vocab, res.params, info))
    with field_options(**OUTPUT_FLAGS):
        if csv is not None:
            write_history_csv(csv_target(csv), res.history)
        if plot is not None:
            curve = [
                (h["iteration"], h["greedy_accuracy"])
                for h in res.history
                if "greedy_accuracy" in h
            ]
            write_history_plot(
                plot, {algo.value: curve}, title, "iteration", "held-out greedy accuracy"
            )
    if json:
        emit(
            {
                "algo": algo.value,
                "seed": seed,
                "reward": reward,
                "reward_model": None if rm_path is None else str(rm_path),
                "path": str(out),
                "curve": res.history,
                "wall_seconds": res.wall_seconds,
            }
        )
        return
    _wide(report_console(csv)).print(history_table(title, res.history))


@app.command("eval")
def eval_cmd(
    models: Annotated[
        list[Path],
        typer.Argument(
            help="Policy checkpoints, e.g. base and RL. --json: one model's keys at the top; "
            "several under models {path: keys}."
        ),
    ],
    samples: Annotated[int, typer.Option("--samples", min=1, help="n samples per prompt.")] = 8,
    k: Annotated[str, typer.Option("--k", help="k values of pass@k and maj@k.")] = "1,4,8",
    reward_model: Annotated[
        Path | None, typer.Option("--reward-model", help="Add best-of-n by this reward model.")
    ] = None,
    prompts: Annotated[int, typer.Option("--prompts", min=1, help="Held-out prompts.")] = 256,
    seed: SeedOpt = 0,
    json: JsonOpt = False,
) -> None:
    """pass@1, pass@k, maj@k and greedy accuracy on held-out prompts, models side by side."""
    import numpy as np

    from rlcli.cli.console import out as stdout
    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm import task
    from rlcli.lm.evaluate import best_of_n, evaluate
    from rlcli.render.jsonout import emit
    from rlcli.render.lm_tables import eval_table

    try:
        ks = [int(x) for x in k.split(",")]
    except ValueError:
        raise UsageError(f"--k expects integers like 1,4,8, got {k!r}") from None
    if any(x < 1 or x > samples for x in ks):
        raise UsageError(f"--k values must be between 1 and --samples ({samples})")
    twice = next((m for i, m in enumerate(models) if m in models[:i]), None)
    if twice is not None:
        raise UsageError(f"MODEL {twice}: given twice; name each model once")
    held = list(task.split()[1][:prompts])
    rm = None if reward_model is None else ckpt.load(reward_model, "reward-model")
    rows: dict[str, dict[str, Any]] = {}
    for path in models:
        pol = _load_policy(path)
        row = evaluate(pol, held, np.random.default_rng(seed), samples, ks).as_json()
        if rm is not None:
            row["best_of_n"] = best_of_n(pol, rm, held, samples, np.random.default_rng(seed))
        rows[str(path)] = row
    if json:  # one model: its keys (DESIGN); several: per model, nothing silently the first's
        emit(rows[str(models[0])] if len(models) == 1 else {"models": rows})
        return
    title = f"held-out prompts: {len(held)}, n = {samples} samples (τ = 1)"
    if rm is not None:
        title += f"; best-of-{samples}: the sample {reward_model} prefers, checked by the verifier"
    shown = {
        name: r
        | {
            "pass_at": {int(a): b for a, b in r["pass_at"].items()},
            "maj_at": {int(a): b for a, b in r["maj_at"].items()},
        }
        for name, r in rows.items()
    }
    _wide(stdout).print(eval_table(title, shown))


@app.command("sample")
def sample_cmd(
    model: ModelArg,
    prompt: Annotated[str, typer.Argument(help="A word problem in the model's vocabulary.")],
    n: Annotated[int, typer.Option("-n", min=1, help="Completions to draw.")] = 4,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0, help="0: greedy.")] = 1.0,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1)] = None,
    seed: SeedOpt = 0,
    json: JsonOpt = False,
) -> None:
    """Print completions of PROMPT (and the answer each one gives after ####)."""
    import numpy as np

    from rlcli.lm.sampling import generate
    from rlcli.lm.task import extract_answer
    from rlcli.render.jsonout import emit

    pol = _load_policy(model)
    ids = pol.tok.encode(prompt)
    if len(ids) > pol.prompt_len:
        raise UsageError(
            f"prompt: {len(ids)} tokens, but this model's prompts hold at most {pol.prompt_len} "
            f"(context {pol.config.context})"
        )
    prompts = np.repeat(pol.tok.pad_left([ids], pol.prompt_len), n, axis=0)
    comps = generate(
        pol.params,
        pol.config,
        prompts,
        pol.max_new,
        np.random.default_rng(seed),
        temperature,
        top_k,
    )
    texts = [pol.tok.decode(row) for row in comps]
    if json:
        emit(
            {"prompt": prompt, "completions": texts, "answers": [extract_answer(t) for t in texts]}
        )
        return
    for t in texts:
        typer.echo(f"{t}    → {extract_answer(t)}")


@app.command("pipeline")
def pipeline_cmd(
    out_dir: Annotated[Path, typer.Option("--dir", help="Directory for the checkpoints.")] = Path(
        "lm-run"
    ),
    algo: Annotated[Algo, typer.Option("--algo", help="RL algorithm.")] = Algo.grpo,
    reward: Annotated[str, typer.Option("--reward", help="'verifier' or 'model'.")] = "verifier",
    iterations: Annotated[int, typer.Option("--iterations", min=1)] = RLConfig.iterations,
    kl_coef: Annotated[float, typer.Option("--kl-coef", min=0.0)] = RLConfig.kl_coef,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Redo and overwrite every stage.")] = False,
    json: JsonOpt = False,
) -> None:
    """pretrain → reward model → RL → eval in one command; stages already in --dir (same
    seed) are reused, so an interrupted run resumes."""
    if reward not in ("verifier", "model"):
        raise UsageError(f"--reward: 'verifier' or 'model', got {reward!r}")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--dir {out_dir}: is a file, not a directory")
    from rlcli.cli.console import err
    from rlcli.cli.console import out as stdout
    from rlcli.lm.pipeline import run_pipeline
    from rlcli.render.jsonout import emit
    from rlcli.render.lm_tables import eval_table

    cfg = RLConfig(algo.value, seed, iterations, kl_coef=kl_coef)
    with field_options(**RL_FLAGS):
        cfg.check()
    last = {"stage": ""}

    def log(stage: str, row: dict[str, Any]) -> None:
        if stage != last["stage"] and not (quiet or json):
            err.print(f"{stage} …", markup=False)
            last["stage"] = stage

    res = run_pipeline(out_dir, seed, cfg, reward, force, log=log)
    if json:
        emit(
            {
                "algo": algo.value,
                "seed": seed,
                "reward": reward,
                "base": res.base.as_json(),
                "final": res.final.as_json(),
                "reused": res.reused,
                "reward_model_pairwise_accuracy": res.reward_model_accuracy,
                "curve": {k: v for k, v in res.curves.items()},
            }
        )
        return
    if res.reused:
        stdout.print(f"reused from {out_dir}: {', '.join(res.reused)}")
    rows = {"base (pretrained)": res.base.as_json(), f"after {algo.value}": res.final.as_json()}
    for r in rows.values():
        r["pass_at"] = {int(a): b for a, b in r["pass_at"].items()}
        r["maj_at"] = {int(a): b for a, b in r["maj_at"].items()}
    _wide(stdout).print(eval_table(f"held-out prompts, seed {seed}", rows))


@app.command("micro")
def micro_cmd(
    seed: SeedOpt = 0,
    group_size: Annotated[int, typer.Option("--group-size", min=2, help="G per estimate.")] = 4,
    repeats: Annotated[int, typer.Option("--repeats", min=2, help="Estimates drawn.")] = 400,
    json: JsonOpt = False,
) -> None:
    """Exact diagnostics on an enumerable micro problem (13 completions): J, ∇J and KL exactly;
    each algorithm's gradient estimate (bias, variance, cosine); k1, k2, k3 KL estimates."""
    from rlcli.cli.console import out as stdout
    from rlcli.lm.micro import micro_report
    from rlcli.render.jsonout import emit
    from rlcli.render.lm_tables import key_value_table, micro_tables

    rep = micro_report(seed, group_size, repeats)
    if json:
        from dataclasses import asdict

        emit(asdict(rep))
        return
    stdout.print(
        key_value_table(
            "micro problem, exact",
            [
                ("J(θ) = Σ_y π(y|x) R(y)", f"{rep.objective:.6f}"),
                ("KL(π‖π_ref), exact", f"{rep.kl:.6f}"),
                ("GRPO loss at its first step (ρ = 1)", f"{rep.grpo_first_loss:.2e}"),
                ("… and the norm of its gradient", f"{rep.grpo_first_grad_norm:.4f}"),
                ("gradient norm of a group with equal rewards", f"{rep.equal_group_grad_norm:.1f}"),
            ],
        )
    )
    for table in micro_tables(rep, group_size, repeats):
        stdout.print(table)


@app.command("over-optimisation")
def overopt_cmd(
    base: ModelArg,
    reward_model: Annotated[Path, typer.Argument(help="A reward-model checkpoint (.npz).")],
    kl_coef: Annotated[
        float, typer.Option("--kl-coef", min=0.0, help="β of the leashed run.")
    ] = 0.3,
    iterations: Annotated[int, typer.Option("--iterations", min=1)] = 30,
    seed: SeedOpt = 0,
    json: JsonOpt = False,
) -> None:
    """GRPO against the learned reward model twice, with β = 0 and with a KL leash: the reward
    model's score against the verifier's accuracy, in one table."""
    from rlcli.cli.console import out as stdout
    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm.pipeline import policy_of, reward_fn
    from rlcli.lm.rl import rl_train
    from rlcli.render.jsonout import emit
    from rlcli.render.lm_tables import overopt_table

    pol = policy_of(ckpt.load(base, "policy"))
    rm = ckpt.load(reward_model, "reward-model")
    runs = {}
    for beta in (0.0, kl_coef):
        # the demonstration's own batch (16 prompts, 2 × 4 minibatches), as in docs/lm.md
        cfg = RLConfig("grpo", seed, iterations, prompts=16, kl_coef=beta, minibatches=4)
        runs[beta] = rl_train(pol, cfg, reward_fn("model", rm, pol)).history
    if json:
        emit({"seed": seed, "runs": [{"kl_coef": b, "curve": h} for b, h in runs.items()]})
        return
    stdout.print(overopt_table(runs))

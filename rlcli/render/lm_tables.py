"""Output of ``rlcli lm``: per-iteration RL tables, evaluation tables, CSV and plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.markup import escape
from rich.table import Table

from rlcli.render import training
from rlcli.render.training import stat_cell

RL_COLUMNS = [
    ("iteration", "iter", "{:d}"),
    ("reward_mean", "reward", "{:.3f}"),
    ("reward_std", "± std", "{:.3f}"),
    ("greedy_accuracy", "greedy", "{:.1%}"),
    ("sample_accuracy", "samples", "{:.1%}"),
    ("kl_k1", "KL k1", "{:.3f}"),
    ("kl_k3", "KL k3", "{:.3f}"),
    ("kl_coef", "β", "{:.4f}"),
    ("entropy", "H", "{:.3f}"),
    ("clip_frac", "clip", "{:.3f}"),
    ("zero_std_frac", "0-std", "{:.2f}"),
    ("mean_length", "len", "{:.1f}"),
    ("tokens_per_sec", "tok/s", "{:,.0f}"),
]
WIDE = 120  # columns when the output is not a terminal (a file or a pipe)


def history_table(title: str, history: list[dict[str, Any]], columns=RL_COLUMNS) -> Table:
    """One row per iteration (or step) with the columns that occur in ``history``."""
    cols = [c for c in columns if any(c[0] in h for h in history)]
    table = Table(title=escape(title), box=box.SIMPLE_HEAD)
    for _, head, _ in cols:
        table.add_column(head, justify="right", no_wrap=True)
    for h in history:
        table.add_row(*[stat_cell(h.get(k), f) for k, _, f in cols])
    return table


def eval_table(title: str, rows: dict[str, dict[str, Any]]) -> Table:
    """Models side by side: greedy accuracy, pass@k, maj@k, mean length (and best-of-N)."""
    table = Table(title=escape(title), box=box.SIMPLE_HEAD)
    table.add_column("model", no_wrap=True)
    first = next(iter(rows.values()))
    ks = list(first["pass_at"])
    heads = ["greedy", *[f"pass@{k}" for k in ks], *[f"maj@{k}" for k in ks], "length"]
    if "best_of_n" in first:
        heads.append(f"best-of-{first['best_of_n']['n']}")
    for h in heads:
        table.add_column(h, justify="right", no_wrap=True)
    for name, r in rows.items():
        cells = [f"{r['greedy_accuracy']:.1%}"]
        cells += [f"{r['pass_at'][k]:.1%}" for k in ks] + [f"{r['maj_at'][k]:.1%}" for k in ks]
        cells.append(f"{r['mean_length']:.1f}")
        if "best_of_n" in r:
            cells.append(f"{r['best_of_n']['accuracy']:.1%}")
        table.add_row(escape(name), *cells)
    return table


def key_value_table(title: str, items: list[tuple[str, str]]) -> Table:
    table = Table(title=escape(title), box=box.SIMPLE_HEAD, show_header=False)
    table.add_column("")
    table.add_column("")
    for k, v in items:
        table.add_row(escape(k), escape(v))
    return table


def write_history_csv(path: Path, history: list[dict[str, Any]]) -> None:
    """Every iteration's statistics, one row each, columns in order of first appearance."""
    keys: list[str] = []
    for h in history:
        keys += [k for k in h if k not in keys]
    training.write_history_csv(path, history, keys)


def write_history_plot(
    path: Path, curves: dict[str, list[tuple[float, float]]], title: str, xlabel: str, ylabel: str
) -> None:
    """Curves as an image (matplotlib, optional: pip install 'rlcli[plot]')."""
    from rlcli.render.plot import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, curve in curves.items():
        ax.plot([c[0] for c in curve], [c[1] for c in curve], label=label, linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    save_figure(fig, path)


def micro_tables(rep: Any, group_size: int, repeats: int) -> list[Table]:
    """The estimator table and the KL-estimator table of ``rlcli lm micro``."""
    est = Table(
        title=f"gradient estimates vs the exact ∇J (G = {group_size}, {repeats} draws)",
        box=box.SIMPLE_HEAD,
    )
    for head in ("algorithm", "‖E ĝ − ∇J‖", "E‖ĝ − E ĝ‖²", "cos(E ĝ, ∇J)"):
        est.add_column(head, justify="right")
    for s in rep.estimators:
        est.add_row(s.algo, f"{s.bias_norm:.4f}", f"{s.variance:.4f}", f"{s.cosine:.4f}")
    kl = Table(title=f"KL estimators, y ~ π, exact KL(π‖π_ref) = {rep.kl:.4f}", box=box.SIMPLE_HEAD)
    for head in ("estimator", "bias", "variance"):
        kl.add_column(head, justify="right")
    for name, (bias, var) in rep.kl_estimators.items():
        kl.add_row(name, f"{bias:+.4f}", f"{var:.4f}")
    return [est, kl]


def overopt_table(runs: dict[float, list[dict[str, Any]]]) -> Table:
    """Reward-model score against verifier accuracy, every 5th iteration, for each β."""
    table = Table(title="GRPO against the learned reward model", box=box.SIMPLE_HEAD)
    for head in (
        "β",
        "iter",
        "RM score (samples)",
        "verifier acc (samples)",
        "held-out greedy acc",
        "greedy length",
        "KL k3",
    ):
        table.add_column(head, justify="right")
    for beta, hist in runs.items():
        for h in hist:
            if h["iteration"] % 5 and h is not hist[-1] and h["iteration"] != 1:
                continue
            table.add_row(
                f"{beta:g}",
                str(h["iteration"]),
                stat_cell(h.get("reward_mean"), "{:+.3f}"),
                stat_cell(h.get("sample_accuracy"), "{:.1%}"),
                stat_cell(h.get("greedy_accuracy"), "{:.1%}"),
                stat_cell(h.get("greedy_length"), "{:.1f}"),
                stat_cell(h.get("kl_k3"), "{:.2f}"),
            )
        table.add_section()
    return table

"""Training output: the live per-iteration table, the summary, a terminal learning curve,
and the CSV / PNG writers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich import box
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from rlcli.train.run import TrainResult

BLOCKS = " ▁▂▃▄▅▆▇█"

# (stats key, column title, format)
COLUMNS = [
    ("iteration", "iter", "{:d}"),
    ("env_steps", "steps", "{:,d}"),
    ("mean_return", "return", "{:.4g}"),
    ("policy_loss", "π loss", "{:+.3f}"),
    ("value_loss", "V loss", "{:.3g}"),
    ("entropy", "H", "{:.3f}"),
    ("approx_kl", "KL", "{:.1e}"),
    ("clip_frac", "clip", "{:.3f}"),
    ("explained_variance", "EV", "{:.2f}"),
    ("beta", "β", "{:.3g}"),
    ("ref_kl", "KL ref", "{:.1e}"),
    ("steps_per_sec", "steps/s", "si"),
]


def stat_cell(value: Any, fmt: str) -> str:
    """A statistic in a table cell: ``fmt`` applied (``si``: 12.3k), ``–`` when missing or NaN;
    shared by ``train`` and ``lm``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if fmt == "si":  # 12.3k
        return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"
    return fmt.format(value)


class LiveTable:
    """A rich table on stderr, one row per logged iteration, redrawn as training runs.

    At most ~``max_rows`` rows are kept: every k-th iteration, plus the latest.
    """

    def __init__(self, console: Console, title: str, expected_iterations: int, max_rows: int = 20):
        self.console = console
        self.title = title
        self.every = max(1, math.ceil(expected_iterations / max_rows))
        self.rows: list[dict[str, Any]] = []
        self.latest: dict[str, Any] | None = None
        self.keys: list[tuple[str, str, str]] = []
        self.live = Live(console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> LiveTable:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.latest is not None and (not self.rows or self.rows[-1] is not self.latest):
            self.rows.append(self.latest)
            self.latest = None
        self.live.update(self._table(), refresh=True)
        self.live.__exit__(*exc)
        if not self.console.is_terminal:
            self.console.print()  # a redirected Live leaves its last line open

    def update(self, stats: dict[str, Any]) -> None:
        if not self.keys:
            self.keys = [c for c in COLUMNS if c[0] in stats]
        if stats["iteration"] % self.every == 0 or stats["iteration"] == 1:
            self.rows.append(stats)
            self.latest = None
        else:
            self.latest = stats
        self.live.update(self._table(), refresh=True)

    def _table(self) -> Group:
        table = Table(
            header_style="bold underline",
            box=None,
            pad_edge=False,
            padding=(0, 0, 0, 1),  # one space between columns: ten fit in 80
        )
        for _, title, _ in self.keys:
            table.add_column(title, justify="right", no_wrap=True)
        rows = self.rows + ([self.latest] if self.latest is not None else [])
        for row in rows:
            table.add_row(*(stat_cell(row.get(k), f) for k, _, f in self.keys))
        return Group(Text(self.title, style="italic"), table)  # the title as wide as the screen


def summary_table(result: TrainResult, target_given: bool) -> Table:
    """The final summary of one run."""
    table = Table(
        title=f"{result.algo} on {result.name} (seed {result.seed})",
        title_justify="left",
        show_header=False,
    )
    table.add_column(style="bold")
    table.add_column()
    final = result.curve[-1][1] if result.curve else None
    best = max((c[1] for c in result.curve), default=None)
    table.add_row("env steps", f"{result.env_steps:,d}")
    table.add_row("episodes", f"{result.episodes:,d}")
    table.add_row("final mean return", stat_cell(final, "{:.3f}"))
    if result.history:
        over = result.history[-1]["mean_over"]
        whole = over == result.episodes
        table.add_row("averaged over", f"{'all ' if whole else 'the last '}{over:,d} episodes")
    table.add_row("best mean return", stat_cell(best, "{:.3f}"))
    if result.reference_return is not None:
        label = {
            "bandit": "best arm's mean reward",
            "gridworld": "optimal return within the time limit",
        }.get(result.task, "optimal return")
        table.add_row(label, f"{result.reference_return:.3f}")
    if result.task == "env":
        table.add_row("time limits", result.time_limits)
    if result.config.target is not None:
        solved = (
            f"{result.solved_at_steps:,d} env steps"
            if result.solved_at_steps is not None
            else "not reached" + (" (exit 1)" if target_given else "")
        )
        table.add_row(f"target {result.config.target:g}", solved)
    table.add_row(
        "wall time",
        f"{result.wall_seconds:.2f} s "
        f"({result.env_steps / max(result.wall_seconds, 1e-9):,.0f} steps/s)",
    )
    return table


def curve_lines(curve: list[tuple[int, float]], width: int = 60, height: int = 8) -> list[str]:
    """A learning curve as rows of block characters (eighths of a cell), top row first."""
    if not curve:
        return ["(no finished episode yet)"]
    xs = [c[0] for c in curve]
    ys = [c[1] for c in curve]
    lo, hi = min(ys), max(ys)
    span = hi - lo or 1.0
    cols = []
    j = 0
    for i in range(width):
        x = xs[0] + (xs[-1] - xs[0]) * i / max(width - 1, 1)
        while j + 1 < len(xs) and xs[j + 1] <= x:
            j += 1
        cols.append(round((ys[j] - lo) / span * (height * 8 - 1)) + 1)
    rows = []
    for r in range(height - 1, -1, -1):
        rows.append("".join(BLOCKS[min(8, max(0, c - 8 * r))] for c in cols))
    label_w = max(len(f"{hi:.3g}"), len(f"{lo:.3g}"))
    out = []
    for r, line in enumerate(rows):
        label = f"{hi:.3g}" if r == 0 else f"{lo:.3g}" if r == height - 1 else ""
        out.append(f"{label:>{label_w}} ┤{line}")
    axis = f"{'':>{label_w}} └{'─' * width}"
    ticks = f"{'':>{label_w}}  {xs[0]:<{width // 2},d}{xs[-1]:>{width - width // 2},d}"
    return [*out, axis, ticks + "  env steps"]


def curve_text(curve: list[tuple[int, float]], title: str = "mean return") -> Text:
    return Text("\n".join([title, *curve_lines(curve)]))


def write_csv(path: Path | TextIO, history: list[dict[str, Any]]) -> None:
    """Every iteration's statistics, one row each."""
    write_history_csv(path, history, [k for k, _, _ in COLUMNS if any(k in h for h in history)])


def write_history_csv(path: Path | TextIO, history: list[dict[str, Any]], keys: list[str]) -> None:
    """``history`` as CSV, one row per entry and one column per key (empty where missing), to
    a file or a stream (``learning.write_csv``); shared by ``train`` and ``lm``."""
    from rlcli.render.learning import write_csv

    write_csv(path, keys, [["" if h.get(k) is None else h.get(k) for k in keys] for h in history])


def write_plot(
    path: Path, curves: dict[str, list[tuple[int, float]]], title: str, target: float | None = None
) -> None:
    """Learning curves as a PNG (matplotlib, optional: pip install 'rlcli[plot]')."""
    from rlcli.render.plot import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    colors: dict[str, str] = {}
    for label, curve in curves.items():
        group = label.split()[0]  # "ppo seed 1": one colour per algorithm
        first = group not in colors
        colors.setdefault(group, f"C{len(colors)}")
        if curve:
            ax.plot(
                [c[0] for c in curve],
                [c[1] for c in curve],
                color=colors[group],
                label=group if first else None,
                linewidth=1,
            )
    if target is not None:
        ax.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target {target:g}")
    ax.set_xlabel("env steps")
    ax.set_ylabel("mean return")
    ax.set_title(title)
    ax.legend()
    save_figure(fig, path)


def compare_table(name: str, runs: dict[str, list[TrainResult]]) -> Table:
    """One row per algorithm: final / best mean return over seeds, steps to target, time.
    ``name``: the task, or the Gymnasium environment's id."""
    import statistics

    n_seeds = len(next(iter(runs.values())))
    table = Table(
        title=f"{name}: {'seed 0' if n_seeds == 1 else f'seeds 0..{n_seeds - 1}'}, "
        "each algorithm's default settings",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    columns = ["algorithm", "env steps", "final return", "best return", "target", "s/run"]
    for col in columns:
        table.add_column(col, justify="left" if col == "algorithm" else "right", no_wrap=True)
    for algo, results in runs.items():
        finals = [r.curve[-1][1] for r in results if r.curve]
        bests = [max(c[1] for c in r.curve) for r in results if r.curve]
        target = results[0].config.target
        solved = [r.solved_at_steps for r in results if r.solved_at_steps is not None]
        reached = "–"
        if target is not None:
            reached = f"{len(solved)}/{len(results)}"
            if solved:
                reached += f" @ {int(statistics.median(solved)):,d}"

        def pm(xs: list[float]) -> str:
            if not xs:
                return "–"
            sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
            return f"{statistics.mean(xs):.3f}±{sd:.3f}"

        steps = statistics.median(r.env_steps for r in results)
        wall = statistics.mean(r.wall_seconds for r in results)
        table.add_row(algo, f"{int(steps):,d}", pm(finals), pm(bests), reached, f"{wall:.1f}")
    return table

"""Learning-curve output: comparison tables, a parameter-study table, a terminal plot of
the curves, final estimates beside the true values, and CSV / PNG export.

Used by ``rlcli estimate`` and ``rlcli control``; everything here takes plain arrays. A file
that cannot be written is a ``FieldError`` on the field ``csv`` or ``plot``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rlcli.errors import FieldError

MARKERS = "●▲■◆✚○△□◇×"
COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan", "bright_magenta",
           "bright_green", "bright_yellow")  # fmt: skip


@dataclass(frozen=True)
class Series:
    """One line of a plot: a label and its y values at the x positions."""

    label: str
    x: np.ndarray
    y: np.ndarray


def num(x: float, digits: int = 4) -> str:
    """A number for a table; 'diverged' for inf/NaN."""
    if not np.isfinite(x):
        return "diverged"
    if abs(x) >= 1e5:
        return f"{x:.3g}"
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def mean_se(mean: float, se: float, digits: int = 4) -> str:
    if not np.isfinite(mean):
        return "diverged"
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], title: str = "",
          right: int = 0, highlight: int | None = None) -> Table:  # fmt: skip
    """A rich table; the last ``right`` columns are right-aligned, row ``highlight`` bold."""
    out = Table(title=escape(title) if title else None, title_justify="left")
    for i, name in enumerate(header):
        numeric = i >= len(header) - right
        out.add_column(escape(name), justify="right" if numeric else "left", overflow="fold",
                       min_width=_widest(rows, i) if numeric else None)  # fmt: skip
    for i, row in enumerate(rows):
        out.add_row(*(escape(c) for c in row), style="bold" if i == highlight else None)
    return out


def _widest(rows: Sequence[Sequence[str]], column: int) -> int:
    """Width of the longest cell of a column: its minimum width, so numbers are never cut."""
    return max((len(line) for row in rows for line in row[column].splitlines()), default=1)


def fixed(x: float, digits: int = 3) -> str:
    """A number with a fixed count of decimals, so a column of them lines up."""
    return f"{x:.{digits}f}" if np.isfinite(x) else "diverged"


def pivot_table(row_name: str, col_name: str, cells: dict[tuple[str, str], float],
                title: str) -> Table:  # fmt: skip
    """Rows × columns of one metric (the textbook figure as a table); the best cell bold."""
    rows = list(dict.fromkeys(r for r, _ in cells))
    cols = list(dict.fromkeys(c for _, c in cells))
    finite = [v for v in cells.values() if np.isfinite(v)]
    best = min(finite) if finite else None
    width = max(len(fixed(v)) for v in cells.values())
    out = Table(title=escape(title), title_justify="left")
    out.add_column(escape(f"{row_name} \\ {col_name}"), overflow="fold")
    for c in cols:
        out.add_column(escape(c), justify="right", no_wrap=True, min_width=width)
    for r in rows:
        line = []
        for c in cols:
            v = cells.get((r, c))
            text = "" if v is None else fixed(v)
            line.append(
                f"[bold]{escape(text)}[/bold]" if v is not None and v == best else escape(text)
            )
        out.add_row(escape(r), *line)
    return out


def plot(series: Sequence[Series], x_label: str, y_label: str, width: int = 64,
         height: int = 14, title: str = "", y_range: tuple[float, float] | None = None,
         ) -> Text:  # fmt: skip
    """The curves drawn with characters: one marker per series, legend underneath.

    Points outside ``y_range`` (default: the data, outliers far above the median cut)
    are drawn on the top or bottom edge, and a line under the plot says how many.
    """
    finite = [s.y[np.isfinite(s.y)] for s in series]
    values = np.concatenate([f for f in finite if len(f)]) if any(len(f) for f in finite) else None
    text = Text()
    if title:
        text.append(title + "\n", style="bold")
    if values is None:
        return text.append("(nothing to plot: every value diverged)\n")
    if y_range is None:
        lo, hi = float(values.min()), float(values.max())
        cap = lo + 3 * (np.median(values) - lo) if np.median(values) > lo else hi
        hi = min(hi, cap) if cap > lo else hi
    else:
        lo, hi = y_range
    hi = hi if hi > lo else lo + 1.0
    x_all = np.concatenate([s.x for s in series])
    x_lo, x_hi = float(x_all.min()), float(x_all.max())
    x_span = x_hi - x_lo if x_hi > x_lo else 1.0
    grid = [[" "] * width for _ in range(height)]
    style = [[""] * width for _ in range(height)]
    above = below = 0
    for i, s in enumerate(series):
        mark, colour = MARKERS[i % len(MARKERS)], COLOURS[i % len(COLOURS)]
        ok = np.isfinite(s.y)
        y = s.y[ok]
        above, below = above + int((y > hi).sum()), below + int((y < lo).sum())
        cols = np.round((s.x[ok] - x_lo) / x_span * (width - 1)).astype(int)
        rows = height - 1 - np.round((np.clip(y, lo, hi) - lo) / (hi - lo) * (height - 1))
        for r, c in set(zip(rows.astype(int).tolist(), cols.tolist(), strict=True)):
            grid[r][c], style[r][c] = mark, colour
    label_w = max(len(f"{hi:.3g}"), len(f"{lo:.3g}"))
    for r in range(height):
        y_here = hi - (hi - lo) * r / (height - 1)
        label = f"{y_here:.3g}" if r in (0, height // 2, height - 1) else ""
        text.append(f"{label:>{label_w}} │")
        for c in range(width):
            text.append(grid[r][c], style=style[r][c] or None)
        text.append("\n")
    text.append(" " * label_w + " └" + "─" * width + "\n")
    left, right = f"{x_lo:g}", f"{x_hi:g}"
    text.append(" " * (label_w + 2) + left + right.rjust(width - len(left)) + "\n")
    text.append(" " * (label_w + 2) + f"x: {x_label}   y: {y_label}\n", style="dim")
    for count, where, edge in ((above, "above", "top"), (below, "below", "bottom")):
        if count:
            bound = hi if where == "above" else lo
            text.append(" " * (label_w + 2) + f"{count} point(s) {where} {bound:.3g} drawn on "
                        f"the {edge} edge\n", style="dim")  # fmt: skip
    for i, s in enumerate(series):
        text.append(f"  {MARKERS[i % len(MARKERS)]} ", style=COLOURS[i % len(COLOURS)])
        text.append(s.label + "\n")
    return text


def write_csv(target: Path | TextIO, header: Sequence[str],
              rows: Sequence[Sequence[object]]) -> None:  # fmt: skip
    """Write a header and rows as CSV to a file or an open text stream (such as standard
    output); a file that cannot be written is a FieldError on ``csv``. Shared by every
    ``--csv``."""
    if not isinstance(target, Path):  # a stream: its errors (a closed pipe) are the caller's
        _csv_rows(target, header, rows)
        return
    try:
        with target.open("w", newline="", encoding="utf-8") as handle:
            _csv_rows(handle, header, rows)
    except OSError as exc:
        raise FieldError("csv", f"cannot write ({exc.strerror})", str(target)) from None


def _csv_rows(handle: TextIO, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows(rows)


def write_png(path: Path, series: Sequence[Series], x_label: str, y_label: str,
              title: str, y_range: tuple[float, float] | None = None) -> None:  # fmt: skip
    """Save the curves with matplotlib (the optional ``plot`` extra)."""
    from rlcli.render.plot import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in series:
        ax.plot(s.x, np.where(np.isfinite(s.y), s.y, np.nan), label=s.label)
    if y_range is not None:
        ax.set_ylim(*y_range)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    if len(series) <= 12:
        ax.legend(fontsize="small")
    save_figure(fig, path)


# ---- rlcli estimate -------------------------------------------------------------------


def _without_alpha(label: str) -> str:
    return label.rsplit(" α=", 1)[0]


def _alpha_study(results: Sequence) -> bool:
    """True when α is swept for some learner: show RMS against α, like S&B Figs 7.2/12.3."""
    keys = [_without_alpha(r.setting.label) for r in results if r.setting.alpha is not None]
    return len(results) > 1 and len(keys) > len(set(keys))


def _study_labels(settings: Sequence) -> tuple[list[str], str]:
    """Row labels of the α table naming only what varies between rows (method, n, λ), and
    the parts every row shares, for the title."""
    parts = [(s.name, "" if s.n is None else f"n={s.n}",
              "" if s.lam is None else f"λ={s.lam:g}") for s in settings]  # fmt: skip
    varies = [len({p[i] for p in parts}) > 1 for i in range(3)]
    labels = [" ".join(x for x, v in zip(p, varies, strict=True) if v and x) or p[0]
              for p in parts]  # fmt: skip
    common = " ".join(x for x, v in zip(parts[0], varies, strict=True) if not v and x)
    return labels, common


def estimate_series(results: Sequence, error_state: tuple[str, float] | None = None
                    ) -> tuple[list[Series], str, str]:  # fmt: skip
    """The curves to draw: the error state's MSE against log₁₀ episodes (S&B Fig 5.3), or
    RMS per episode, or (≥ 5 α values) mean RMS against α."""
    if error_state is not None:
        name, v_true = error_state
        series = [Series(r.setting.label, np.log10(np.arange(1, len(r.rms))), r.mse(v_true)[1:])
                  for r in results[:10]]  # fmt: skip
        return series, "log₁₀ episodes", f"({name} estimate − v_π)² averaged over runs"
    alphas = {r.setting.alpha for r in results if r.setting.alpha is not None}
    if _alpha_study(results) and len(alphas) >= 5:
        lines: dict[str, list[tuple[float, float]]] = {}
        for r in results:
            if r.setting.alpha is not None:
                lines.setdefault(_without_alpha(r.setting.label), []).append(
                    (r.setting.alpha, float(r.rms[1:].mean()))
                )
        series = [Series(k, np.array([p[0] for p in v]), np.array([p[1] for p in v]))
                  for k, v in lines.items()]  # fmt: skip
        return series, "α", "RMS error averaged over episodes and runs"
    series = [Series(r.setting.label, np.arange(len(r.rms)), r.rms) for r in results[:10]]
    return series, "episodes", "RMS error averaged over runs"


def estimate_view(mdp, results: Sequence, true_values: np.ndarray, header: str,
                  notes: Sequence[str], error_state: tuple[str, float] | None = None,
                  ) -> list:  # fmt: skip
    """Everything ``rlcli estimate`` prints, as a list of rich renderables."""
    from rlcli.learn.rms import mean_and_stderr

    episodes = len(results[0].rms) - 1
    parts: list = [Text(header)]
    study = _alpha_study(results)
    if study:
        swept = [r for r in results if r.setting.alpha is not None]
        labels, common = _study_labels([r.setting for r in swept])
        cells = {
            (label, f"{r.setting.alpha:g}"): float(r.rms[1:].mean())
            for label, r in zip(labels, swept, strict=True)
        }
        parts.append(pivot_table(
            "learner", "α", cells,
            f"{common + ': ' if common else ''}RMS error averaged over episodes "
            f"1–{episodes} and runs (best in bold)",
        ))  # fmt: skip
    compared = results if not study or len(results) <= 12 else [
        r for r in results if r.setting.batch  # not in the α table: batch learners
    ]  # fmt: skip
    if compared:
        rows = []
        finals = []
        for r in compared:
            final = mean_and_stderr(r.rms_runs[:, -1])
            avg = mean_and_stderr(r.rms_runs[:, 1:].mean(axis=1))
            finals.append(final[0] if np.isfinite(final[0]) else np.inf)
            rows.append([r.setting.label, num(r.rms[0]), mean_se(*final), mean_se(*avg)])
        parts.append(table(
            ["learner", "RMS at start", f"RMS after episode {episodes}",
             f"mean RMS, episodes 1–{episodes}"],
            rows, "comparison (mean ± standard error over runs; lowest final RMS in bold)",
            right=3, highlight=int(np.argmin(finals)),
        ))  # fmt: skip
    if error_state is not None:
        parts.append(error_state_table(results, *error_state))
    series, x_label, y_label = estimate_series(results, error_state)
    y_range = None
    if error_state is not None:  # squared errors: from 0, the early outliers included
        finite = np.concatenate([s.y[np.isfinite(s.y)] for s in series])
        y_range = (0.0, float(finite.max())) if len(finite) and finite.max() > 0 else None
    parts.append(plot(series, x_label, y_label, y_range=y_range))
    parts.append(final_values_table(mdp, results, true_values))
    parts.extend(Text(n, style="dim") for n in notes)
    return parts


def error_state_table(results: Sequence, name: str, v_true: float) -> Table:
    """One state's mean squared error over runs at 1, 10, 100, … episodes and the last, and
    the mean of the runs' final estimates ± its standard error (S&B Fig 5.3)."""
    from rlcli.learn.rms import mean_and_stderr

    episodes = len(results[0].rms) - 1
    marks = sorted({*(10**k for k in range(len(str(episodes))) if 10**k <= episodes), episodes})
    rows = []
    for r in results:
        mse = r.mse(v_true)
        final = mean_and_stderr(r.state_runs[:, -1])
        rows.append([_short_label(r.setting), *(num(mse[e]) for e in marks), mean_se(*final)])
    return table(
        ["learner", *(f"{e:,}" for e in marks), "final V (mean ± SE)"], rows,
        f"{name}: v_π = {v_true:.6g}; mean over {len(results[0].state_runs)} runs of "
        "(V − v_π)² after 1, 10, … episodes", right=len(marks) + 1,
    )  # fmt: skip


def _short_label(setting) -> str:
    """A learner's label without what the error-state table's title already says."""
    if setting.importance:
        return f"{setting.importance} IS, {setting.visit}-visit"
    return setting.label


def final_values_table(mdp, results: Sequence, true_values: np.ndarray,
                       limit: int = 40) -> Table:  # fmt: skip
    """Final estimates (mean over runs) beside v_π: up to six learners, the best first."""
    shown = sorted(results, key=lambda r: r.rms[-1] if np.isfinite(r.rms[-1]) else np.inf)[:6]
    title = "final estimates (mean over runs) beside the exact v_π"
    if len(results) > 6:
        title += f"; the 6 lowest-RMS of {len(results)} learners"
    live = [s for s in range(mdp.n_states) if not mdp.terminal[s]]
    rows = [[mdp.states[s], num(true_values[s]), *(num(r.final_values[s]) for r in shown)]
            for s in live[:limit]]  # fmt: skip
    out = Table(title=escape(title), title_justify="left")
    out.add_column("state", overflow="fold")
    for i, name in enumerate(["v_π", *(r.setting.label for r in shown)], start=1):
        out.add_column(escape(name), justify="right", overflow="fold", min_width=_widest(rows, i))
    for row in rows:
        out.add_row(*(escape(c) for c in row))
    if len(live) > limit:
        out.caption = f"… {len(live) - limit} more states (use --json for all)"
    return out


def estimate_csv_rows(results: Sequence, error_state: tuple[str, float] | None = None
                      ) -> tuple[list[str], list[list[object]]]:  # fmt: skip
    """Long format: one line per (learner, episode); with an error state, its MSE too."""
    header = ["learner", "method", "alpha", "n", "lambda", "variant", "visit", "batch",
              "importance", "episode", "rms"]  # fmt: skip
    if error_state is not None:
        header.append(f"mse_{error_state[0]}")
    rows: list[list[object]] = []
    for r in results:
        p = r.setting.parameters()
        alpha = "1/n" if p.get("step_size") == "1/n" else p.get("alpha", "")
        fixed = [r.setting.label, p["method"], alpha, p.get("n", ""),
                 p.get("lambda", ""), p.get("variant", ""), p.get("visit", ""),
                 p.get("batch", ""), p.get("importance", "")]  # fmt: skip
        if error_state is None:
            rows.extend([*fixed, e, f"{v:.6g}"] for e, v in enumerate(r.rms))
        else:
            mse = r.mse(error_state[1])
            rows.extend([*fixed, e, f"{v:.6g}", f"{m:.6g}"]
                        for e, (v, m) in enumerate(zip(r.rms, mse, strict=True)))  # fmt: skip
    return header, rows


# ---- rlcli control --------------------------------------------------------------------


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` episodes (shorter at the start)."""
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, len(y) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def control_series(results: Sequence, window: int) -> list[Series]:
    return [
        Series(r.setting.label, np.arange(1, len(r.episode_returns) + 1),
               smooth(r.episode_returns, window))
        for r in results[:10]
    ]  # fmt: skip


def returns_range(series: Sequence[Series]) -> tuple[float, float]:
    """y range for return curves: the early, very negative episodes would flatten the rest."""
    values = np.concatenate([s.y for s in series])
    lo, hi = float(np.percentile(values, 5)), float(values.max())
    return (lo, hi) if hi > lo else (lo - 1, hi + 1)


def greedy_start(value: float, never_ends: int, runs: int) -> str:
    """The mean greedy v(start) over the runs whose greedy policy ends, and how many do not."""
    if never_ends == runs:
        return "never ends"
    text = num(value, 3)
    return f"{text}\n(never ends {never_ends}/{runs} runs)" if never_ends else text


def control_view(mdp, results: Sequence, summaries: Sequence, optimal, header: str,
                 window: int, optimal_policy: np.ndarray) -> list:  # fmt: skip
    """Everything ``rlcli control`` prints, as a list of rich renderables."""
    from rich.columns import Columns

    from rlcli.render.values import grid_values, policy_text

    episodes = len(results[0].episode_returns)
    tail = max(1, episodes // 10)
    parts: list = [Text(header)]
    rows = []
    for r, s in zip(results, summaries, strict=True):
        rows.append([
            r.setting.label,
            mean_se(*s.tail_return, digits=2),
            greedy_start(s.greedy_value, s.improper, len(r.returns)),
            f"{s.greedy_optimal}/{len(r.returns)}",
            num(s.q_rms, 3),
            num(s.q_max, 3),
            str(r.cut),
        ])  # fmt: skip
    parts.append(table(
        ["learner", f"return, last {tail} ep.", "greedy v(start)", "optimal runs",
         "RMS Q−Q*", "max|Q−Q*|", "cut"],
        rows, "comparison (means over runs; return = sum of rewards per episode; greedy v(start) "
        "exact; optimal runs: greedy policy reaches V*(start))", right=6,
    ))  # fmt: skip
    series = control_series(results, window)
    y_range = returns_range(series)
    title = f"mean return per episode over runs (moving average of {window})"
    parts.append(plot(series, "episode", "sum of rewards", title=title, y_range=y_range))
    if mdp.layout is not None:
        grids = [grid_values(mdp, np.round(optimal.values, 1), optimal_policy,
                             "optimal (policy iteration): V*, all optimal actions")]  # fmt: skip
        for r, s in zip(results, summaries, strict=True):
            grids.append(grid_values(mdp, np.round(s.greedy_values, 1), s.policy,
                                     f"{r.setting.label}: max_a Q, greedy"))  # fmt: skip
        parts.append(Columns(grids))
    else:
        out = Table(title="greedy policy of the run-averaged Q beside the optimal one",
                    title_justify="left")  # fmt: skip
        out.add_column("state")
        out.add_column("optimal", style="bold")
        for r in results:
            out.add_column(escape(r.setting.label))
        for st in range(mdp.n_states):
            if mdp.terminal[st]:
                continue
            out.add_row(
                escape(mdp.states[st]),
                escape(policy_text(mdp, optimal_policy, st)),
                *(escape(policy_text(mdp, s.policy, st)) for s in summaries),
            )
        parts.append(out)
    return parts


def print_parts(console, parts: Sequence) -> None:
    """Print renderables; a table that a narrow terminal would squeeze below the width of
    its cells is printed wider instead (numbers are never cut to '0.5…'), and text lines
    (the plot) are left whole for the terminal to wrap."""
    from rich.measure import Measurement

    for part in parts:
        if isinstance(part, Table):
            wide = console.options.update_width(10_000)
            width = max(console.width, Measurement.get(console, wide, part).minimum)
            console.print(part, width=width, crop=False)
        else:
            console.print(part, soft_wrap=isinstance(part, Text), crop=False)

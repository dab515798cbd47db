"""What ``rlcli estimate`` and ``rlcli control`` share: their common options (declared once,
``run_options``), comma-separated values that sweep a grid (``--alpha 0.1,0.2``,
``--n 1,2,4``), and the flag of each library field in error messages."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rlcli.cli.common import (
    CSV_HELP,
    OUTPUT_FLAGS,
    ForceOpt,
    JsonOpt,
    SetOpt,
    check_csv_file,
    check_plot_file,
    field_options,
    is_stdout,
    load,
)
from rlcli.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from rlcli.mdp.model import MDP

# ---- options declared once ------------------------------------------------------------

RunsOpt = Annotated[int, typer.Option(help="Independent runs, averaged.")]
EpisodesOpt = Annotated[int, typer.Option(help="Episodes per run.")]
StartOpt = Annotated[str | None, typer.Option(help="Start state (default: the file's 'start').")]


@dataclass(frozen=True)
class RunOptions:
    """The options that close every simulation command (``run_options``): how long an
    episode may last, exports, parameter overrides, JSON, overwriting."""

    max_steps: int | None
    csv: Path | None
    plot: Path | None
    set_: list[str] | None
    json: bool
    force: bool

    def check_exports(self) -> None:
        """Refuse, before any work, exports that would overwrite a file without --force,
        go to a folder that does not exist or to one file twice, need a matplotlib that is
        not installed, or share standard output (``--csv -`` and ``--json``)."""
        check_csv_file(self.csv, self.force, self.json)
        check_plot_file(self.plot, self.force)
        csv_file = None if is_stdout(self.csv) else self.csv
        if csv_file and self.plot and csv_file.resolve() == self.plot.resolve():
            raise UsageError(f"--csv and --plot name the same file {self.csv}; the plot "
                             "would overwrite the table")  # fmt: skip

    def load(self, file: Path) -> MDP:
        """The MDP file with the ``--set`` overrides."""
        return load(file, self.set_)


def run_options(max_steps: int, csv: str, plot: str) -> Callable[[Callable], Callable]:
    """Append the ``RunOptions`` to a command's options, declared here once, with the
    command's default ``--max-steps`` and help for ``--csv``/``--plot``; the command takes
    them as one parameter ``run: RunOptions``. Typer reads the new signature."""
    shared = [
        ("max_steps", Annotated[int | None, typer.Option(
            help=f"Cut an episode after this many steps (default {max_steps:,d}; "
            "required when the MDP has no terminal state).",
        )], None),
        ("csv", Annotated[Path | None, typer.Option("--csv", help=csv + CSV_HELP)], None),
        ("plot", Annotated[Path | None, typer.Option("--plot", help=plot)], None),
        ("set_", SetOpt, None),
        ("json", JsonOpt, False),
        ("force", ForceOpt, False),
    ]  # fmt: skip

    def decorate(command: Callable) -> Callable:
        own = inspect.signature(command, eval_str=True)
        params = [p for name, p in own.parameters.items() if name != "run"]
        keyword = inspect.Parameter.KEYWORD_ONLY
        params += [inspect.Parameter(name, keyword, default=default, annotation=kind)
                   for name, kind, default in shared]  # fmt: skip

        @functools.wraps(command)
        def with_options(*args: Any, **kwargs: Any) -> Any:
            run = RunOptions(**{name: kwargs.pop(name) for name, _, _ in shared})
            return command(*args, **kwargs, run=run)

        with_options.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        with_options.__annotations__ = {p.name: p.annotation for p in params}
        return with_options

    return decorate


# ---- library fields named by their flags ----------------------------------------------

FLAGS = {
    "start": "--start", "max_steps": "--max-steps", "behavior": "--behavior",
    "runs": "--runs", "episodes": "--episodes", "alpha": "--alpha", "epsilon": "--epsilon",
    "init": "--init", "n": "--n", "lam": "--lambda",
}  # fmt: skip


@contextmanager
def flag_names() -> Iterator[None]:
    """Library errors that name a setting's field (or an output file's: csv, plot) name its
    flag instead."""
    from rlcli.learn.errors import FieldError

    try:
        with field_options(**OUTPUT_FLAGS):
            yield
    except FieldError as exc:
        raise exc.named(FLAGS) from None


# ---- comma lists ----------------------------------------------------------------------


def _items(text: str, option: str) -> list[str]:
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise UsageError(f"{option}: expected a value or a comma-separated list, got {text!r}")
    return list(dict.fromkeys(items))


def choices(text: str, option: str, allowed: tuple[str, ...]) -> list[str]:
    """Names from ``allowed``."""
    items = _items(text, option)
    for item in items:
        if item not in allowed:
            raise UsageError(f"{option}: unknown value {item!r} (choose from {', '.join(allowed)})")
    return items


# A decimal number in ASCII digits: Python's float() also takes "0_1" (= 1.0), "١" and
# "inf", which a sweep value must not be.
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
WHOLE = re.compile(r"[0-9]+")
MAX_COUNT = 1_000_000_000  # --n: beyond any episode's length n-step TD is Monte Carlo


def numbers(text: str, option: str, lo: float, hi: float) -> list[float]:
    """Floats in [lo, hi], written as plain decimals."""
    out = []
    for item in _items(text, option):
        if not DECIMAL.fullmatch(item):
            raise UsageError(f"{option}: {item!r} is not a number")
        value = float(item)
        if not lo <= value <= hi:
            raise UsageError(f"{option}: {item} is outside [{lo:g}, {hi:g}]")
        out.append(value)
    return list(dict.fromkeys(out))  # by value: "0.1,.1" is one setting


def step_sizes(text: str, option: str = "--alpha") -> list[float | None]:
    """Step sizes in [0, 1], or ``1/n`` for sample averages (None)."""
    out: list[float | None] = []
    for item in _items(text, option):
        out.append(None if item.lower() == "1/n" else numbers(item, option, 0.0, 1.0)[0])
    return list(dict.fromkeys(out))


def counts(text: str, option: str, lo: int = 1, hi: int = MAX_COUNT) -> list[int]:
    """Whole numbers in [lo, hi], written in ASCII digits."""
    out = []
    for item in _items(text, option):
        if not WHOLE.fullmatch(item) or int(item) < lo:
            raise UsageError(f"{option}: expected whole numbers ≥ {lo}, got {item!r}")
        if int(item) > hi:
            raise UsageError(f"{option}: {item} is more than {hi:,d}")
        out.append(int(item))
    return list(dict.fromkeys(out))


# --runs, --episodes: far past any memory (the size check refuses 10⁹ runs of one episode),
# and small enough for the size estimate's float arithmetic (10⁴⁰⁰ would overflow it).
MAX_REPEATS = 10**15


def positive(value: int, option: str) -> int:
    """A count of runs or episodes: 1 to ``MAX_REPEATS``."""
    if value < 1:
        raise UsageError(f"{option} must be at least 1, got {value}")
    if value > MAX_REPEATS:
        shown = f"{value:,d}" if value < 10**30 else f"a number of {len(str(value))} digits"
        raise UsageError(f"{option} must be at most {MAX_REPEATS:,d}, got {shown}")
    return value


MAX_INIT = 1e12  # |V0|, |Q0|: squared errors of larger values overflow float64 sums


def initial_value(value: float, option: str, written: str | None = None) -> float:
    """A finite initial value small enough that errors against the exact values stay finite;
    ``written``: the text it was read from, for the message."""
    import math

    shown = f"{value:g}" if written is None else written
    if not math.isfinite(value):
        raise UsageError(f"{option} must be a finite number, got {shown}")
    if abs(value) > MAX_INIT:
        raise UsageError(
            f"{option} must be between -{MAX_INIT:g} and {MAX_INIT:g}, got {shown} (the "
            "errors against the exact values would overflow)"
        )
    return value


def initial_value_text(text: str, option: str) -> float:
    """``initial_value`` of a plain decimal as written (``float()`` would also read "0_5"
    as 5, "١" as 1, and "nan")."""
    if not DECIMAL.fullmatch(text.strip()):
        raise UsageError(
            f"{option}: {text!r} is not a number (write a decimal such as -1, 0.5 or 1e-3)"
        )
    return initial_value(float(text), option, text.strip())


# ---- announcements --------------------------------------------------------------------

LONG_RUN_STEPS = 10_000_000  # simulated steps beyond which a run takes tens of seconds


def long_run_note(mean_length: float, runs: int, episodes: int, max_steps: int) -> str | None:
    """A warning before a simulation of runs × episodes episodes of ``mean_length`` steps
    (the exact expectation, cut at ``max_steps``) that will take a while; None if it won't."""
    steps = runs * episodes * min(mean_length, max_steps)
    if steps <= LONG_RUN_STEPS:
        return None
    length = (
        f"may never end (each is cut at --max-steps {max_steps:,d})"
        if mean_length == float("inf")
        else f"lasts {mean_length:,.0f} steps on average (exact, from the start states)"
    )
    return (
        f"note: an episode under this policy {length}, so {runs} runs × {episodes} episodes "
        f"simulate about {steps:.1e} steps: this takes a while. Fewer --runs or --episodes, "
        "or --max-steps N, are quicker."
    )


SOLVE_RATE = 1e10  # K³ units per second: blackjack's 10,000 dense 213×213 solves took 9–12 s
BATCH_TD_WORK = 30 * SOLVE_RATE  # Σ K³ over the solves beyond which the note is worth it


def batch_td_note(runs: int, episodes: int, mdp: MDP, followed: np.ndarray) -> str | None:
    """A warning before batch TD that may take a while, or None. On a model with loops it
    solves a dense K×K system per run after every episode (K ≤ S: the states left so far,
    ≈ K³ operations); a model without loops is solved by sweeps, far faster, so episodes of
    a policy whose own transitions have no loop (blackjack) get no note."""
    from rlcli.learn.batch import MAX_BATCH_TD_STATES, can_loop

    n_states = mdp.n_states
    solves = runs * episodes
    work = solves * float(n_states) ** 3
    if work <= BATCH_TD_WORK or n_states > MAX_BATCH_TD_STATES or not can_loop(mdp, followed):
        return None  # (over MAX_BATCH_TD_STATES, batch TD refuses the problem itself)
    seconds = work / SOLVE_RATE
    if seconds >= 3600:
        took = f"{seconds / 3600:.1f} h"
    elif seconds >= 60:
        took = f"{seconds / 60:.0f} min"
    else:
        took = f"{seconds:.0f} s"
    return (
        f"note: the episodes can loop, so batch TD solves a linear system of up to "
        f"{n_states}×{n_states} per run after every episode: {runs} runs × {episodes} episodes "
        f"= {solves:,d} solves of up to ≈ {float(n_states) ** 3:.1e} operations, up to about "
        f"{took} at 10¹⁰ a second. Fewer --runs or --episodes are quicker."
    )

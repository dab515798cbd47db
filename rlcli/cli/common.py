"""Options and helpers shared by the commands."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from rlcli.errors import FieldError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from rlcli.mdp.model import MDP

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a parameter of the file: --set alpha=0.7 (repeatable).",
        metavar="NAME=VALUE",
    ),
]
PolicyOpt = Annotated[
    str,
    typer.Option(
        "-p",
        "--policy",
        help="A policy named in the file, 'uniform', or inline 'high=search,low=recharge' "
        "(stochastic: 'high=search:0.5|wait:0.5').",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Seed for every random stream.")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Overwrite files that --csv/--plot/-o name if they exist.")
]


def file_path(text: str) -> Path:
    """A file name argument: ``""`` is refused here, as ``Path("")`` would mean ``"."``."""
    if not text.strip():
        raise typer.BadParameter("the file name is empty")
    return Path(text)


FileArg = Annotated[
    Path,
    typer.Argument(
        help="An MDP file (.yaml, .yml or .json), - for standard input, or the name of a "
        "bundled problem.",
        parser=file_path,
    ),
]


def check_new_file(path: Path | None, flag: str, force: bool) -> None:
    """Refuse to write ``path`` over an existing file (or a directory) unless ``--force``.

    Called before any work starts, so a refused run loses nothing and costs nothing.
    """
    if path is None:
        return
    if is_stdout(path):  # a file named "-" is never what was meant
        raise UsageError(f"{flag} -: this option writes a file; give it a file name")
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a directory, not a file name")
    if path.exists() and not force:
        raise UsageError(f"{flag} {path}: the file exists; use --force to overwrite it")


def check_output_file(path: Path | None, flag: str, force: bool) -> None:
    """``check_new_file``, and the folder the file goes in must exist."""
    check_new_file(path, flag, force)
    if path is not None and not path.parent.is_dir():
        raise UsageError(f"{flag} {path}: no directory {path.parent}")


# ``--csv -``: the Unix name of standard output. The CSV is then all that goes there; the
# report that would be printed beside it goes to stderr (``report_console``).
STDOUT = "-"
CSV_HELP = " '-' writes it to standard output (the report then goes to stderr)."


def is_stdout(path: Path | None) -> bool:
    """``--csv -``: the output is standard output, not a file named ``-``."""
    return path is not None and str(path) == STDOUT


def check_csv_file(csv: Path | None, force: bool, json: bool) -> None:
    """Before any work: ``--csv FILE`` as an output file (``check_output_file``); ``--csv -``
    goes to standard output, which ``--json`` needs for itself."""
    if not is_stdout(csv):
        check_output_file(csv, "--csv", force)
    elif sys.stdout is None:  # started with stdout closed (>&-)
        raise UsageError("--csv -: standard output is closed; give --csv a file name")
    elif json:
        raise UsageError(
            "--csv - and --json both write to standard output: give --csv a file name, or "
            "leave out one of them"
        )


def csv_target(csv: Path) -> Path | TextIO:
    """Where the render writers put ``--csv``: the file, or standard output for ``-``."""
    return sys.stdout if is_stdout(csv) else csv


def report_console(csv: Path | None) -> Any:
    """The console of a command's human-readable report: stdout, or stderr when ``--csv -``
    puts the CSV on stdout (so a pipe receives the CSV alone)."""
    from rlcli.cli import console

    return console.err if is_stdout(csv) else console.out


def files_written(*paths: Path | None) -> str | None:
    """``wrote a.csv, b.png`` for the files among ``paths`` (not standard output); None if
    there are none."""
    files = [str(p) for p in paths if p is not None and not is_stdout(p)]
    return f"wrote {', '.join(files)}" if files else None


PLOT_FORMATS = (".png", ".pdf", ".svg")


def check_plot_file(plot: Path | None, force: bool) -> None:
    """Before any work: ``--plot`` names a new file (``check_output_file``) that matplotlib,
    installed, can write (.png, .pdf, .svg); ``-`` is refused (an image on standard output is
    never wanted)."""
    if plot is None:
        return
    if is_stdout(plot):
        raise UsageError(
            "--plot -: a plot is an image file, not text for standard output; name a file "
            f"ending in {', '.join(PLOT_FORMATS)}"
        )
    check_output_file(plot, "--plot", force)
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib: pip install 'rlcli[plot]'")
    if plot.suffix.lower() not in PLOT_FORMATS:
        raise UsageError(f"--plot {plot}: the file name must end in {', '.join(PLOT_FORMATS)}")


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """``["alpha=0.7", "beta=1/2"]`` -> ``{"alpha": "0.7", "beta": "1/2"}``."""
    overrides: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        overrides[name.strip()] = value.strip()
    return overrides


STDIN = Path("/dev/stdin")


def resolve_file(file: Path) -> Path:
    """``file`` itself, standard input for ``-`` (``cat f.yaml | rlcli mdp check -``), or the
    bundled problem of that name (``rlcli mdp solve student-mdp``)."""
    if str(file) == "-":
        return STDIN
    try:
        exists = file.exists()
    except OSError:  # e.g. a name too long for the file system: the loader reports it
        return file
    if exists or file.suffix or len(file.parts) != 1:
        return file
    from rlcli.problem_library import entries

    for entry in entries():
        if entry.name == file.name:
            return entry.path
    return file


def load(file: Path, set_: list[str] | None = None) -> MDP:
    """Load and validate an MDP file (or bundled problem) with ``--set`` overrides."""
    from rlcli.cli.heap import prepare_for
    from rlcli.mdp.read.load import load_mdp
    from rlcli.mdp.read.numbers import OverrideError

    path = resolve_file(file)
    prepare_for(path)
    try:
        return load_mdp(path, overrides=parse_overrides(set_))
    except OverrideError as exc:  # the library names the parameter; the flag is --set
        raise UsageError(f"--set {exc.detail}", problems=exc.problems) from None


@contextmanager
def field_options(**options: str) -> Iterator[None]:
    """Library errors on a field (``FieldError``) name the option that fills it instead:
    ``with field_options(csv="--csv"): ...`` turns ``csv x.csv: ...`` into ``--csv x.csv: ...``."""
    try:
        yield
    except FieldError as exc:
        if exc.field not in options:
            raise
        raise exc.as_option(options[exc.field]) from None


# The files the render writers name by field, and the options that give them.
OUTPUT_FLAGS = {"csv": "--csv", "plot": "--plot"}


def policy(mdp: MDP, spec: str, option: str = "--policy") -> np.ndarray:
    """Resolve the policy given to ``option`` (``-p/--policy``, ``--behavior``...) to a (K,)
    array of action probabilities per pair; the library's errors on the field ``policy``
    name the option instead: ``--policy: unknown state 'x'``."""
    from rlcli.mdp.policy import resolve_policy

    with field_options(policy=option):
        return resolve_policy(mdp, spec)

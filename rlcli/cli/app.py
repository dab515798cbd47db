"""The root ``rlcli`` command: reinforcement-learning exercises and solvers.

The output contract lives here, once for every command:

- exit 0 success, 1 a check the user asked for failed, 2 bad input or usage, 141 stdout
  closed early (``rlcli ... | head``: 128 + SIGPIPE, as a shell reports a killed writer);
- an error prints ``error: ...`` (or ``FILE:LINE: path: message`` lines) on stderr, never a
  traceback; with ``--json`` stdout also holds one JSON error document (:func:`error_document`);
- control characters in echoed text (file names) are escaped, so a message cannot drive the
  terminal;
- numpy's RuntimeWarnings are never printed: the numerics explain their trouble in words.

Command modules are imported only when their command runs (or for ``--help``), so
``rlcli estimate`` does not load the derivation or training code.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import typer

try:  # typer >= 0.29 vendors click as typer._click (pyproject pins typer <1 for that)
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - a typer that depends on click instead
    from click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup

from rlcli import __version__
from rlcli.errors import ClosedPipe, MDPFileError, RlcliError, printable
from rlcli.render.jsonout import documents_written, emit

# name: ("module:attribute" of a Typer app or a command function, modules that add commands
# to it). Commands are listed in this order: exact solving, learning, exam numbers,
# practice, derivations, training, language models, the problem library.
COMMANDS: dict[str, tuple[str, ...]] = {
    "mdp": ("rlcli.cli.mdp:app", "rlcli.cli.mdp_inspect", "rlcli.cli.mdp_solve"),
    "estimate": ("rlcli.cli.estimate:estimate",),
    "control": ("rlcli.cli.control:control",),
    "replay": ("rlcli.cli.replay:replay",),
    "calc": ("rlcli.cli.calc:app",),
    "derive": ("rlcli.cli.derive:app",),
    "train": ("rlcli.cli.train:app",),
    "practice": ("rlcli.cli.practice:practice",),
    "lm": ("rlcli.cli.lm:app",),
    "problems": ("rlcli.cli.problems:app",),
}

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


def error_document(code: int, message: str, exc: BaseException | None = None) -> dict[str, Any]:
    """The ``--json`` form of an error: ``{"error": {"code", "message", "problems"}}``.

    ``problems`` lists every problem of an input file (``file``, ``line``, ``path``,
    ``message``); it is empty for errors that are not about a file's contents.
    """
    problems = []
    if isinstance(exc, RlcliError):
        problems = [
            {"file": p.file, "line": p.line, "path": p.path, "message": p.message}
            for p in exc.problems
        ]
    return {"error": {"code": code, "message": message, "problems": problems}}


def _load_command(name: str) -> Any:
    """Import the module(s) of command ``name`` and build its click command."""
    target, *extra = COMMANDS[name]
    module, attr = target.split(":")
    obj = getattr(importlib.import_module(module), attr)
    for registering in extra:
        importlib.import_module(registering)
    if not isinstance(obj, typer.Typer):
        single = typer.Typer(add_completion=False)
        single.command(name)(obj)
        obj = single
    command = typer.main.get_command(obj)
    command.name = name
    # a group's own --install-completion would install completion for "rlcli mdp" alone
    command.params = [p for p in command.params if p.name not in COMPLETION_OPTIONS]
    _plain_help(command)
    return command


COMPLETION_OPTIONS = ("install_completion", "show_completion")


def _plain_help(command: Any) -> None:
    """Click's plain help everywhere: rich help would import markdown and pygments."""
    command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


def _wants_json(args: Sequence[str]) -> bool:
    """``--json`` among the options (before a ``--`` that ends them)."""
    args = list(args)
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # not a file descriptor
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class RlcliGroup(TyperGroup):
    """Root group: lazy command modules and the output contract (see the module docstring)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        return _load_command(cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        before = documents_written()
        code, message, exc = 0, "", None
        prefix = "error: "
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # last line of defence
            try:
                result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
                if isinstance(result, int) and not isinstance(result, bool):
                    code = result  # typer.Exit(code)
                sys.stdout.flush()
            except RlcliError as error:
                code, message, exc = error.exit_code, str(error), error
            except NoArgsIsHelpError as error:  # a group without a command: its help
                code, message, exc, prefix = error.exit_code, error.format_message(), error, ""
            except ClickException as error:  # usage errors from click/typer
                code, message, exc = error.exit_code, error.format_message(), error
                ctx = getattr(error, "ctx", None)
                if ctx is not None:
                    _echo_err(f"{ctx.get_usage()}\nTry '{ctx.command_path} -h' for help.\n")
            except typer.Abort:
                code, message = 1, "aborted"
            except KeyboardInterrupt:
                code, message = 130, "interrupted"
            except ClosedPipe:
                code = EXIT_BROKEN_PIPE
            except OSError as error:  # the final flush, or an output that cannot be written
                if error.errno == errno.EPIPE:
                    code = EXIT_BROKEN_PIPE
                else:  # e.g. stdout on a full disk (> /dev/full): said, not a traceback
                    code, message = 2, f"cannot write the output: {error.strerror or error}"
                    _quiet_stdout_if_broken()
        if code == EXIT_BROKEN_PIPE:
            _quiet_stdout()  # the reader left: say nothing more
        elif code != 0:
            text = printable(message or f"exit status {code}")
            if message:
                _echo_err(text if "\n" in text or isinstance(exc, MDPFileError) else prefix + text)
            if _wants_json(argv) and documents_written() == before:
                _emit_quietly(error_document(code, text, exc))
        if standalone_mode:
            sys.exit(code)
        return code

    def make_context(self, *args: Any, **kwargs: Any) -> Any:  # the root's own --help
        with _closed_pipe():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _closed_pipe():
            return super().invoke(ctx)


@contextlib.contextmanager
def _closed_pipe() -> Iterator[None]:
    """EPIPE becomes :class:`ClosedPipe` past click, which would exit 1 like a failed check."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise ClosedPipe from None
        raise


def _quiet_stdout_if_broken() -> None:
    """If stdout no longer takes output, point it at /dev/null (``_quiet_stdout``) so that
    the interpreter's final flush cannot fail again."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):  # full, closed, or None
        _quiet_stdout()


def _emit_quietly(document: dict[str, Any]) -> None:
    try:
        emit(document)
    except (OSError, ValueError, AttributeError):
        _quiet_stdout()


def _echo_err(text: str) -> None:
    with contextlib.suppress(BrokenPipeError, ValueError):  # stderr closed: nothing to tell
        typer.echo(text, err=True)


app = typer.Typer(
    cls=RlcliGroup,
    name="rlcli",
    help="Reinforcement-learning exercises and solvers: exact MDP solving, MC/TD "
    "simulation, machine-checked derivations and NumPy policy gradients.",
    epilog="Exit status: 0 success, 1 a check you asked for failed, 2 bad input or usage "
    "(the message names the file, line and field), 141 stdout closed early (e.g. '| head'). "
    'With --json, stdout holds one JSON document, also on error: {"error": {"code", '
    '"message", "problems"}}; the message also goes to stderr.',
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rlcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Reinforcement-learning exercises and solvers."""


# rlcli's matrices are small (64-unit layers, batch TD's models of at most 2,000 states, GMRES
# on vectors): BLAS threads only spin on them. Two threads took 3x the CPU time of one in PPO
# and 2-6x in batch TD's stacks of small solves (and made their times erratic), so every
# command runs BLAS on one thread. If the user asks for threads, OpenBLAS's idle workers
# busy-wait 2**20 cycles (under 1 ms) instead of 2**28 (about 0.1 s) before they sleep.
# A value the user sets wins.
BLAS_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_THREAD_TIMEOUT": "20",
}


def main() -> None:
    for name, value in BLAS_ENV.items():  # before anything imports NumPy
        os.environ.setdefault(name, value)
    app()

"""``rlcli derive``: the identities behind policy gradients, every step checked by sympy.

sympy and the derivation modules are imported inside the commands, so ``rlcli --help``
stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from rlcli.cli.common import JsonOpt, SeedOpt
from rlcli.errors import FieldError, NumericalError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.derive.steps import Derivation

app = typer.Typer(
    help="Derive the identities behind policy gradients step by step; sympy checks every step.",
    no_args_is_help=True,
)


class Format(str, Enum):
    rich = "rich"
    text = "text"
    latex = "latex"
    markdown = "markdown"


FormatOpt = Annotated[
    Format,
    typer.Option("--format", help="Output: rich table (terminal), text, latex or markdown."),
]
SamplesOpt = Annotated[
    int,
    typer.Option(
        "--samples",
        min=0,
        callback=lambda n: _check_samples(n),
        help="Monte Carlo check with N ≥ 2 samples (0: none).",
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at", help="Parameter values for numeric checks, e.g. 'mu=0.5,sigma=2'.", metavar="N=V,.."
    ),
]


SYMPY_BUDGET = 0.35  # CPU seconds for all closed-form searches of one derivation (≤ 1.5 s total)
HARD_LIMIT = 15.0  # CPU seconds for a whole derivation, numeric checks included


@contextmanager
def _options() -> Iterator[None]:
    """The library names its fields (``f``, ``support``, ``at``); the user typed options.

    Every field of the derivation library is filled by the option of the same name.
    """
    try:
        yield
    except FieldError as exc:
        raise exc.as_option(f"--{exc.field}") from None


def _run(build: Callable[[], Derivation], fmt: Format, json: bool) -> None:
    """Build the derivation under one overall time budget and a hard limit, then render it."""
    from rlcli.derive.timelimit import TimeLimitExceeded, budget, time_limit

    try:
        with _options(), time_limit(HARD_LIMIT), budget(SYMPY_BUDGET):
            d = build()
    except TimeLimitExceeded:
        raise NumericalError(
            f"gave up after {HARD_LIMIT:g} s of computation: the expression grows too fast "
            "(or is too large) for the numeric checks; try a simpler --f"
        ) from None
    _render(d, fmt, json)


def _render(d: Derivation, fmt: Format, json: bool) -> None:
    """Print ``d`` in the chosen format; exit 1 if a step or check failed."""
    from rlcli.render import derivation as view

    if json:
        from rlcli.render.jsonout import emit

        emit(view.as_json(d))
    elif fmt is Format.rich:
        from rlcli.cli.console import out

        out.print(view.to_rich(d))
    else:
        writer = {Format.text: view.to_text, Format.latex: view.to_latex}.get(fmt, view.to_markdown)
        typer.echo(writer(d), nl=False)
    if not d.all_verified:
        raise typer.Exit(1)


MAX_SAMPLES = 10_000_000  # ~1 GB of draws and weights at most
MAX_AT = 1e6  # largest parameter value accepted by --at


def _check_samples(n: int) -> int:
    if n == 1:
        raise typer.BadParameter("a standard error needs at least 2 samples (0: no check)")
    if n > MAX_SAMPLES:
        raise typer.BadParameter(f"at most {MAX_SAMPLES:,d} samples")
    return n


def _parse_at(text: str | None) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UsageError(f"--at expects NAME=NUMBER[,NAME=NUMBER], got {item!r}")
        if abs(values[name.strip()]) > MAX_AT:
            raise UsageError(
                f"--at {item.strip()}: at most {MAX_AT:g} in size (numeric checks and sampling "
                "lose all precision beyond)"
            )
    return values


@app.command("log-derivative")
def log_derivative(
    family: Annotated[
        str | None,
        typer.Option(
            "--family",
            help="gaussian | gaussian-scale | bernoulli | categorical | exponential | poisson: "
            "both sides in closed form.",
        ),
    ] = None,
    f: Annotated[
        str | None, typer.Option("--f", help="f(x) for the closed forms, e.g. 'x**2'.")
    ] = None,
    density: Annotated[
        str | None,
        typer.Option("--density", help="Your own density, e.g. 'theta*exp(-theta*x)'."),
    ] = None,
    var: Annotated[str, typer.Option("--var", help="Variable of --density.")] = "x",
    param: Annotated[str, typer.Option("--param", help="Parameter of --density.")] = "theta",
    support: Annotated[
        str, typer.Option("--support", help="Support of --density: LO,HI (inf allowed).")
    ] = "-inf,inf",
    samples: SamplesOpt = 0,
    seed: SeedOpt = 0,
    at: AtOpt = None,
    format_: FormatOpt = Format.rich,
    json: JsonOpt = False,
) -> None:
    """∇θ E[f(x)] = E[f(x) ∇θ log pθ(x)]: the score-function trick in seven checked steps."""
    from rlcli.derive import families
    from rlcli.derive import log_derivative as ld
    from rlcli.derive.parse import parse_expr

    if family is not None and density is not None:
        raise UsageError("give either --family or --density, not both")
    if family is None and density is None and (f is not None or samples):
        raise UsageError("--f and --samples need --family or --density")
    fam = fx = None
    with _options():
        if family is not None:
            fam = families.family(family)
        elif density is not None:
            fam = families.user_family(density, var, param, support)
        if fam is not None:
            fx = parse_expr(fam.default_f if f is None else f, {str(fam.x): fam.x}, "f")
    values = _parse_at(at)

    def build() -> Derivation:
        if fam is not None and fam.name == "user":
            families.check_nonnegative(fam, values)
            families.check_normalized(fam)
        return ld.derive(fam, fx, samples, seed, values)

    _run(build, format_, json)


@app.command("importance-sampling")
def importance_sampling(
    p: Annotated[
        str | None, typer.Option("--p", help="Target p: normal(MU,SIGMA) or exponential(RATE).")
    ] = None,
    q: Annotated[
        str | None, typer.Option("--q", help="Proposal q: normal(MU,SIGMA) or exponential(RATE).")
    ] = None,
    f: Annotated[str | None, typer.Option("--f", help="A polynomial f(x), e.g. 'x**2'.")] = None,
    samples: SamplesOpt = 0,
    seed: SeedOpt = 0,
    format_: FormatOpt = Format.rich,
    json: JsonOpt = False,
) -> None:
    """E_p[f] = E_q[(p/q) f]: identity, support condition, variance (finite or not), ESS.

    With --p/--q/--f (defaults normal(0,1), normal(1,2), x) the closed forms; with --samples
    the ordinary and weighted (self-normalised) estimators side by side.
    """
    from rlcli.derive import importance_sampling as isx

    _run(lambda: isx.derive(p, q, f, samples, seed), format_, json)


@app.command("kl")
def kl(
    p: Annotated[
        str | None,
        typer.Option("--p", help="p for the estimators: normal(MU,SIGMA) | exponential(RATE)."),
    ] = None,
    q: Annotated[
        str | None, typer.Option("--q", help="q for the estimators (default normal(0.5,1.2)).")
    ] = None,
    samples: SamplesOpt = 0,
    seed: SeedOpt = 0,
    format_: FormatOpt = Format.rich,
    json: JsonOpt = False,
) -> None:
    """KL(p‖q) ≥ 0, closed forms (Gaussian, Bernoulli, categorical), k1/k2/k3 estimators."""
    from rlcli.derive import kl as kl_

    _run(lambda: kl_.derive(p, q, samples, seed), format_, json)


HorizonOpt = Annotated[
    int,
    typer.Option(
        "--horizon", min=2, max=3, help="Horizon of the tiny MDP enumerated exactly (2 or 3)."
    ),
]


@app.command("policy-gradient")
def policy_gradient(
    horizon: HorizonOpt = 2,
    format_: FormatOpt = Format.rich,
    json: JsonOpt = False,
) -> None:
    """Trajectory form: the dynamics drop out of ∇ log p(τ); REINFORCE; reward-to-go.

    Expectation steps are verified exactly by enumerating every trajectory of a tiny MDP
    (2 states × 2 actions, softmax policy) for every logit.
    """
    from rlcli.derive import policy_gradient as pg

    _run(lambda: pg.derive(horizon), format_, json)


@app.command("baseline")
def baseline(
    horizon: HorizonOpt = 2,
    format_: FormatOpt = Format.rich,
    json: JsonOpt = False,
) -> None:
    """E[∇ log π(a|s) b(s)] = 0: baselines keep the gradient unbiased; A = Q − V; variance drop."""
    from rlcli.derive import baseline as bl

    _run(lambda: bl.derive(horizon), format_, json)


@app.command("ppo-clip")
def ppo_clip(format_: FormatOpt = Format.rich, json: JsonOpt = False) -> None:
    """From r = πθ/πθ_old to min(rA, clip(r, 1−ε, 1+ε)A): six regions symbolic in ε."""
    from rlcli.derive import ppo_clip as ppo

    _run(ppo.derive, format_, json)

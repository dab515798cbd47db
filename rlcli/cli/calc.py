"""``rlcli calc``: policy-gradient quantities from given numbers, worked out exactly."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from rlcli.cli.common import JsonOpt
from rlcli.cli.practice import TolOpt, answer_option
from rlcli.cli.replay import FormatOpt, show_answer
from rlcli.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.replay.worked import Worked

app = typer.Typer(
    help="Exam numbers from given data: REINFORCE, actor-critic, GAE, PPO-clip, KL, GRPO, "
    "importance sampling. Exact fractions when the inputs are exact.",
    no_args_is_help=True,
)

GammaOpt = Annotated[str, typer.Option("--gamma", help="Discount γ.")]
F = TypeVar("F", bound=Callable[..., None])

AnswerOpt = answer_option(
    "'advantages: [1/2, -1]', 'gradient: {s1: {L: -1/4, R: 1/4}}', or 'kl=0.17, k1=-0.23'"
)


def _float_range(command: F) -> F:
    """Exact inputs up to 10**308 can make a result (a product, a variance) that a float
    cannot hold: refuse them instead of an OverflowError traceback."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except OverflowError:
            raise UsageError(
                "the numbers are too large: a result is beyond the float range (about "
                "10**308); scale them down"
            ) from None

    return guarded  # type: ignore[return-value]


def _show(
    worked: Worked,
    name: str,
    fmt: str,
    json: bool,
    answer: str | None = None,
    tol: str | None = None,
    mistakes: dict | None = None,
) -> None:
    show_answer({"calc": name, **worked.document()}, worked, fmt, json, answer, tol, mistakes)


def _policy_gradient(
    name: str,
    logits: str | None,
    probs: str | None,
    trajectory: list[str] | None,
    gamma: str,
    gamma_t: bool,
    baseline: str | None,
    values: str | None,
    lr: str | None,
) -> tuple[Worked, dict]:
    """The worked gradient and its named mistakes."""
    from rlcli.calc.mistakes import actor_critic_mistakes, reinforce_mistakes
    from rlcli.calc.policy import parse_table
    from rlcli.calc.reinforce import parse_trajectory, policy_gradient
    from rlcli.replay.numbers import assignments, number

    if (logits is None) == (probs is None):
        raise UsageError("give the policy once: --logits or --probs")
    table = parse_table(
        logits or probs or "", "--logits" if logits else "--probs", probs is not None
    )
    if not trajectory:
        raise UsageError("give at least one --trajectory 's1 R 1 s2 L 2'")
    trajs = [parse_trajectory(t, i + 1, table) for i, t in enumerate(trajectory)]
    g = number(gamma, "gamma")
    if not 0 <= g <= 1:
        raise UsageError(f"gamma: {g} is not in [0, 1]")

    def per_state(text: str | None, flag: str) -> dict | None:
        if text is None:
            return None
        out = {}
        for k, v in assignments(text, flag):
            if k not in table:
                raise UsageError(f"{flag}: no state {k!r} (states: {', '.join(table)})")
            out[k] = number(v, f"{flag}.{k}")
        return out

    b = per_state(baseline, "--baseline")
    v = per_state(values, "--values") if name == "actor-critic" else None
    step = number(lr, "lr") if lr is not None else None
    worked = policy_gradient(table, trajs, g, gamma_t, b, v, step)
    if v is None:
        return worked, reinforce_mistakes(table, trajs, g, gamma_t, b, step)
    return worked, actor_critic_mistakes(table, trajs, g, gamma_t, v, step)


LogitsOpt = Annotated[
    str | None, typer.Option(help="Softmax logits per state: 's1: L=0, R=ln(3); s2: L=0, R=0'.")
]
ProbsOpt = Annotated[str | None, typer.Option(help="Or probabilities: 's1: L=1/4, R=3/4; ...'.")]
TrajOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--trajectory",
        help="'s1 R 1 s2 L 2' (state action reward ...), repeatable; --json's returns "
        "(actor-critic: deltas) is then one list per trajectory.",
    ),
]
GammaTOpt = Annotated[
    bool, typer.Option("--gamma-t/--no-gamma-t", help="Multiply term t by γ^t (S&B: yes).")
]
LrOpt = Annotated[str | None, typer.Option("--lr", help="Step size: show θ + lr·ĝ.")]


@app.command("reinforce")
@_float_range
def reinforce(
    logits: LogitsOpt = None,
    probs: ProbsOpt = None,
    trajectory: TrajOpt = None,
    gamma: GammaOpt = "1",
    gamma_t: GammaTOpt = True,
    baseline: Annotated[str | None, typer.Option(help="Per-state baseline 's1=2, s2=1'.")] = None,
    lr: LrOpt = None,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """REINFORCE gradient of a tabular softmax policy from given trajectories."""
    worked, mistakes = _policy_gradient(
        "reinforce", logits, probs, trajectory, gamma, gamma_t, baseline, None, lr
    )
    _show(worked, "reinforce", format, json, answer, tol, mistakes)


@app.command("actor-critic")
@_float_range
def actor_critic(
    values: Annotated[str, typer.Option(help="Critic values 's1=1, s2=0' (terminal: 0).")],
    logits: LogitsOpt = None,
    probs: ProbsOpt = None,
    trajectory: TrajOpt = None,
    gamma: GammaOpt = "1",
    gamma_t: GammaTOpt = True,
    lr: LrOpt = None,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """One-step actor-critic: δ_t = r + γV(s') − V(s) as the advantage, given V. A
    trajectory ending with a state bootstraps from its value; ending with a reward, from 0."""
    worked, mistakes = _policy_gradient(
        "actor-critic", logits, probs, trajectory, gamma, gamma_t, None, values, lr
    )
    _show(worked, "actor-critic", format, json, answer, tol, mistakes)


@app.command("gae")
@_float_range
def gae(
    rewards: Annotated[str, typer.Option(help="r_0, ..., r_{T-1}.")],
    values: Annotated[
        str, typer.Option(help="V(s_0), ..., V(s_T): T+1 values, the last the bootstrap.")
    ],
    dones: Annotated[
        str | None, typer.Option(help="d_0, ..., d_{T-1} (1 = episode ended at t). Default: all 0.")
    ] = None,
    gamma: GammaOpt = "1",
    lam: Annotated[str, typer.Option("--lambda", help="λ.")] = "1",
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """Generalised advantage estimates, with the recursion shown."""
    from rlcli.calc.gae import gae_table
    from rlcli.calc.mistakes import gae_mistakes
    from rlcli.replay.numbers import number, number_list

    r = number_list(rewards, "rewards")
    d = number_list(dones, "dones") if dones is not None else [0] * len(r)
    v, g, lm = number_list(values, "values"), number(gamma, "gamma"), number(lam, "lambda")
    worked = gae_table(r, v, d, g, lm)
    mistakes = gae_mistakes(r, v, d, g, lm)
    _show(worked, "gae", format, json, answer, tol, mistakes)


@app.command("ppo-clip")
@_float_range
def ppo_clip(
    advantage: Annotated[str, typer.Option(help="Advantages A, comma list.")],
    ratio: Annotated[str | None, typer.Option(help="Ratios r = π_new/π_old, comma list.")] = None,
    pi_new: Annotated[
        str | None, typer.Option("--pi-new", help="Or π_new(a|s), comma list.")
    ] = None,
    pi_old: Annotated[
        str | None, typer.Option("--pi-old", help="and π_old(a|s), comma list.")
    ] = None,
    eps: Annotated[str, typer.Option("--eps", help="Clip range ε.")] = "0.2",
    kl_penalty: Annotated[
        str | None, typer.Option("--kl-penalty", help="β: the KL-penalty form instead.")
    ] = None,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """Clipped surrogate per (r, A): value, branch, ∂L/∂r and region."""
    from rlcli.calc.mistakes import ppo_mistakes
    from rlcli.calc.ppo import ppo_clip as run
    from rlcli.replay.numbers import number, number_list

    if ratio is not None:
        if pi_new is not None or pi_old is not None:
            raise UsageError("give --ratio or --pi-new/--pi-old, not both")
        r = number_list(ratio, "ratio")
    elif pi_new is not None and pi_old is not None:
        new, old = number_list(pi_new, "pi-new"), number_list(pi_old, "pi-old")
        if len(new) != len(old) or any(o <= 0 for o in old):
            raise UsageError("pi-new and pi-old: same length, π_old > 0")
        r = [n / o for n, o in zip(new, old, strict=True)]
    else:
        raise UsageError("give --ratio, or --pi-new and --pi-old")
    beta = number(kl_penalty, "kl-penalty") if kl_penalty is not None else None
    a, e = number_list(advantage, "advantage"), number(eps, "eps")
    worked = run(r, a, e, beta)
    _show(worked, "ppo-clip", format, json, answer, tol, ppo_mistakes(r, a, e, beta))


@app.command("kl")
@_float_range
def kl(
    p: Annotated[str, typer.Option("--p", help="p(x) per outcome, comma list.")],
    q: Annotated[str, typer.Option("--q", help="q(x) per outcome, comma list.")],
    samples: Annotated[
        str | None, typer.Option(help="0-based outcome indices drawn from p.")
    ] = None,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """Exact KL(p‖q) and KL(q‖p); with samples, the k1/k2/k3 estimates and their bias."""
    from rlcli.calc.kl import kl_calc
    from rlcli.calc.mistakes import kl_mistakes
    from rlcli.replay.numbers import number_list, split_items

    idx = None
    if samples is not None:
        items = split_items(samples, "samples")
        if not all(s.isascii() and s.isdigit() for s in items):
            raise UsageError("samples: each is an outcome index 0, 1, 2, ...")
        idx = [int(s) for s in items]
    pp, qq = number_list(p, "p"), number_list(q, "q")
    worked = kl_calc(pp, qq, idx)
    _show(worked, "kl", format, json, answer, tol, kl_mistakes(pp, qq, idx))


@app.command("grpo")
@_float_range
def grpo(
    rewards: Annotated[str, typer.Option(help="The group's rewards, comma list.")],
    std: Annotated[
        str, typer.Option(help="population (default, as rlcli train) or sample.")
    ] = "population",
    eps: Annotated[str, typer.Option("--eps", help="ε added to the std.")] = "1e-4",
    dr_grpo: Annotated[bool, typer.Option("--dr-grpo", help="Dr. GRPO: no std division.")] = False,
    rloo: Annotated[bool, typer.Option("--rloo", help="RLOO: leave-one-out baseline.")] = False,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """Group-relative advantages: mean, std, ε, Â_i."""
    from rlcli.calc.grpo import grpo_calc
    from rlcli.calc.mistakes import grpo_mistakes
    from rlcli.replay.numbers import number, number_list

    r, e = number_list(rewards, "rewards"), number(eps, "eps")
    worked = grpo_calc(r, std, e, dr_grpo, rloo)
    mistakes = grpo_mistakes(r, std, e, dr_grpo, rloo)
    _show(worked, "grpo", format, json, answer, tol, mistakes)


@app.command("importance-sampling")
@_float_range
def importance_sampling(
    returns: Annotated[str, typer.Option(help="Returns G_i, comma list.")],
    ratios: Annotated[str, typer.Option(help="Ratios ρ_i, comma list.")],
    answer: AnswerOpt = None,
    tol: TolOpt = None,
    format: FormatOpt = "text",
    json: JsonOpt = False,
) -> None:
    """Ordinary and weighted importance-sampling estimates from returns and ratios."""
    from rlcli.replay.run import Options, given_importance

    worked = given_importance(Options(returns=returns, ratios=ratios))
    _show(worked, "importance-sampling", format, json, answer, tol)

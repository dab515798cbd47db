"""``rlcli estimate``: MC and TD prediction on an MDP file, scored against the exact v_π."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rlcli.cli import console
from rlcli.cli import sweep_options as sweep
from rlcli.cli.common import (
    FileArg,
    PolicyOpt,
    SeedOpt,
    csv_target,
    files_written,
    policy,
    report_console,
)
from rlcli.errors import UsageError
from rlcli.learn.methods import (
    BATCH_METHODS,
    IMPORTANCE,
    PREDICTION_METHODS,
    TD_LAMBDA_VARIANTS,
    VISITS,
)

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.learn.predict import Experiment, PredictionResult, Setting
    from rlcli.mdp.model import MDP

DEFAULT_ALPHA = {"mc": "1/n", "td": "0.1", "nstep": "0.1", "td-lambda": "0.1"}
METHODS = (*PREDICTION_METHODS, *BATCH_METHODS)

NOTES = {
    "mc": "MC: constant α updates V(S_t) += α[G_t − V(S_t)] forward in time at the episode's "
    "end; α = 1/N(s) is the sample average of returns. Every-visit counts each visit, "
    "first-visit only the first per episode.",
    "td-lambda:offline": "offline λ-return: after each episode V(S_t) += α[G^λ_t − V(S_t)] in "
    "time order, with G^λ_t computed from the values at the start of the episode (the book's "
    "reference code uses running values).",
    "batch": "batch: the fixed point of repeated presentation of all episodes so far, solved "
    "directly — certainty equivalence for TD(0), mean return per state for MC (S&B §6.3).",
    "offpolicy": "off-policy MC: ordinary IS averages ρG over visits (eq. 5.5), weighted IS "
    "divides by Σρ (eq. 5.6); ρ = Π π(A|S)/b(A|S) from t to the episode's end.",
}


@sweep.run_options(100_000, csv="Write the RMS curves as CSV.",
             plot="Save the curves as PNG (needs matplotlib).")  # fmt: skip
def estimate(
    file: FileArg,
    policy_spec: PolicyOpt,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            "-m",
            help=f"{', '.join(METHODS)}, or a comma list (batch-td, batch-mc: td and mc with "
            "batch updating, so one call can mix online and batch learners).",
        ),
    ] = "td",
    alpha: Annotated[
        str | None,
        typer.Option(
            help="Step size(s), comma list; '1/n' = sample averages. "
            "Default: 1/n for mc, 0.1 otherwise."
        ),
    ] = None,
    n: Annotated[
        str | None, typer.Option("--n", help="n-step TD: n (comma list). Default: 4.")
    ] = None,
    lam: Annotated[
        str | None, typer.Option("--lambda", help="TD(λ): λ (comma list). Default: 0.9.")
    ] = None,
    variant: Annotated[
        str | None,
        typer.Option(
            help="TD(λ): offline (λ-return from start-of-episode values), accumulating, "
            "replacing, true-online (comma list). Default: offline."
        ),
    ] = None,
    visit: Annotated[
        str | None, typer.Option(help="MC: every or first (comma list). Default: every.")
    ] = None,
    batch: Annotated[
        bool, typer.Option("--batch", help="Batch updating for td and mc (S&B Fig 6.2 right).")
    ] = False,
    behavior: Annotated[
        str | None,
        typer.Option(
            "--behavior",
            help="Off-policy MC: episodes follow this policy, -p is the target policy.",
        ),
    ] = None,
    importance: Annotated[
        str | None,
        typer.Option(help="With --behavior: ordinary, weighted (comma list). Default: both."),
    ] = None,
    runs: sweep.RunsOpt = 100,
    episodes: sweep.EpisodesOpt = 100,
    seed: SeedOpt = 0,
    init: Annotated[
        str,
        typer.Option(
            "--init",
            help="Initial value V0 of non-terminal states, or a comma list of a default and "
            "METHOD=V0 for the learners of one --method (batch=V0: every batch learner), "
            "e.g. 0.5,batch=-1.",
        ),
    ] = "0.0",
    start: sweep.StartOpt = None,
    error_state: Annotated[
        str | None,
        typer.Option(
            "--error-state",
            help="Also follow one state: its squared error averaged over runs after each "
            "episode (S&B Fig 5.3) and every run's final estimate.",
        ),
    ] = None,
    *,
    run: sweep.RunOptions,
) -> None:
    """Estimate v_π by MC / TD(0) / n-step TD / TD(λ) and compare with the exact values.

    The error is the RMS over the non-terminal states against v_π from the linear solve,
    per episode, averaged over runs. All learners in one call see the same episodes.
    """
    with sweep.flag_names():
        _estimate(file, policy_spec, method, alpha, n, lam, variant, visit, batch, behavior,
                  importance, runs, episodes, seed, init, start, error_state, run)  # fmt: skip


def _estimate(
    file: Path, policy_spec: str, method: str, alpha: str | None, n: str | None,
    lam: str | None, variant: str | None, visit: str | None, batch: bool, behavior: str | None,
    importance: str | None, runs: int, episodes: int, seed: int, init: str,
    start: str | None, error_state: str | None, run: sweep.RunOptions,
) -> None:  # fmt: skip
    from rlcli.learn.episodes import start_distribution
    from rlcli.learn.predict import Experiment, check_size, run_prediction
    from rlcli.learn.reach import episode_limit, reachable
    from rlcli.mdp.solve.evaluate import evaluate_policy, expected_episode_length

    run.check_exports()
    inits = Inits.parse(init)
    mdp = run.load(file)
    csv, plot, json = run.csv, run.plot, run.json
    settings = _settings(method, alpha, n, lam, variant, visit, batch, behavior, importance,
                         inits)  # fmt: skip
    sweep.positive(runs, "--runs")
    sweep.positive(episodes, "--episodes")
    pi = policy(mdp, policy_spec)
    b_pi = policy(mdp, behavior, "--behavior") if behavior is not None else None
    true_values = evaluate_policy(mdp, pi).values
    start_dist = start_distribution(mdp, start)
    watch = _state(mdp, error_state, "--error-state")
    followed = b_pi if b_pi is not None else pi
    seen = reachable(mdp, followed, start_dist) | mdp.terminal
    if watch is not None and not seen[watch]:
        raise UsageError(
            f"--error-state: {error_state!r} is never visited from the start under the "
            f"{'behaviour ' if behavior else ''}policy, so its estimate stays "
            + (
                f"each learner's V0 (--init {inits})"
                if inits.by_method
                else f"V0 = {inits.default:g} and its squared error (V0 − v_π)² = "
                f"{(inits.default - float(true_values[watch])) ** 2:g}"
            )
            + " in every episode; choose a state the episodes reach (or another --start)"
        )
    max_steps = episode_limit(mdp, run.max_steps, 100_000, followed, start_dist)
    exp = Experiment(
        mdp, pi, true_values, start_dist, runs, episodes, seed,
        v0=inits.default, max_steps=max_steps, behavior=b_pi, error_state=watch,
    )  # fmt: skip
    mean_length = expected_episode_length(mdp, followed, start_dist)
    check_size(exp, settings, mean_length)
    announcements = [sweep.long_run_note(mean_length, runs, episodes, max_steps)]
    if any(s.batch and s.method == "td" for s in settings):
        announcements.append(sweep.batch_td_note(runs, episodes, mdp, followed))
    for note in announcements:
        if note is not None:
            console.err.print(note, markup=False)
    results = run_prediction(exp, settings)
    watched = None if watch is None else (mdp.states[watch], float(true_values[watch]))
    notes = _notes(settings)
    unreachable = [mdp.states[s] for s in range(mdp.n_states) if not seen[s]]
    cut = results[0].cut
    if csv is not None or plot is not None or not json:
        from rlcli.render import learning  # rich tables: not for --json alone
    if csv is not None:
        learning.write_csv(csv_target(csv), *learning.estimate_csv_rows(results, watched))
    if plot is not None:
        series, x_label, y_label = learning.estimate_series(results, watched)
        learning.write_png(plot, series, x_label, y_label, f"{mdp.name}: {policy_spec}")
    if json:
        from rlcli.render.jsonout import emit

        doc = _document(mdp, exp, policy_spec, behavior, results, notes)
        emit({**doc, "cut_episodes": cut, "max_steps": max_steps,
              "unreachable_states": unreachable})  # fmt: skip
        return
    header = (
        f"{mdp.name or file} · target policy {policy_spec}"
        + (f" · behaviour policy {behavior}" if behavior else "")
        + f" · {runs} runs × {episodes} episodes · seed {seed} · V0 = {inits}\n"
        f"RMS error over the {int((~mdp.terminal).sum())} non-terminal states against the "
        "exact v_π (linear solve)"
        + (
            f"\n{cut} of {runs * episodes} episodes were cut at --max-steps {max_steps} before "
            "reaching a terminal state"
            if cut
            else ""
        )
    )
    if unreachable:
        console.err.print(
            f"warning: {len(unreachable)} non-terminal state(s) are never visited from the "
            f"start under the {'behaviour ' if behavior else ''}policy: "
            f"{', '.join(unreachable[:8])}{' …' if len(unreachable) > 8 else ''}. They keep "
            "V0, so their error stays in the RMS as a floor it cannot go below.",
            markup=False,
        )
    view = learning.estimate_view(mdp, results, true_values, header, notes, watched)
    learning.print_parts(report_console(csv), view)
    if (wrote := files_written(csv, plot)) is not None:
        console.err.print(wrote, markup=False)


def _state(mdp: MDP, name: str | None, option: str) -> int | None:
    """The index of a non-terminal state named on the command line."""
    if name is None:
        return None
    if name not in mdp.state_index:
        raise UsageError(f"{option}: no state named {name!r}")
    s = mdp.state_index[name]
    if mdp.terminal[s]:
        raise UsageError(f"{option}: {name!r} is terminal; its value is 0 and never learned")
    return s


@dataclass(frozen=True)
class Inits:
    """``--init``: the default V0 and the V0 of the learners of named methods."""

    default: float
    by_method: dict[str, float]  # a --method name, or "batch" (every batch learner): V0

    @classmethod
    def parse(cls, text: str) -> Inits:
        """``V0`` or a comma list of ``V0`` (at most once) and ``METHOD=V0`` items."""
        default: float | None = None
        by_method: dict[str, float] = {}
        for item in (t.strip() for t in text.split(",")):
            if not item:
                raise UsageError(f"--init: expected V0 or a comma list of V0 and METHOD=V0, "
                                 f"got an empty item in {text!r}")  # fmt: skip
            key, _, value = item.rpartition("=")
            key, value = key.strip(), value.strip()
            if "=" in item and key not in (*METHODS, "batch"):
                raise UsageError(f"--init: {item!r}: {key!r} is not a method "
                                 f"({', '.join(METHODS)}, or batch)")  # fmt: skip
            if key in by_method or (not key and default is not None):
                raise UsageError(f"--init: {key or 'the default V0'} is given twice in {text!r}")
            number = sweep.initial_value_text(value, "--init")
            if key:
                by_method[key] = number
            else:
                default = number
        return cls(0.0 if default is None else default, by_method)

    @staticmethod
    def keys(method: str, batch: bool) -> list[str]:
        """The METHOD keys that name the learners of ``method`` as written in --method,
        most specific first: under --batch, td is also batch-td (and mc batch-mc)."""
        alias = f"batch-{method}"
        return [
            method,
            *([alias] if batch and alias in BATCH_METHODS else []),
            *(["batch"] if batch or method in BATCH_METHODS else []),
        ]

    def of(self, method: str, batch: bool) -> float | None:
        """The V0 of the learners of ``method`` as written in --method (batch updating or
        not); None when --init is one value for all."""
        if not self.by_method:
            return None
        named = (self.by_method[k] for k in self.keys(method, batch) if k in self.by_method)
        return next(named, self.default)

    def check(self, methods: list[str], batch: bool) -> None:
        """Each METHOD=V0 names a method of the call."""
        named = {key for m in methods for key in self.keys(m, batch)}
        for key in self.by_method:
            if key not in named:
                raise UsageError(f"--init: {key}={self.by_method[key]:g} names no learner of "
                                 f"--method {','.join(methods)}")  # fmt: skip

    def __str__(self) -> str:
        return ", ".join([f"{self.default:g}", *(f"{k}={v:g}" for k, v in self.by_method.items())])


def _settings(
    method: str, alpha: str | None, n: str | None, lam: str | None, variant: str | None,
    visit: str | None, batch: bool, behavior: str | None, importance: str | None,
    inits: Inits,
) -> list[Setting]:  # fmt: skip
    from rlcli.learn.predict import Setting

    methods = sweep.choices(method, "--method", METHODS)
    inits.check(methods, batch)
    for given, option, needs in (
        (n, "--n", ("nstep",)), (lam, "--lambda", ("td-lambda",)),
        (variant, "--variant", ("td-lambda",)), (visit, "--visit", ("mc", "batch-mc")),
    ):  # fmt: skip
        if given is not None and not set(needs) & set(methods):
            raise UsageError(f"{option} applies to --method {needs[0]} only"
                             + "".join(f" (and {m})" for m in needs[1:]))  # fmt: skip
    if importance is not None and behavior is None:
        raise UsageError("--importance applies to off-policy MC only: add --behavior POLICY")
    visits = sweep.choices(visit or "every", "--visit", VISITS)
    if behavior is not None:
        if methods != ["mc"] or batch:
            raise UsageError(
                "--behavior (off-policy prediction) works with --method mc only, not --batch "
                "(batch-td, batch-mc)"
            )
        if alpha is not None:
            raise UsageError("--behavior: off-policy MC uses sample averages; drop --alpha")
        kinds = sweep.choices(importance or ",".join(IMPORTANCE), "--importance", IMPORTANCE)
        return [Setting("mc", visit=v, importance=k) for v in visits for k in kinds]
    if batch:
        if set(methods) - {"td", "mc", *BATCH_METHODS}:
            raise UsageError("--batch works with --method td and mc (S&B §6.3)")
        if alpha is not None:
            raise UsageError("--batch computes the fixed point that small-α batch updating "
                             "reaches; drop --alpha")  # fmt: skip
    elif alpha is not None and all(m in BATCH_METHODS for m in methods):
        raise UsageError("--alpha applies to online learners: batch-td and batch-mc compute "
                         "the fixed point that small-α batch updating reaches")  # fmt: skip
    ns = sweep.counts(n or "4", "--n")
    lams = sweep.numbers(lam or "0.9", "--lambda", 0.0, 1.0)
    variants = sweep.choices(variant or "offline", "--variant", TD_LAMBDA_VARIANTS)
    out = []
    for written in methods:
        m = BATCH_METHODS.get(written, written)
        batched = batch or written in BATCH_METHODS
        v0 = inits.of(written, batched)
        if batched:
            out += [Setting(m, batch=True, visit=v if m == "mc" else None, init=v0)
                    for v in (visits if m == "mc" else ["every"])]  # fmt: skip
            continue
        alphas = sweep.step_sizes(alpha if alpha is not None else DEFAULT_ALPHA[m])
        if m == "mc":
            out += [Setting("mc", alpha=a, visit=v, init=v0) for v in visits for a in alphas]
        elif m == "td":
            out += [Setting("td", alpha=a, init=v0) for a in alphas]
        elif m == "nstep":
            out += [Setting("nstep", alpha=a, n=k, init=v0) for k in ns for a in alphas]
        else:
            out += [
                Setting("td-lambda", alpha=a, lam=x, variant=v, init=v0)
                for v in variants for x in lams for a in alphas
            ]  # fmt: skip
    return list(dict.fromkeys(out))


def _notes(settings: list[Setting]) -> list[str]:
    keys = []
    for s in settings:
        if s.importance:
            keys.append("offpolicy")
        elif s.batch:
            keys.append("batch")
        elif s.method == "mc":
            keys.append("mc")
        elif s.variant == "offline":
            keys.append("td-lambda:offline")
    return [NOTES[k] for k in dict.fromkeys(keys)]


def _document(
    mdp: MDP, exp: Experiment, policy_spec: str, behavior: str | None,
    results: list[PredictionResult], notes: list[str],
) -> dict:  # fmt: skip
    states = mdp.states
    watch = exp.error_state
    return {
        "file": mdp.source,
        "policy": policy_spec,
        "behavior": behavior,
        "runs": exp.runs,
        "episodes": exp.episodes,
        "seed": exp.seed,
        "init": exp.v0,
        "true_values": dict(zip(states, exp.true_values.tolist(), strict=True)),
        "rms_index": "rms[0] is before the first episode, rms[i] after episode i",
        **(
            {}
            if watch is None
            else {
                "error_state": states[watch],
                "error_state_value": float(exp.true_values[watch]),
                "mse_index": "mse[i]: mean over runs of (V(error_state) − v_π)² after "
                "episode i; state_values: every run's final V(error_state)",
            }
        ),
        "results": [
            {
                **r.setting.parameters(),
                "label": r.setting.label,
                "rms": r.rms,
                "rms_final": float(r.rms[-1]),
                "rms_mean": float(r.rms[1:].mean()),
                "final_values": dict(zip(states, r.final_values.tolist(), strict=True)),
                **({} if watch is None else _state_keys(r, exp.true_values[watch])),
            }
            for r in results
        ],
        "notes": notes,
    }


def _state_keys(result: PredictionResult, v_true: float) -> dict:
    """The error state's curve and every run's final estimate of it."""
    mse = result.mse(v_true)
    return {
        "mse": mse,
        "mse_final": float(mse[-1]),
        "state_values": result.state_runs[:, -1],
    }

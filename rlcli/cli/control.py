"""``rlcli control``: SARSA, Q-learning, Expected SARSA and Double Q-learning on an MDP file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rlcli.cli import console
from rlcli.cli import sweep_options as sweep
from rlcli.cli.common import (
    FileArg,
    SeedOpt,
    csv_target,
    files_written,
    policy,
    report_console,
)
from rlcli.errors import UsageError
from rlcli.learn.methods import CONTROL_METHODS, MC_CONTROL_METHODS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from rlcli.learn.control import ControlResult, ControlSummary
    from rlcli.mdp.model import MDP
    from rlcli.mdp.solve.optimal import Solution


@sweep.run_options(10_000, csv="Write the per-episode returns as CSV.",
             plot="Save the return curves as PNG (matplotlib).")  # fmt: skip
def control(
    file: FileArg,
    method: Annotated[
        str,
        typer.Option("--method", "-m", help=f"{', '.join(CONTROL_METHODS)}, or a comma list."),
    ] = "sarsa,q-learning",
    alpha: Annotated[str, typer.Option(help="Step size(s), comma list.")] = "0.1",
    epsilon: Annotated[str, typer.Option(help="Exploration ε of ε-greedy (comma list).")] = "0.1",
    behavior: Annotated[
        str | None,
        typer.Option(
            "--behavior",
            help="mc-off-policy: episodes follow this (soft) policy instead of ε-greedy in Q.",
        ),
    ] = None,
    runs: sweep.RunsOpt = 10,
    episodes: sweep.EpisodesOpt = 500,
    seed: SeedOpt = 0,
    init: Annotated[
        str, typer.Option("--init", help="Initial action value Q0.", metavar="<float>")
    ] = "0.0",
    start: sweep.StartOpt = None,
    *,
    run: sweep.RunOptions,
) -> None:
    """Learn to act with ε-greedy TD control or Monte Carlo control and compare with the
    optimal policy.

    Prints the mean return (sum of rewards) per episode over runs, the greedy policy
    of the learned Q beside the optimal one from policy iteration, and the distance
    of Q from Q*.
    """
    with sweep.flag_names():
        _control(file, method, alpha, epsilon, behavior, runs, episodes, seed, init, start,
                 run)  # fmt: skip


def _control(
    file: Path, method: str, alpha: str, epsilon: str, behavior: str | None, runs: int,
    episodes: int, seed: int, init_text: str, start: str | None, run: sweep.RunOptions,
) -> None:  # fmt: skip
    from rlcli.learn.control import check_control_size, run_control, summarize
    from rlcli.learn.episodes import start_distribution
    from rlcli.learn.reach import episode_limit
    from rlcli.mdp.solve.greedy import tie_policy
    from rlcli.mdp.solve.optimal import policy_iteration
    from rlcli.render import learning

    run.check_exports()
    init = sweep.initial_value_text(init_text, "--init")
    mdp = run.load(file)
    csv, plot, json = run.csv, run.plot, run.json
    methods = sweep.choices(method, "--method", CONTROL_METHODS)
    alphas = sweep.numbers(alpha, "--alpha", 0.0, 1.0)
    epsilons = sweep.numbers(epsilon, "--epsilon", 0.0, 1.0)
    sweep.positive(runs, "--runs")
    sweep.positive(episodes, "--episodes")
    start_dist = start_distribution(mdp, start)
    max_steps = episode_limit(mdp, run.max_steps, 10_000, None, start_dist)
    if behavior is not None and "mc-off-policy" not in methods:
        raise UsageError("--behavior applies to --method mc-off-policy only")
    b_pi = policy(mdp, behavior, "--behavior") if behavior is not None else None
    settings = _settings(methods, alphas, epsilons, behavior)
    check_control_size(mdp, settings, runs, episodes, max_steps)
    optimal = policy_iteration(mdp)
    results = run_control(mdp, settings, start_dist, runs, episodes, seed, max_steps, init,
                          b_pi)  # fmt: skip
    summaries = [summarize(mdp, r, optimal, start_dist) for r in results]
    window = max(1, episodes // 50)
    if csv is not None:
        learning.write_csv(
            csv_target(csv),
            ["learner", "method", "alpha", "epsilon", "episode", "mean_return"],
            [
                [r.setting.label, r.setting.method, r.setting.alpha, r.setting.epsilon, e + 1,
                 f"{v:.6g}"]
                for r in results
                for e, v in enumerate(r.episode_returns)
            ],
        )  # fmt: skip
    if plot is not None:
        series = learning.control_series(results, window)
        learning.write_png(
            plot, series, "episode", f"sum of rewards (moving average of {window})", mdp.name,
            learning.returns_range(series),
        )  # fmt: skip
    if json:
        from rlcli.render.jsonout import emit

        emit(_document(mdp, optimal, results, summaries, runs, episodes, seed, start_dist))
        return
    v_start = float(start_dist @ optimal.values)
    td_only = not set(methods) & set(MC_CONTROL_METHODS)
    header = (
        f"{mdp.name or file} · {'ε-greedy · ' if td_only else ''}{runs} runs × {episodes} "
        f"episodes · seed {seed} · Q0 = {init:g}\noptimal (policy iteration): V*(start) = "
        f"{learning.num(v_start)}"
    )
    every_optimal = tie_policy(mdp, optimal.optimal.astype(float), tol=0.5)  # the mask's ties
    view = learning.control_view(mdp, results, summaries, optimal, header, window, every_optimal)
    report = report_console(csv)
    learning.print_parts(report, view)
    for note in dict.fromkeys(NOTES[m] for m in methods if m in NOTES):
        report.print(note, style="dim", markup=False)
    if any(r.cut and r.setting.method in MC_CONTROL_METHODS for r in results):
        report.print(MC_CUT, style="dim", markup=False)
    if (wrote := files_written(csv, plot)) is not None:
        console.err.print(wrote, markup=False)


NOTES = {
    "mc-es": "MC ES: each episode starts from a uniformly drawn (state, action) pair, so its "
    "return is not a return from the start state; Q(s, a) is the mean first-visit return.",
    "mc-on-policy": "on-policy MC: ε-greedy (ε-soft) episodes from the start; Q(s, a) is the "
    "mean first-visit return, so it estimates q of the ε-soft policy, not q*.",
    "mc-off-policy": "off-policy MC: weighted importance sampling towards the greedy policy "
    "(S&B §5.7); an episode teaches only its tail after the last non-greedy action.",
}
MC_CUT = ("Monte Carlo learns from an episode cut at --max-steps with the rewards it "
          "collected (a return without its tail).")  # fmt: skip


def _settings(methods: list[str], alphas: list[float], epsilons: list[float],
              behavior: str | None) -> list:  # fmt: skip
    """The grid: method × ε × α, where each applies (not α for MC; not ε for MC ES, nor
    for off-policy MC with a given behaviour policy)."""
    from rlcli.learn.control import ControlSetting

    out = []
    for m in methods:
        fixed_b = m == "mc-off-policy" and behavior is not None
        eps: list[float | None] = [None] if m == "mc-es" or fixed_b else list(epsilons)
        steps: list[float | None] = [None] if m in MC_CONTROL_METHODS else list(alphas)
        out += [ControlSetting(m, a, e, behavior if fixed_b else None)
                for e in eps for a in steps]  # fmt: skip
    return out


def _document(
    mdp: MDP, optimal: Solution, results: list[ControlResult], summaries: list[ControlSummary],
    runs: int, episodes: int, seed: int, start: np.ndarray,
) -> dict:  # fmt: skip
    states = mdp.states
    return {
        "file": mdp.source,
        "runs": runs,
        "episodes": episodes,
        "seed": seed,
        "returns": "episode_returns[i] is the sum of rewards of episode i+1, mean over runs",
        "optimal_values": dict(zip(states, optimal.values.tolist(), strict=True)),
        "optimal_policy": mdp.policy_of_pairs(optimal.policy),
        "optimal_start_value": float(start @ optimal.values),
        "results": [
            {
                **r.setting.parameters(),
                "label": r.setting.label,
                "episode_returns": r.episode_returns,
                "policy": mdp.policy_of_pairs(s.policy),
                "greedy_start_value": s.greedy_value,
                "runs_greedy_optimal": s.greedy_optimal,
                "runs_greedy_never_ends": s.improper,
                "q_rms_error": s.q_rms,
                "q_max_error": s.q_max,
                "cut_episodes": r.cut,
            }
            for r, s in zip(results, summaries, strict=True)
        ],
    }

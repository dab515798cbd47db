"""Learning to act: a sweep of control settings, and how good what they learn is.

``run_control`` runs each method's settings × runs as the rows of one vectorised learner
(``td_control``), one random stream per method, and ``summarize`` measures the result
against the exact solution (Q*, V* from policy iteration).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rlcli.learn.actions import greedy_pairs, pair_table
from rlcli.learn.methods import CONTROL_METHODS, CONTROL_NAMES, MC_CONTROL_METHODS
from rlcli.learn.sizes import check_memory, control_bytes
from rlcli.mdp.model import MDP

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.mdp.solve.optimal import Solution


@dataclass(frozen=True)
class ControlSetting:
    """One learner: a method and its parameters (None where they do not apply: α for
    Monte Carlo, ε for MC ES and for off-policy MC with a given behaviour policy)."""

    method: str
    alpha: float | None
    epsilon: float | None
    behavior: str | None = None  # off-policy MC: the given behaviour policy, as written

    @property
    def label(self) -> str:
        parts = [CONTROL_NAMES[self.method]]
        if self.alpha is not None:
            parts.append(f"α={self.alpha:g}")
        if self.epsilon is not None:
            parts.append(f"ε={self.epsilon:g}")
        if self.behavior is not None:
            parts.append(f"b={self.behavior}")
        return " ".join(parts)

    def parameters(self) -> dict:
        """The JSON parameters: only those that apply."""
        out: dict = {"method": self.method}
        for key, value in (("alpha", self.alpha), ("epsilon", self.epsilon),
                           ("behavior", self.behavior)):  # fmt: skip
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class ControlResult:
    """Per-run episode returns (sum of rewards) and final action values of one setting."""

    setting: ControlSetting
    returns: np.ndarray  # (R, E) sum of rewards of each episode
    lengths: np.ndarray  # (R, E) steps of each episode
    cut: int  # episodes stopped by max_steps
    q: np.ndarray  # (R, K) final Q (Q1 + Q2 halves averaged for Double Q)

    @property
    def episode_returns(self) -> np.ndarray:
        return self.returns.mean(axis=0)


def check_control_size(mdp: MDP, settings: list[ControlSetting], runs: int, episodes: int,
                       max_steps: int = 0) -> None:  # fmt: skip
    """Refuse (before allocating) a sweep whose arrays would not fit in memory."""
    tables = 2 if any(s.method == "double-q" for s in settings) else 1
    mc = sum(s.method in MC_CONTROL_METHODS for s in settings)
    needed = control_bytes(len(settings), runs, episodes, mdp.n_pairs, tables, mc, max_steps)
    check_memory(needed, runs, episodes, len(settings), episode_steps=mc > 0)


def run_control(
    mdp: MDP, settings: list[ControlSetting], start: np.ndarray, runs: int, episodes: int,
    seed: int, max_steps: int, q0: float = 0.0, behavior: np.ndarray | None = None,
) -> list[ControlResult]:  # fmt: skip
    """Every setting's learning, in the order given; one random stream per method.

    ``behavior`` (K,) is the fixed behaviour policy of off-policy MC settings that name one.
    """
    from rlcli.learn.mc_control import MCControl, play_mc
    from rlcli.learn.td_control import LEARNERS, play

    check_control_size(mdp, settings, runs, episodes, max_steps)
    by_method: dict[str, list[ControlSetting]] = {}
    for setting in settings:
        by_method.setdefault(setting.method, []).append(setting)
    streams = np.random.SeedSequence(seed).spawn(len(CONTROL_METHODS))
    results: dict[ControlSetting, ControlResult] = {}
    for method, group in by_method.items():
        rng = np.random.default_rng(streams[CONTROL_METHODS.index(method)])
        epsilon = np.repeat([g.epsilon or 0.0 for g in group], runs)
        if method in LEARNERS:
            alpha = np.repeat([g.alpha for g in group], runs)
            learner = LEARNERS[method](mdp, alpha, epsilon, q0, rng)
            played = play(learner, start, episodes, max_steps)
        else:
            fixed = behavior if group[0].behavior is not None else None
            learner = MCControl(mdp, method, epsilon, q0, rng, behavior=fixed)
            played = play_mc(learner, start, episodes, max_steps)
        q = learner.final_q()
        for i, setting in enumerate(group):
            rows = slice(i * runs, (i + 1) * runs)
            results[setting] = ControlResult(
                setting, played.returns[rows], played.lengths[rows],
                int(played.cut[rows].sum()), q[rows],
            )  # fmt: skip
    return [results[s] for s in settings]


@dataclass(frozen=True)
class ControlSummary:
    """How good the learned values and policies are, measured against the exact solution."""

    tail_return: tuple[float, float]  # mean ± s.e. over runs of the last 10% episodes' return
    greedy_value: float  # mean over runs of v_greedy(start), exact, over runs where it ends
    greedy_optimal: int  # runs whose greedy policy reaches V*(start)
    improper: int  # runs whose greedy policy never terminates (γ = 1)
    q_rms: float  # mean over runs of RMS over pairs of Q − Q*
    q_max: float  # mean over runs of max |Q − Q*|
    policy: np.ndarray  # (K,) greedy policy of the run-averaged Q
    greedy_values: np.ndarray  # (S,) max_a of the run-averaged Q (0 at terminal states)


def off_path(mdp: MDP, pi: np.ndarray, fallback: np.ndarray, start: np.ndarray) -> np.ndarray:
    """π where it can be reached from the start states, ``fallback`` (a proper policy)
    elsewhere: v_π(start) is unchanged, and states π never visits cannot make the policy
    "never terminating" for γ = 1."""
    from rlcli.learn.reach import reachable

    return np.where(reachable(mdp, pi, start)[mdp.pair_state], pi, fallback)


def summarize(
    mdp: MDP, result: ControlResult, optimal: Solution, start: np.ndarray
) -> ControlSummary:
    """Compare one setting's learning with Q*, V*: returns, greedy policies, value errors.

    The greedy policy of each run is evaluated exactly from the start distribution.
    """
    q_star, v_star, pi_star = optimal.q, optimal.values, optimal.policy
    from contextlib import suppress

    from rlcli.errors import RlcliError
    from rlcli.learn.rms import mean_and_stderr
    from rlcli.mdp.solve.evaluate import evaluate_policy

    E = result.returns.shape[1]
    tail = result.returns[:, E - max(1, E // 10) :].mean(axis=1)
    greedy = greedy_pairs(mdp, result.q)
    unique, which = np.unique(greedy, axis=0, return_inverse=True)
    start_values = np.full(len(unique), np.nan)
    for i, pi in enumerate(unique):
        with suppress(RlcliError):  # γ = 1 and the greedy policy loops from start: NaN
            start_values[i] = start @ evaluate_policy(mdp, off_path(mdp, pi, pi_star, start)).values
    per_run = start_values[np.ravel(which)]
    v_opt = float(start @ v_star)
    gap = result.q - q_star
    mean_q = result.q.mean(axis=0)
    policy = greedy_pairs(mdp, mean_q[None, :])[0]
    table = pair_table(mdp)
    padded = np.append(mean_q, -np.inf)[table]
    best = np.where(mdp.terminal, 0.0, padded.max(axis=1))
    return ControlSummary(
        mean_and_stderr(tail),
        float(np.nanmean(per_run)) if not np.isnan(per_run).all() else float("nan"),
        int(np.sum(np.abs(per_run - v_opt) <= 1e-6 * max(1.0, abs(v_opt)))),
        int(np.isnan(per_run).sum()),
        float(np.sqrt((gap**2).mean(axis=1)).mean()),
        float(np.abs(gap).max(axis=1).mean()),
        policy,
        best,
    )

"""Run a sweep of prediction settings on shared episodes and score them against v_π.

Settings of one method family (same method, variant, visit rule) learn together as the
rows of one (settings × runs, S) array, with no Python loop over runs or settings. Episodes
come in chunks of many episodes of every run: Monte Carlo and importance sampling learn a
whole chunk at once (``visits``) and compute the error after each of its episodes afterwards
(``rms.errors_after_each_episode``); TD(0), and on-policy MC with many rows, read each
run's episodes as one stream of steps (``stream``); the other TD methods loop over the time
steps of each episode.
Every family reads the same episodes (the stream depends only on the seed, runs and
episodes), so the settings are compared on common random numbers and a setting's values
do not depend on what else is in the sweep. One exception in the last bit: on-policy MC
switches from chunks to streams at ``STREAM_MC_ROWS`` rows of its family, and the two add
up the squared errors in different orders, so adding MC settings can move an MC setting's
RMS error by one unit in the last place (its values stay the same floats).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from rlcli.errors import UsageError
from rlcli.learn.batch import BatchData, batch_mc_chunk, batch_td_chunk
from rlcli.learn.episodes import Chunk, Episode, iter_chunks
from rlcli.learn.mc import mc_chunk
from rlcli.learn.methods import PREDICTION_METHODS, TD_LAMBDA_VARIANTS
from rlcli.learn.nstep import nstep_episode
from rlcli.learn.offpolicy import importance_chunk, ratios
from rlcli.learn.rms import errors_after_each_episode, rms_error
from rlcli.learn.sizes import check_memory, prediction_bytes
from rlcli.learn.steps import Rows
from rlcli.learn.stream import Kinds, stream_chunk
from rlcli.learn.td_lambda import (
    offline_lambda_return_episode,
    traces_episode,
    true_online_episode,
)
from rlcli.mdp.model import MDP


@dataclass(frozen=True)
class Setting:
    """One learner: a method and its parameters (None where they do not apply)."""

    method: str  # mc | td | nstep | td-lambda
    alpha: float | None = None  # None: sample averages, α = 1/N(s)
    n: int | None = None  # nstep
    lam: float | None = None  # td-lambda
    variant: str | None = None  # td-lambda: offline | accumulating | replacing | true-online
    visit: str | None = None  # mc: first | every
    batch: bool = False  # td, mc: batch updating
    importance: str | None = None  # off-policy mc: ordinary | weighted
    init: float | None = None  # V0 of this learner; None: the experiment's ``v0``

    def __post_init__(self) -> None:
        if self.method not in PREDICTION_METHODS:
            raise UsageError(
                f"unknown prediction method {self.method!r} ({', '.join(PREDICTION_METHODS)})"
            )
        if self.method == "td-lambda" and self.variant not in TD_LAMBDA_VARIANTS:
            raise UsageError(f"TD(λ) variant must be one of {', '.join(TD_LAMBDA_VARIANTS)}")

    @property
    def family(self) -> tuple:
        return (self.method, self.variant, self.visit, self.batch, self.importance is not None,
                self.init)  # fmt: skip

    @property
    def name(self) -> str:
        """The method and its variant, in words."""
        if self.importance:
            return f"off-policy {self.visit}-visit MC, {self.importance} importance sampling"
        if self.batch:
            return "batch TD(0)" if self.method == "td" else f"batch {self.visit}-visit MC"
        if self.method == "mc":
            kind = "sample-average" if self.alpha is None else "constant-α"
            return f"{self.visit}-visit {kind} MC"
        if self.method == "td":
            return "TD(0)"
        if self.method == "nstep":
            return "n-step TD"
        if self.variant == "offline":
            return "offline λ-return (start-of-episode values)"
        return (
            f"TD(λ), {self.variant} traces"
            if self.variant != "true-online"
            else ("true online TD(λ)")
        )

    @property
    def label(self) -> str:
        """Name and parameters, e.g. ``n-step TD n=4 α=0.4``."""
        parts = [self.name]
        if self.n is not None:
            parts.append(f"n={self.n}")
        if self.lam is not None:
            parts.append(f"λ={self.lam:g}")
        if not self.batch and not self.importance:
            parts.append("α=1/N(s)" if self.alpha is None else f"α={self.alpha:g}")
        if self.init is not None:
            parts.append(f"V0={self.init:g}")
        return " ".join(parts)

    def parameters(self) -> dict:
        """The JSON parameters: only those that apply. ``alpha`` is a number, or null with
        ``step_size: "1/n"`` for sample averages (``step_size: "constant"`` otherwise)."""
        out: dict = {"method": self.method}
        if not self.batch and not self.importance:
            out["alpha"] = self.alpha
            out["step_size"] = "1/n" if self.alpha is None else "constant"
        for key, value in (
            ("n", self.n), ("lambda", self.lam), ("variant", self.variant),
            ("visit", self.visit), ("importance", self.importance),
        ):  # fmt: skip
            if value is not None:
                out[key] = value
        if self.batch:
            out["batch"] = True
        if self.init is not None:
            out["init"] = self.init
        return out

    def v0(self, default: float) -> float:
        """This learner's initial value of the non-terminal states."""
        return default if self.init is None else self.init


@dataclass(frozen=True)
class PredictionResult:
    """One setting's learning curve: RMS per episode (index 0: before learning)."""

    setting: Setting
    rms_runs: np.ndarray  # (R, E+1)
    final_values: np.ndarray  # (S,) mean over runs
    cut: int = 0  # episodes (of runs × episodes) stopped by max_steps before a terminal state
    state_runs: np.ndarray | None = None  # (R, E+1) V(error_state) per run, with error_state
    rms: np.ndarray = field(init=False)  # (E+1,) mean over runs

    def __post_init__(self) -> None:
        object.__setattr__(self, "rms", self.rms_runs.mean(axis=0))

    def mse(self, v_true: float) -> np.ndarray:
        """(E+1,) mean over runs of (V(s) − v_π(s))² for the error state s (S&B Fig 5.3)."""
        if self.state_runs is None:
            raise ValueError("the experiment recorded no error_state")
        return np.mean((self.state_runs - v_true) ** 2, axis=0)


@dataclass(frozen=True)
class Experiment:
    """What the runs share: the MDP, target policy, episodes and initial value."""

    mdp: MDP
    pi: np.ndarray  # (K,) target policy
    true_values: np.ndarray  # (S,) exact v_π
    start: np.ndarray  # (S,) start distribution
    runs: int
    episodes: int
    seed: int
    v0: float = 0.0
    max_steps: int = 100_000
    behavior: np.ndarray | None = None  # (K,) episodes follow this policy (off-policy MC)
    error_state: int | None = None  # also record V(error_state) per run after each episode


def families_of(settings: list[Setting]) -> dict[tuple, list[Setting]]:
    """Settings grouped by method family (they learn together), in order of first appearance."""
    families: dict[tuple, list[Setting]] = {}
    for setting in settings:
        families.setdefault(setting.family, []).append(setting)
    return families


def passes_of(settings: list[Setting], runs: int) -> list[list[Setting]]:
    """The groups of settings that learn together: every family that learns from run
    streams in one pass (``stream``: one Python loop for TD(0) and MC alike), each other
    family on its own."""
    streamed: list[Setting] = []
    passes: list[list[Setting]] = []
    for group in families_of(settings).values():
        if _streamed(group[0], len(group) * runs):
            streamed += group
        else:
            passes.append(group)
    return ([streamed] if streamed else []) + passes


def check_size(exp: Experiment, settings: list[Setting], mean_length: float = 1.0) -> None:
    """Refuse (before allocating) a sweep whose arrays would not fit in memory.

    ``mean_length`` is the expected episode length (1, a lower bound, when not known).
    """
    families = families_of(settings).values()
    largest = max(passes_of(settings, exp.runs), key=len)
    needed = prediction_bytes(
        len(settings), len(largest), exp.runs, exp.episodes, exp.mdp.n_states, mean_length,
        exp.max_steps, batch_td=any(g[0].batch and g[0].method == "td" for g in families),
        curves_per_learner=1 if exp.error_state is None else 2,
    )  # fmt: skip
    check_memory(needed, exp.runs, exp.episodes, len(settings))


def run_prediction(exp: Experiment, settings: list[Setting]) -> list[PredictionResult]:
    """Every setting's RMS curve and final values, in the order given."""
    check_size(exp, settings)
    if any((s.importance is not None) != (exp.behavior is not None) for s in settings):
        raise UsageError("importance sampling needs a behaviour policy, and only it uses one")
    results: dict[Setting, PredictionResult] = {}
    cache = EpisodeCache(exp)
    with np.errstate(over="ignore", invalid="ignore"):  # diverging settings report inf/NaN
        for group in passes_of(settings, exp.runs):
            for result in _run_family(exp, group, cache):
                results[result.setting] = result
    return [results[s] for s in settings]


class EpisodeCache:
    """The episode stream in chunks, kept in memory for the next family while it is small."""

    LIMIT = 20_000_000  # array elements kept

    def __init__(self, exp: Experiment) -> None:
        self.exp = exp
        self.kept: list[Chunk] | None = []
        self.complete = False

    def __iter__(self) -> Iterator[Chunk]:
        if self.complete and self.kept is not None:
            yield from self.kept
            return
        exp, size = self.exp, 0
        policy = exp.behavior if exp.behavior is not None else exp.pi
        for chunk in iter_chunks(
            exp.mdp, policy, exp.start, exp.runs, exp.episodes, exp.seed, exp.max_steps
        ):
            if self.kept is not None:
                size += 4 * chunk.states.size
                self.kept = self.kept if size <= self.LIMIT else None
                if self.kept is not None:
                    self.kept.append(chunk)
            yield chunk
        self.complete = self.kept is not None


def _run_family(exp: Experiment, group: list[Setting], chunks: EpisodeCache
                ) -> list[PredictionResult]:  # fmt: skip
    """One pass (``passes_of``: a family, or the families that learn from run streams)
    learns from the chunks of episodes: run streams (``stream``), batch updating and Monte
    Carlo / importance sampling a whole chunk at a time (``batch``, ``visits``), the other
    methods episode by episode."""
    mdp, R, P = exp.mdp, exp.runs, len(group)
    B, S = P * R, mdp.n_states
    first = group[0]
    v0 = first.v0(exp.v0)

    def each(values: list) -> np.ndarray:
        return np.repeat(np.array(values, dtype=float), R)

    V = np.where(mdp.terminal, 0.0, each([s.v0(exp.v0) for s in group])[:, None])

    rows = Rows(
        run=np.tile(np.arange(R), P),
        alpha=each([np.nan if s.alpha is None else s.alpha for s in group]),
        visits=np.zeros((B, S)),
    )
    n = each([s.n or 1 for s in group]).astype(np.int64)
    lam = each([s.lam or 0.0 for s in group])
    gamma, terminal, watch = mdp.gamma, mdp.terminal, exp.error_state
    batch_data = BatchData.empty(R, S, td=first.method == "td") if first.batch else None
    if first.importance:
        ratio = ratios(mdp, exp.pi, exp.behavior)
        weighted = np.repeat([s.importance == "weighted" for s in group], R)
        sums = np.zeros((3, B, S))
    streamed = _streamed(first, B)
    if streamed:
        mc = each([s.method == "mc" for s in group]) > 0
        kinds = Kinds(mc, mc & (each([s.visit == "first" for s in group]) > 0))
    whole_chunks = first.importance is not None or (first.method == "mc" and not first.batch)
    curve = np.zeros((B, exp.episodes + 1))
    curve[:, 0] = rms_error(V, exp.true_values, terminal)
    state = None if watch is None else np.zeros((B, exp.episodes + 1))
    if state is not None:
        state[:, 0] = V[:, watch]
    cut = 0
    for chunk in chunks:
        cut += int(chunk.cut.sum())
        done = slice(chunk.first + 1, chunk.first + 1 + chunk.count)
        if streamed or first.batch:
            if streamed:
                errors, watched = stream_chunk(V, chunk, rows, gamma, kinds, exp.true_values,
                                               terminal, watch)  # fmt: skip
            else:
                errors, watched = _batch_chunk(first, V, chunk, rows, batch_data, v0, gamma,
                                               exp.true_values, terminal, watch)  # fmt: skip
            curve[:, done] = errors.T
            if state is not None:
                state[:, done] = watched.T
            continue
        if not whole_chunks:
            for i in range(chunk.count):
                episode = chunk.episode(i)
                _learn_episode(first, V, episode, rows, n, lam, gamma)
                curve[:, episode.index + 1] = rms_error(V, exp.true_values, terminal)
                if state is not None:
                    state[:, episode.index + 1] = V[:, watch]
            continue
        for part in _parts(chunk, P):
            start = V.copy()
            if first.importance:
                written = importance_chunk(
                    V, part, sums, ratio, weighted, first.visit == "first", v0, terminal,
                    rows.run,
                )  # fmt: skip
            else:
                written = mc_chunk(V, part, rows, first.visit == "first")
            errors, watched = errors_after_each_episode(
                start, written, part.count, exp.true_values, terminal, watch
            )
            done = slice(part.first + 1, part.first + 1 + part.count)
            curve[:, done] = errors.T
            if state is not None:
                state[:, done] = watched.T
    parts = [slice(i * R, (i + 1) * R) for i in range(P)]
    return [
        PredictionResult(
            setting, curve[p], V[p].mean(axis=0), cut, None if state is None else state[p]
        )
        for setting, p in zip(group, parts, strict=True)
    ]


def _batch_chunk(
    first: Setting, V: np.ndarray, chunk: Chunk, rows: Rows, data: BatchData, v0: float,
    gamma: float, v_true: np.ndarray, terminal: np.ndarray, watch: int | None,
) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
    """A batch family learns a chunk: V after its last episode, in place; the errors (and
    V(watch)) of every row after each episode, (count, B)."""
    if first.method == "td":
        per_run = batch_td_chunk(chunk, data, v0, gamma, terminal)
    else:
        per_run = batch_mc_chunk(chunk, data, v0, first.visit == "first", terminal)
    values = per_run[:, rows.run]  # (count, B, S): rows of one run share its statistics
    count, B, S = values.shape
    V[:] = values[-1]
    errors = rms_error(values.reshape(-1, S), v_true, terminal).reshape(count, B)
    return errors, None if watch is None else values[:, :, watch]


# On-policy MC learns from run streams (``stream``) with at least this many rows, else
# whole chunks at a time (``visits``). A stream costs ≈ 20–30 µs per position whatever the
# rows; a chunk ≈ 0.4 µs per update (rows × steps). Measured (CPU s, stream vs chunks):
# random walk 5, 7 α × 100 runs = 700 rows, 100 episodes: 0.047 vs 0.094; random walk 19,
# 100 rows, 1/n: 0.54 vs 0.45; blackjack, 100 rows (many states, one-step episodes): 0.20
# vs 0.09; one row: chunks by far.
STREAM_MC_ROWS = 256


def _streamed(first: Setting, rows: int) -> bool:
    """Whether a family learns from run streams: TD(0) always (never more Python
    iterations than episode by episode), on-policy MC with many rows."""
    if first.batch or first.importance:
        return False
    return first.method == "td" or (first.method == "mc" and rows >= STREAM_MC_ROWS)


MAX_UPDATES = 1 << 20  # updates learned together (each holds ~15 numbers while it is applied)


def _parts(chunk: Chunk, settings: int) -> Iterator[Chunk]:
    """The chunk in runs of whole episodes of at most ``MAX_UPDATES`` updates (time steps ×
    settings; one episode at least), so a sweep of many settings stays within memory."""
    steps = chunk.length.reshape(chunk.count, chunk.runs).sum(axis=1) * settings
    ends = np.cumsum(steps)
    start = 0
    while start < chunk.count:
        done = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, done + MAX_UPDATES, side="right")))
        yield chunk.part(start, stop)
        start = stop


def _learn_episode(first: Setting, V: np.ndarray, episode: Episode, rows: Rows, n: np.ndarray,
                   lam: np.ndarray, gamma: float) -> None:  # fmt: skip
    """One episode of every run, for the methods that learn episode by episode."""
    if first.method == "nstep":
        nstep_episode(V, episode, rows, n, gamma)
    elif first.variant == "offline":
        offline_lambda_return_episode(V, episode, rows, lam, gamma)
    elif first.variant == "true-online":
        true_online_episode(V, episode, rows, lam, gamma)
    else:
        traces_episode(V, episode, rows, lam, gamma, replacing=first.variant == "replacing")

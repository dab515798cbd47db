"""TD control with ε-greedy behaviour: SARSA, Q-learning, Expected SARSA, Double Q-learning.

S&B §6.4–6.7. Runs (and settings of one method) advance together: row b is one
(setting, run); each row plays its episodes back to back, and a row whose episode ends
starts the next one at once, so the loop is over time steps only. Q is a flat
(rows × (K+1)) array indexed b·(K+1) + k, column K holding −∞ as the padding of the
(S, max actions) pair table, so "the actions of s" is one gather.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rlcli.learn.episodes import Sampler
from rlcli.mdp.model import MDP

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.mdp.solve.optimal import Solution

METHODS = ("sarsa", "q-learning", "expected-sarsa", "double-q")
NAMES = {
    "sarsa": "SARSA",
    "q-learning": "Q-learning",
    "expected-sarsa": "Expected SARSA",
    "double-q": "Double Q-learning",
}


@dataclass(frozen=True)
class ControlSetting:
    method: str
    alpha: float
    epsilon: float

    @property
    def label(self) -> str:
        return f"{NAMES[self.method]} α={self.alpha:g} ε={self.epsilon:g}"

    def parameters(self) -> dict:
        return {"method": self.method, "alpha": self.alpha, "epsilon": self.epsilon}


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


def pair_table(mdp: MDP) -> np.ndarray:
    """(S, max actions) pair indices of each state's actions, padded with K."""
    counts = mdp.n_actions_of
    width = max(int(counts.max(initial=0)), 1)
    table = np.full((mdp.n_states, width), mdp.n_pairs, dtype=np.int64)
    slot = np.arange(mdp.n_pairs) - mdp.pair_ptr[mdp.pair_state]
    table[mdp.pair_state, slot] = np.arange(mdp.n_pairs)
    return table


def _argmax_random_ties(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Column of the maximum in each row, ties broken uniformly at random."""
    ties = values == values.max(axis=1, keepdims=True)
    return np.argmax(np.where(ties, rng.random(values.shape), -1.0), axis=1)


def greedy_pairs(mdp: MDP, q: np.ndarray) -> np.ndarray:
    """(R, K) deterministic greedy policies of Q (R, K); ties go to the first action."""
    table = pair_table(mdp)
    live = mdp.n_actions_of > 0
    padded = np.concatenate([q, np.full((len(q), 1), -np.inf)], axis=1)
    best = np.argmax(padded[:, table[live]], axis=2)  # (R, live states)
    pi = np.zeros_like(q)
    rows = np.arange(len(q))[:, None]
    pi[rows, table[live][np.arange(live.sum())[None, :], best]] = 1.0
    return pi


def run_control(
    mdp: MDP, settings: list[ControlSetting], start: np.ndarray, runs: int, episodes: int,
    seed: int, max_steps: int, q0: float = 0.0,
) -> list[ControlResult]:  # fmt: skip
    """Every setting's learning, in the order given; one random stream per method."""
    by_method: dict[str, list[ControlSetting]] = {}
    for setting in settings:
        by_method.setdefault(setting.method, []).append(setting)
    streams = np.random.SeedSequence(seed).spawn(len(METHODS))
    results: dict[ControlSetting, ControlResult] = {}
    for method, group in by_method.items():
        rng = np.random.default_rng(streams[METHODS.index(method)])
        for result in _learn(mdp, method, group, start, runs, episodes, rng, max_steps, q0):
            results[result.setting] = result
    return [results[s] for s in settings]


def _learn(
    mdp: MDP, method: str, group: list[ControlSetting], start: np.ndarray, runs: int,
    episodes: int, rng: np.random.Generator, max_steps: int, q0: float,
) -> list[ControlResult]:  # fmt: skip
    sampler = Sampler.of(mdp)
    table = pair_table(mdp)
    K1 = mdp.n_pairs + 1
    B = len(group) * runs
    alpha = np.repeat([g.alpha for g in group], runs)
    epsilon = np.repeat([g.epsilon for g in group], runs)
    n_tables = 2 if method == "double-q" else 1
    Q = np.full((n_tables, B, K1), q0)
    Q[:, :, -1] = -np.inf  # padding column
    flat_q = Q.reshape(-1)
    n_actions, gamma, terminal = mdp.n_actions_of, mdp.gamma, mdp.terminal

    def values_of(b: np.ndarray, s: np.ndarray, which: int | None = None) -> np.ndarray:
        """(L, width) Q of the actions of s in rows b (summed tables when which is None)."""
        cols = b[:, None] * K1 + table[s]
        if which is not None:
            return flat_q[which * B * K1 + cols]
        return sum(flat_q[i * B * K1 + cols] for i in range(n_tables))

    def choose(b: np.ndarray, s: np.ndarray) -> np.ndarray:
        """ε-greedy pair in state s for rows b (S&B §2.2), greedy ties broken at random."""
        greedy = _argmax_random_ties(values_of(b, s), rng)
        explore = rng.random(len(b)) < epsilon[b]
        j = np.where(explore, (rng.random(len(b)) * n_actions[s]).astype(np.int64), greedy)
        return table[s, j]

    s, k = np.zeros(B, dtype=np.int64), np.zeros(B, dtype=np.int64)
    ret, steps, count = np.zeros(B), np.zeros(B, dtype=np.int64), np.zeros(B, dtype=np.int64)
    returns, lengths = np.zeros((B, episodes)), np.zeros((B, episodes), dtype=np.int64)
    cut = np.zeros(B, dtype=np.int64)

    def begin(rows: np.ndarray) -> None:
        """Draw the next start state of rows b; an episode that starts in a terminal state
        is over at once (length 0, return 0) and the next one is drawn."""
        s[rows] = sampler.start(start, rng.random(len(rows)))
        empty = rows[terminal[s[rows]] & (count[rows] < episodes)]
        while len(empty):
            count[empty] += 1
            empty = empty[count[empty] < episodes]
            s[empty] = sampler.start(start, rng.random(len(empty)))
            empty = empty[terminal[s[empty]]]
        if method == "sarsa":
            ready = rows[~terminal[s[rows]]]
            k[ready] = choose(ready, s[ready])

    begin(np.arange(B))
    live = np.flatnonzero(count < episodes)
    while len(live):
        if method != "sarsa":
            k[live] = choose(live, s[live])
        kl = k[live]
        z = sampler.outcome(kl, rng.random(len(live)))
        s_next, r = mdp.out_next[z], mdp.out_reward[z]
        ended = terminal[s_next]
        going = ~ended
        target = r.copy()
        a = alpha[live]
        if method == "sarsa":  # S&B eq. 6.7: R + γQ(S', A')
            k_next = kl.copy()
            k_next[going] = choose(live[going], s_next[going])
            target[going] += gamma * flat_q[live[going] * K1 + k_next[going]]
        elif method == "q-learning":  # S&B eq. 6.8: R + γ max_a Q(S', a)
            target[going] += gamma * values_of(live[going], s_next[going]).max(axis=1)
        elif method == "expected-sarsa":  # S&B eq. 6.9: R + γ Σ_a π(a|S') Q(S', a)
            q_next = values_of(live[going], s_next[going])
            eps, n_a = epsilon[live[going]], n_actions[s_next[going]]
            ties = q_next == q_next.max(axis=1, keepdims=True)
            probs = np.where(np.isfinite(q_next), (eps / n_a)[:, None], 0.0)
            probs += ties * ((1 - eps) / ties.sum(axis=1))[:, None]
            finite = np.where(np.isfinite(q_next), q_next, 0.0)
            target[going] += gamma * np.sum(probs * finite, axis=1)
        which = np.zeros(len(live), dtype=np.int64)
        if method == "double-q":  # S&B §6.7: Q1(S,A) += α[R + γQ2(S', argmax_a Q1(S', a)) − Q1]
            which = (rng.random(len(live)) < 0.5).astype(np.int64)
            g, w = live[going], which[going]
            own = np.where(w[:, None] == 0, values_of(g, s_next[going], 0),
                           values_of(g, s_next[going], 1))  # fmt: skip
            best = table[s_next[going], _argmax_random_ties(own, rng)]
            target[going] += gamma * flat_q[(1 - w) * B * K1 + g * K1 + best]
        here = which * B * K1 + live * K1 + kl
        flat_q[here] += a * (target - flat_q[here])
        if method == "sarsa":
            k[live] = k_next
        ret[live] += r
        steps[live] += 1
        s[live] = s_next
        stop = ended | (steps[live] >= max_steps)
        if stop.any():
            done = live[stop]
            returns[done, count[done]] = ret[done]
            lengths[done, count[done]] = steps[done]
            cut[done] += ~ended[stop]
            count[done] += 1
            ret[done], steps[done] = 0.0, 0
            begin(done)
            live = live[count[live] < episodes]
    q = Q[:, :, :-1].mean(axis=0) if n_tables == 2 else Q[0, :, :-1]
    results = []
    for i, setting in enumerate(group):
        rows = slice(i * runs, (i + 1) * runs)
        results.append(
            ControlResult(setting, returns[rows], lengths[rows], int(cut[rows].sum()), q[rows])
        )
    return results


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

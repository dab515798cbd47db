"""Monte Carlo control (S&B ch. 5): exploring starts, on-policy ε-soft, off-policy weighted IS.

Learning rows (one setting, one run each) play episode e together: the Python loops run
over the steps of an episode, never over runs. After the episode each row updates its Q:

- ``mc-es`` (§5.3): the first pair (S₀, A₀) is uniform over every pair of the non-terminal
  states, later actions greedy in Q (random ties); Q(s, a) is the average of the
  first-visit returns from (s, a);
- ``mc-on-policy`` (§5.4): actions ε-greedy in Q (an ε-soft policy), episodes start from the
  start distribution; Q(s, a) the average of the first-visit returns;
- ``mc-off-policy`` (§5.7): episodes follow the behaviour b (ε-greedy in Q at the episode's
  start, or a fixed soft policy); backwards, G ← γG + R, C(S,A) += W,
  Q(S,A) += W/C [G − Q(S,A)], π(S) ← argmax_a Q(S, a) (ties: the first action); stop where
  A ≠ π(S), else W ← W/b(A|S). With a fixed target policy π instead (``target``), W ←
  W π(A|S)/b(A|S): weighted importance sampling of q_π (§5.6).

An episode cut at ``max_steps`` is learned from with the rewards it collected (its return
has no tail); the number of such episodes is reported as ``cut``.
"""

from __future__ import annotations

import numpy as np

from rlcli.learn.actions import (
    argmax_random_ties,
    epsilon_greedy_probs,
    epsilon_greedy_slot,
    padded_values,
    pair_table,
)
from rlcli.learn.episodes import Sampler, discounted_returns
from rlcli.learn.errors import SettingError
from rlcli.learn.steps import first_visits
from rlcli.learn.td_control import Played
from rlcli.mdp.model import MDP


class EpisodeBatch:
    """One episode of every row: (B, T) pairs (−1 past the end), rewards, the behaviour's
    probability of each action taken, and (B,) lengths and cut flags."""

    def __init__(self, pairs: np.ndarray, rewards: np.ndarray, b_prob: np.ndarray,
                 length: np.ndarray, cut: np.ndarray) -> None:  # fmt: skip
        self.pairs, self.rewards, self.b_prob = pairs, rewards, b_prob
        self.length, self.cut = length, cut


def first_visit_average(q: np.ndarray, sums: np.ndarray, counts: np.ndarray,
                        ep: EpisodeBatch, gamma: float) -> None:  # fmt: skip
    """Q(s, a) ← mean of the first-visit returns G_t from (s, a) so far (S&B §5.3–5.4).

    ``q`` (B, K+1) padded, ``sums``/``counts`` (B, K) running totals, updated in place.
    """
    B, T = ep.pairs.shape
    if T == 0:
        return
    returns = discounted_returns(ep.rewards, gamma)[:, :T]
    keys = np.concatenate([np.maximum(ep.pairs, 0), np.zeros((B, 1), dtype=np.int64)], axis=1)
    first = first_visits(keys, ep.length, q.shape[1])
    rows = np.broadcast_to(np.arange(B)[:, None], (B, T))[first]
    pairs = ep.pairs[first]
    np.add.at(sums, (rows, pairs), returns[first])
    np.add.at(counts, (rows, pairs), 1)
    seen = counts > 0
    q[:, :-1] = np.where(seen, sums / np.where(seen, counts, 1), q[:, :-1])


def weighted_is_update(mdp: MDP, q: np.ndarray, c: np.ndarray, ep: EpisodeBatch,
                       target: np.ndarray | None = None) -> None:  # fmt: skip
    """Off-policy MC with weighted importance sampling, backwards through the episode
    (S&B §5.6–5.7, incremental): C(S,A) += W; Q(S,A) += W/C [G − Q(S,A)].

    ``target`` None: π is greedy in Q (ties to the first action), updated as Q changes,
    and the episode stops counting where A_t ≠ π(S_t); else W ← W π(A|S)/b(A|S) for the
    fixed (K,) target π. ``q`` (B, K+1) padded and ``c`` (B, K) updated in place.
    """
    B, T = ep.pairs.shape
    table = pair_table(mdp)
    G, W = np.zeros(B), np.ones(B)
    counting = np.ones(B, dtype=bool)
    for t in range(T - 1, -1, -1):
        rows = np.flatnonzero(counting & (ep.length > t))
        if not len(rows):
            continue
        G[rows] = mdp.gamma * G[rows] + ep.rewards[rows, t]
        k = ep.pairs[rows, t]
        c[rows, k] += W[rows]
        q[rows, k] += W[rows] / c[rows, k] * (G[rows] - q[rows, k])
        if target is None:
            states = mdp.pair_state[k]
            best = table[states, np.argmax(q[rows[:, None], table[states]], axis=1)]
            pi = (best == k).astype(float)
        else:
            pi = target[k]
        W[rows] *= pi / ep.b_prob[rows, t]
        counting[rows[pi == 0]] = False


class MCControl:
    """Q of B rows and how their episodes are played (see the module docstring)."""

    def __init__(self, mdp: MDP, method: str, epsilon: np.ndarray, q0: float,
                 rng: np.random.Generator, behavior: np.ndarray | None = None,
                 target: np.ndarray | None = None) -> None:  # fmt: skip
        self.mdp, self.method, self.rng = mdp, method, rng
        self.epsilon = epsilon
        self.behavior, self.target = behavior, target
        self.table = pair_table(mdp)
        self.sampler = Sampler.of(mdp)
        B = len(epsilon)
        self.q = padded_values(B, mdp.n_pairs, q0)[0]
        self.sums, self.counts = np.zeros((B, mdp.n_pairs)), np.zeros((B, mdp.n_pairs))
        if behavior is not None:
            if (behavior <= 0).any():
                k = int(np.flatnonzero(behavior <= 0)[0])
                raise SettingError(
                    "{behavior} must give every action a positive probability (off-policy MC "
                    "control may learn any action, S&B §5.7): b({action}|{state}) = 0",
                    action=mdp.actions[mdp.pair_action[k]], state=mdp.states[mdp.pair_state[k]],
                )  # fmt: skip
            self.behavior_table = self.sampler.action_table(behavior)
        self.live_pairs = np.flatnonzero(~mdp.terminal[mdp.pair_state])

    def exploring_starts(self, n: int) -> np.ndarray:
        """(S₀, A₀) uniform over the pairs of non-terminal states, for n rows."""
        pick = (self.rng.random(n) * len(self.live_pairs)).astype(np.int64)
        return self.live_pairs[pick]

    def act(self, rows: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A_t in S_t for each row, and the probability b(A_t|S_t) the behaviour gave it."""
        if self.behavior is not None:
            pairs = self.sampler.action(self.behavior_table, states, self.rng.random(len(rows)))
            return pairs, self.behavior[pairs]
        values = self.q[rows[:, None], self.table[states]]
        n_actions = self.mdp.n_actions_of[states]
        if self.method == "mc-es":  # greedy
            slot = argmax_random_ties(values, self.rng)
            return self.table[states, slot], np.ones(len(rows))
        eps = self.epsilon[rows]
        slot = epsilon_greedy_slot(values, eps, n_actions, self.rng)
        probs = epsilon_greedy_probs(values, eps, n_actions)
        return self.table[states, slot], probs[np.arange(len(rows)), slot]

    def episode(self, start: np.ndarray, max_steps: int) -> EpisodeBatch:
        """One episode of every row under its current policy."""
        mdp, rng, sampler = self.mdp, self.rng, self.sampler
        B = len(self.epsilon)
        rows = np.arange(B)
        forced = self.exploring_starts(B) if self.method == "mc-es" else None
        if forced is not None:
            state = mdp.pair_state[forced]
        else:
            state = sampler.start(start, rng.random(B))
        pair_cols, reward_cols, prob_cols = [], [], []
        length = np.zeros(B, dtype=np.int64)
        live = rows[~mdp.terminal[state]]
        for t in range(max_steps):
            if not len(live):
                break
            if t == 0 and forced is not None:
                pairs, b_prob = forced[live], np.ones(len(live))
            else:
                pairs, b_prob = self.act(live, state[live])
            outcome = sampler.outcome(pairs, rng.random(len(live)))
            k, r, p = np.full(B, -1), np.zeros(B), np.ones(B)
            k[live], r[live], p[live] = pairs, mdp.out_reward[outcome], b_prob
            state[live] = mdp.out_next[outcome]
            length[live] = t + 1
            pair_cols.append(k)
            reward_cols.append(r)
            prob_cols.append(p)
            live = live[~mdp.terminal[state[live]]]
        cut = np.zeros(B, dtype=bool)
        cut[live] = True

        def stack(cols: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.stack(cols, axis=1) if cols else np.zeros((B, 0), dtype=dtype)

        return EpisodeBatch(stack(pair_cols, np.int64), stack(reward_cols, float),
                            stack(prob_cols, float), length, cut)  # fmt: skip

    def learn(self, ep: EpisodeBatch) -> None:
        if self.method == "mc-off-policy":
            weighted_is_update(self.mdp, self.q, self.counts, ep, self.target)
        else:
            first_visit_average(self.q, self.sums, self.counts, ep, self.mdp.gamma)

    def final_q(self) -> np.ndarray:
        return self.q[:, :-1]


def play_mc(learner: MCControl, start: np.ndarray, episodes: int, max_steps: int) -> Played:
    """Every row plays ``episodes`` episodes, learning after each."""
    B = len(learner.epsilon)
    returns, lengths = np.zeros((B, episodes)), np.zeros((B, episodes), dtype=np.int64)
    cut = np.zeros(B, dtype=np.int64)
    for e in range(episodes):
        ep = learner.episode(start, max_steps)
        learner.learn(ep)
        returns[:, e] = ep.rewards.sum(axis=1)
        lengths[:, e] = ep.length
        cut += ep.cut
    return Played(returns, lengths, cut)

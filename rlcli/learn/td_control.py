"""TD control with ε-greedy behaviour: SARSA, Q-learning, Expected SARSA, Double Q-learning.

S&B §6.4–6.7. A learning row is one (setting, run) of one method; all rows advance
together, each playing its episodes back to back: a row whose episode ends starts the
next one at once, so the Python loop is over time steps only (``play``). Each method is a
small class with its two moves: pick A_t in S_t (``act``) and update Q(S_t, A_t) from
the step's outcome (``learn``), the latter through its target in ``targets``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcli.learn.actions import (
    argmax_random_ties,
    epsilon_greedy_probs,
    epsilon_greedy_slot,
    padded_values,
    pair_table,
)
from rlcli.learn.episodes import Sampler
from rlcli.learn.targets import (
    double_q_target,
    expected_sarsa_target,
    q_learning_target,
    sarsa_target,
)
from rlcli.mdp.model import MDP


class TDControl:
    """Q tables of B learning rows, ε-greedy action choice and the update of one method.

    ``Q[table, row, pair]``; column K is the −∞ padding (see ``actions``). One table
    except for Double Q-learning.
    """

    tables = 1

    def __init__(self, mdp: MDP, alpha: np.ndarray, epsilon: np.ndarray, q0: float,
                 rng: np.random.Generator) -> None:  # fmt: skip
        self.mdp, self.alpha, self.epsilon, self.rng = mdp, alpha, epsilon, rng
        self.table = pair_table(mdp)
        self.Q = padded_values(len(alpha), mdp.n_pairs, q0, self.tables)

    def values(self, rows: np.ndarray, states: np.ndarray) -> np.ndarray:
        """(L, max actions) Q(s, ·) of each row's state (summed over tables)."""
        return self.Q[:, rows[:, None], self.table[states]].sum(axis=0)

    def choose(self, rows: np.ndarray, states: np.ndarray) -> np.ndarray:
        """An ε-greedy pair in each row's (non-terminal) state."""
        slot = epsilon_greedy_slot(
            self.values(rows, states), self.epsilon[rows], self.mdp.n_actions_of[states], self.rng
        )
        return self.table[states, slot]

    def begin(self, rows: np.ndarray, states: np.ndarray) -> None:
        """Rows starting an episode in (non-terminal) ``states``."""

    def act(self, rows: np.ndarray, states: np.ndarray) -> np.ndarray:
        """A_t of each row in S_t, as a pair index."""
        return self.choose(rows, states)

    def learn(self, rows: np.ndarray, pairs: np.ndarray, r: np.ndarray, s_next: np.ndarray,
              going: np.ndarray) -> None:  # fmt: skip
        """Update Q(S_t, A_t) after reward r and S_{t+1} (``going``: S_{t+1} not terminal)."""
        target = r.copy()
        target[going] = self.bootstrap(rows[going], r[going], s_next[going])
        self.update(0, rows, pairs, target)

    def bootstrap(self, rows: np.ndarray, r: np.ndarray, s_next: np.ndarray) -> np.ndarray:
        """The target of rows whose S_{t+1} is not terminal: each method's own (``targets``).
        Q-learning and Expected SARSA define it; SARSA and Double Q override ``learn``."""
        raise NotImplementedError(f"{type(self).__name__} overrides learn, not bootstrap")

    def update(self, table: np.ndarray | int, rows: np.ndarray, pairs: np.ndarray,
               target: np.ndarray) -> None:  # fmt: skip
        """Q(S_t, A_t) += α[target − Q(S_t, A_t)] (one entry per row: no repeated index)."""
        q = self.Q[table, rows, pairs]
        self.Q[table, rows, pairs] = q + self.alpha[rows] * (target - q)

    def final_q(self) -> np.ndarray:
        """(B, K) the learned action values."""
        return self.Q[0, :, :-1]


class Sarsa(TDControl):
    """SARSA: A_{t+1} is chosen before the update and then taken (on-policy, eq. 6.7)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.next_pair = np.zeros(len(self.alpha), dtype=np.int64)

    def begin(self, rows: np.ndarray, states: np.ndarray) -> None:
        self.next_pair[rows] = self.choose(rows, states)

    def act(self, rows: np.ndarray, states: np.ndarray) -> np.ndarray:
        return self.next_pair[rows]

    def learn(self, rows: np.ndarray, pairs: np.ndarray, r: np.ndarray, s_next: np.ndarray,
              going: np.ndarray) -> None:  # fmt: skip
        chosen = pairs.copy()  # rows that end choose nothing
        chosen[going] = self.choose(rows[going], s_next[going])
        target = r.copy()
        q_next = self.Q[0, rows[going], chosen[going]]
        target[going] = sarsa_target(r[going], self.mdp.gamma, q_next)
        self.update(0, rows, pairs, target)
        self.next_pair[rows] = chosen


class QLearning(TDControl):
    """Q-learning: the target takes the greedy action in S_{t+1} (off-policy, eq. 6.8)."""

    def bootstrap(self, rows: np.ndarray, r: np.ndarray, s_next: np.ndarray) -> np.ndarray:
        return q_learning_target(r, self.mdp.gamma, self.values(rows, s_next))


class ExpectedSarsa(TDControl):
    """Expected SARSA: the target averages over the ε-greedy policy in S_{t+1} (eq. 6.9)."""

    def bootstrap(self, rows: np.ndarray, r: np.ndarray, s_next: np.ndarray) -> np.ndarray:
        q_next = self.values(rows, s_next)
        pi_next = epsilon_greedy_probs(q_next, self.epsilon[rows], self.mdp.n_actions_of[s_next])
        return expected_sarsa_target(r, self.mdp.gamma, q_next, pi_next)


class DoubleQ(TDControl):
    """Double Q-learning: a fair coin picks the table to update; it chooses the next action,
    the other table values it (§6.7). Behaviour is ε-greedy in Q₁ + Q₂."""

    tables = 2

    def learn(self, rows: np.ndarray, pairs: np.ndarray, r: np.ndarray, s_next: np.ndarray,
              going: np.ndarray) -> None:  # fmt: skip
        own = (self.rng.random(len(rows)) < 0.5).astype(np.int64)  # the table updated
        g, own_g, s_g = rows[going], own[going], s_next[going]
        own_values = self.Q[own_g[:, None], g[:, None], self.table[s_g]]
        best = self.table[s_g, argmax_random_ties(own_values, self.rng)]
        target = r.copy()
        target[going] = double_q_target(r[going], self.mdp.gamma, self.Q[1 - own_g, g, best])
        self.update(own, rows, pairs, target)

    def final_q(self) -> np.ndarray:
        return self.Q[:, :, :-1].mean(axis=0)


LEARNERS: dict[str, type[TDControl]] = {
    "sarsa": Sarsa, "q-learning": QLearning, "expected-sarsa": ExpectedSarsa, "double-q": DoubleQ,
}  # fmt: skip


@dataclass(frozen=True)
class Played:
    """Per-row record of the episodes played: (B, E) returns and lengths, (B,) cut counts."""

    returns: np.ndarray  # sum of rewards of each episode
    lengths: np.ndarray  # steps of each episode
    cut: np.ndarray  # episodes stopped by max_steps


def play(learner: TDControl, start: np.ndarray, episodes: int, max_steps: int) -> Played:
    """Every row plays ``episodes`` episodes, learning at each step.

    An episode that starts in a terminal state is over at once (length 0, return 0).
    """
    mdp, rng = learner.mdp, learner.rng
    sampler = Sampler.of(mdp)
    terminal = mdp.terminal
    B = len(learner.alpha)
    state = np.zeros(B, dtype=np.int64)
    ret, steps = np.zeros(B), np.zeros(B, dtype=np.int64)
    done_count = np.zeros(B, dtype=np.int64)  # episodes finished by each row
    returns, lengths = np.zeros((B, episodes)), np.zeros((B, episodes), dtype=np.int64)
    cut = np.zeros(B, dtype=np.int64)

    def begin(rows: np.ndarray) -> None:
        """Draw the next start state of rows; empty episodes are counted at once."""
        state[rows] = sampler.start(start, rng.random(len(rows)))
        empty = rows[terminal[state[rows]] & (done_count[rows] < episodes)]
        while len(empty):
            done_count[empty] += 1
            empty = empty[done_count[empty] < episodes]
            state[empty] = sampler.start(start, rng.random(len(empty)))
            empty = empty[terminal[state[empty]]]
        ready = rows[~terminal[state[rows]]]
        learner.begin(ready, state[ready])

    begin(np.arange(B))
    playing = np.flatnonzero(done_count < episodes)
    while len(playing):
        pairs = learner.act(playing, state[playing])
        outcome = sampler.outcome(pairs, rng.random(len(playing)))
        s_next, r = mdp.out_next[outcome], mdp.out_reward[outcome]
        ended = terminal[s_next]
        learner.learn(playing, pairs, r, s_next, ~ended)
        ret[playing] += r
        steps[playing] += 1
        state[playing] = s_next
        stop = ended | (steps[playing] >= max_steps)
        if stop.any():
            over = playing[stop]
            returns[over, done_count[over]] = ret[over]
            lengths[over, done_count[over]] = steps[over]
            cut[over] += ~ended[stop]
            done_count[over] += 1
            ret[over], steps[over] = 0.0, 0
            begin(over)
            playing = playing[done_count[playing] < episodes]
    return Played(returns, lengths, cut)

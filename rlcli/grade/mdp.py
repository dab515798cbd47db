"""MDP exercises (``mdp evaluate`` / ``mdp solve``) worked in exact fractions, correctly
or with common mistakes made, for grading and diagnosis.

The mistakes change the rules of the backup, never the file:

- sweep order: in-place (Gauss-Seidel, file order) instead of synchronous, or the reverse;
- sweep count: one sweep too many or too few (the student's sweep k is V_{k±1});
- γ forgotten (γ = 1) or applied twice (γ²);
- terminal values not held at 0: a terminal state valued at the reward for entering it;
- reward timing: a reward that belongs to entering a state counted on leaving it (the
  student writes V(s) = R(s) + γ Σ p V(s')), or the reverse, where the file's rewards
  are a function of the state entered (or left) so that the other reading is defined;
- backup: max over actions instead of the policy's expectation (evaluation), or the
  equiprobable expectation instead of the max (control).

Correct rules give the exercise's truth: V_π from the Bellman expectation equations
v = r_π + γP_π v (linear solve) or sweeps (S&B eq. 4.5), value iteration sweeps (eq. 4.10),
V* and the optimal actions from policy iteration (§4.3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from rlcli.errors import NumericalError, UsageError
from rlcli.grade.answer import Choice
from rlcli.grade.grader import Mistake, Step, Worked
from rlcli.mdp.model import MDP

CATALOGUE = (
    Mistake("in-place", "in-place (Gauss-Seidel) sweeps instead of synchronous ones", "order"),
    Mistake("synchronous", "synchronous sweeps instead of in-place ones", "order"),
    Mistake("one-sweep-too-many", "one sweep too many", "count"),
    Mistake("one-sweep-too-few", "one sweep too few (V₀ counted as sweep 1)", "count"),
    Mistake("gamma-forgotten", "γ forgotten (discounting with γ = 1)", "gamma"),
    Mistake("gamma-twice", "γ applied twice (γ² in the backup)", "gamma"),
    Mistake("terminal-not-zero", "a terminal state valued at the reward for entering it, "
            "not held at 0", "terminal"),
    Mistake("reward-on-leaving", "the reward for entering a state counted on leaving it",
            "reward"),
    Mistake("reward-on-entering", "the reward for leaving a state counted on entering the next",
            "reward"),
    Mistake("max-not-expectation", "max over actions instead of the policy's expectation",
            "backup"),
    Mistake("expectation-not-max", "the equiprobable expectation instead of the max over "
            "actions", "backup"),
)  # fmt: skip
LABELS = {"values": ("state",), "q": ("state", "action"), "policy": ("state",),
          "sweeps": ("sweep", "state")}  # fmt: skip
GRADING_LIMIT = 20_000  # outcomes × sweeps recomputed per mistake
STATE_LIMIT = 300  # linear solves in fractions
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class MDPExercise:
    """What was asked: ``evaluate`` (a policy's values, by ``linear`` solve or ``sweeps``) or
    ``solve`` (``policy-iteration`` or value-iteration ``sweeps``); ``pi`` the (K,) policy."""

    mdp: MDP
    command: str
    method: str
    sweeps: int | None = None
    in_place: bool = False
    pi: np.ndarray | None = None


@dataclass(frozen=True)
class Rules:
    gamma: Fraction
    rewards: tuple[Fraction, ...]  # per outcome
    terminal_value: tuple[Fraction, ...]  # per state (0 unless the terminal mistake)
    in_place: bool
    shift: int
    backup: str  # "policy" | "max" | "uniform"


class Exact:
    """The exercise's numbers as Fractions and its correct rules."""

    def __init__(self, ex: MDPExercise):
        mdp = ex.mdp
        if mdp.exact is None:
            raise UsageError("answer: grading needs the file's exact numbers")
        size = mdp.n_outcomes * max(ex.sweeps or 1, 1)
        if size > GRADING_LIMIT or (ex.method != "sweeps" and mdp.n_states > STATE_LIMIT):
            raise UsageError(
                f"answer: grading works the exercise again in exact fractions per mistake; "
                f"{mdp.n_states} states, {mdp.n_outcomes} outcomes × {ex.sweeps or 1} sweep(s) "
                f"is beyond its limits ({STATE_LIMIT} states, {GRADING_LIMIT:,} outcome-sweeps)"
            )
        from rlcli.mdp.solve.exact import rational_policy

        self.ex = ex
        self.mdp = mdp
        self.gamma, self.probs, self.rewards = mdp.exact.rational()
        self.pi = rational_policy(ex.pi) if ex.pi is not None else None

    def rules(self, mistakes: tuple[Mistake, ...]) -> Rules | None:
        """The backup rules with ``mistakes`` made; None if one of them does not apply."""
        ex = self.ex
        rules: Rules | None = Rules(
            self.gamma, tuple(self.rewards), tuple(Fraction(0) for _ in self.mdp.states),
            ex.in_place, 0, "policy" if ex.command == "evaluate" else "max",
        )  # fmt: skip
        for mistake in mistakes:
            if rules is not None:
                rules = MISTAKE_RULES[mistake.key](self, rules)
        return rules

    def _entering_rewards(self, terminal_only: bool = False) -> tuple[Fraction, ...] | None:
        """R(x): the reward of every transition into x, when it is one number per state
        (None if a state is entered with different rewards); 0 for states never entered."""
        mdp, found = self.mdp, {}
        for z in range(mdp.n_outcomes):
            s = int(mdp.out_next[z])
            if terminal_only and not mdp.terminal[s]:
                continue
            if found.setdefault(s, self.rewards[z]) != self.rewards[z]:
                return None
        return tuple(found.get(s, Fraction(0)) for s in range(mdp.n_states))

    def _leaving_rewards(self) -> tuple[Fraction, ...] | None:
        """R(s): the reward of every transition out of s, when one number per state."""
        mdp, found = self.mdp, {}
        for z in range(mdp.n_outcomes):
            s = int(mdp.pair_state[mdp.out_pair[z]])
            if found.setdefault(s, self.rewards[z]) != self.rewards[z]:
                return None
        return tuple(found.get(s, Fraction(0)) for s in range(mdp.n_states))

    def _moved_rewards(self, to_leaving: bool) -> tuple[Fraction, ...] | None:
        """Per outcome (s, a, s'): R(s) (the entering reward of s, paid on leaving it) or
        R(s') (the leaving reward of s', paid on entering it)."""
        mdp = self.mdp
        per_state = self._entering_rewards() if to_leaving else self._leaving_rewards()
        if per_state is None:
            return None
        moved = []
        for z in range(mdp.n_outcomes):
            s = int(mdp.pair_state[mdp.out_pair[z]]) if to_leaving else int(mdp.out_next[z])
            moved.append(per_state[s])
        return tuple(moved)

    # ---- the computations ----------------------------------------------------------

    def q_values(self, r: Rules, v: list[Fraction]) -> list[Fraction]:
        """q(s, a) = Σ p (r + γ v(s')) for every pair (eq. 3.13 / 4.6)."""
        return [self._q(r, v, k) for k in range(self.mdp.n_pairs)]

    def backup(self, r: Rules, s: int, v: list[Fraction]) -> Fraction:
        """V(s) from the values ``v``: Σ_a π(a|s) q(s, a), max_a q(s, a) or the mean."""
        q = {k: self._q(r, v, k) for k in self.mdp.pairs_of(s)}
        if r.backup == "max":
            return max(q.values())
        if r.backup == "uniform":
            return sum(q.values(), Fraction(0)) / len(q)
        assert self.pi is not None
        return sum((self.pi[k] * x for k, x in q.items()), Fraction(0))

    def sweep(self, r: Rules, v: list[Fraction]) -> list[Fraction]:
        """One sweep: synchronous (all from V_{k−1}) or in place (file order)."""
        new = list(v)
        for s in range(self.mdp.n_states):
            if not self.mdp.terminal[s]:
                new[s] = self.backup(r, s, new if r.in_place else v)
        return new

    def _q(self, r: Rules, v: list[Fraction], k: int) -> Fraction:
        mdp = self.mdp
        return sum((self.probs[z] * (r.rewards[z] + r.gamma * v[int(mdp.out_next[z])])
                    for z in mdp.outcomes(k)), Fraction(0))  # fmt: skip

    def start(self, r: Rules) -> list[Fraction]:
        return [r.terminal_value[s] if self.mdp.terminal[s] else Fraction(0)
                for s in range(self.mdp.n_states)]  # fmt: skip

    def evaluate(self, r: Rules, pi: list[Fraction]) -> list[Fraction]:
        """v = r_π + γ P_π v on the non-terminal states (terminal values are constants)."""
        from rlcli.mdp.solve.exact import solve_rational

        mdp = self.mdp
        live = [s for s in range(mdp.n_states) if not mdp.terminal[s]]
        index = {s: i for i, s in enumerate(live)}
        rows, rhs = [], []
        for s in live:
            row: dict[int, Fraction] = {index[s]: Fraction(1)}
            b = Fraction(0)
            for k in mdp.pairs_of(s):
                for z in mdp.outcomes(k):
                    w, nxt = pi[k] * self.probs[z], int(mdp.out_next[z])
                    b += w * r.rewards[z]
                    if mdp.terminal[nxt]:
                        b += w * r.gamma * r.terminal_value[nxt]
                    elif w:
                        row[index[nxt]] = row.get(index[nxt], Fraction(0)) - w * r.gamma
            rows.append({j: a for j, a in row.items() if a})
            rhs.append(b)
        x = solve_rational(rows, rhs)
        v = self.start(r)
        for s, value in zip(live, x, strict=True):
            v[s] = value
        return v

    def optimal(self, r: Rules) -> list[Fraction]:
        """V* by policy iteration in fractions (§4.3); None-safe callers catch NumericalError."""
        from rlcli.mdp.solve.optimal import initial_policy

        mdp = self.mdp
        if r.gamma < 1:
            choice = [int(mdp.pair_ptr[s]) for s in range(mdp.n_states)]
        else:
            start = initial_policy(mdp)
            choice = [max(mdp.pairs_of(s), key=lambda k: start[k], default=0)
                      for s in range(mdp.n_states)]  # fmt: skip
        for _ in range(10 * mdp.n_pairs + 10):
            pi = [Fraction(0)] * mdp.n_pairs
            for s in range(mdp.n_states):
                if not mdp.terminal[s]:
                    pi[choice[s]] = Fraction(1)
            v = self.evaluate(r, pi)
            q = self.q_values(r, v)
            stable = True
            for s in range(mdp.n_states):
                if mdp.terminal[s]:
                    continue
                best = max(q[k] for k in mdp.pairs_of(s))
                if q[choice[s]] < best:
                    choice[s] = next(k for k in mdp.pairs_of(s) if q[k] == best)
                    stable = False
            if stable:
                return v
        raise NumericalError("policy iteration did not settle")

    def uniform(self) -> list[Fraction]:
        mdp = self.mdp
        return [Fraction(1, int(mdp.n_actions_of[mdp.pair_state[k]])) for k in range(mdp.n_pairs)]

    def work(self, mistakes: tuple[Mistake, ...] = ()) -> Worked | None:
        """The exercise's answer document under ``mistakes`` (None where one does not apply)."""
        r = self.rules(mistakes)
        if r is None:
            return None
        try:
            return self._work(r)
        except (NumericalError, ZeroDivisionError):
            return None

    def _work(self, r: Rules) -> Worked:
        ex, mdp = self.ex, self.mdp
        doc: dict[str, Any] = {}
        steps: list[Step] = []
        if ex.method == "sweeps":
            assert ex.sweeps is not None
            history = [self.start(r)]
            for _ in range(ex.sweeps + max(r.shift, 0)):
                history.append(self.sweep(r, history[-1]))
            doc["sweeps"] = {}
            for k in range(1, ex.sweeps + 1):
                row = self._named(history[k + r.shift])
                doc["sweeps"][str(k)] = row
                steps.append(Step(f"sweep {k}", row, f"V{str(k).translate(SUBSCRIPT)}"))
            v = history[ex.sweeps + r.shift]
        elif r.backup == "policy":
            v = self.evaluate(r, self.pi)  # type: ignore[arg-type]
        elif r.backup == "uniform":
            v = self.evaluate(r, self.uniform())
        else:
            v = self.optimal(r)
        if ex.method != "sweeps":
            steps.append(Step("the solution", self._named(v)))
        q = self.q_values(r, v)
        doc["values"] = self._named(v)
        doc["q"] = {
            mdp.states[s]: {mdp.actions[mdp.pair_action[k]]: q[k] for k in mdp.pairs_of(s)}
            for s in range(mdp.n_states) if not mdp.terminal[s]
        }  # fmt: skip
        if ex.command == "solve":
            doc["policy"] = {}
            for s in range(mdp.n_states):
                if mdp.terminal[s]:
                    continue
                pairs = mdp.pairs_of(s)
                best = max(q[k] for k in pairs)
                names = tuple(mdp.actions[mdp.pair_action[k]] for k in pairs)
                right = frozenset(mdp.actions[mdp.pair_action[k]] for k in pairs if q[k] == best)
                doc["policy"][mdp.states[s]] = Choice(right, names)
        return Worked(doc, steps)

    def _named(self, v: list[Fraction]) -> dict[str, Fraction]:
        return {name: v[s] for s, name in enumerate(self.mdp.states)}


def _order(in_place: bool) -> Callable[[Exact, Rules], Rules | None]:
    def rule(ex: Exact, r: Rules) -> Rules | None:
        fits = ex.ex.method == "sweeps" and r.in_place != in_place
        return replace(r, in_place=in_place) if fits else None

    return rule


def _count(shift: int) -> Callable[[Exact, Rules], Rules | None]:
    def rule(ex: Exact, r: Rules) -> Rules | None:
        return replace(r, shift=shift) if ex.ex.method == "sweeps" else None

    return rule


def _gamma_forgotten(ex: Exact, r: Rules) -> Rules | None:
    return replace(r, gamma=Fraction(1)) if r.gamma != 1 else None


def _gamma_twice(ex: Exact, r: Rules) -> Rules | None:
    return replace(r, gamma=r.gamma * r.gamma) if r.gamma not in (0, 1) else None


def _terminal_not_zero(ex: Exact, r: Rules) -> Rules | None:
    values = ex._entering_rewards(terminal_only=True)
    return replace(r, terminal_value=values) if values is not None and any(values) else None


def _reward_moved(to_leaving: bool) -> Callable[[Exact, Rules], Rules | None]:
    def rule(ex: Exact, r: Rules) -> Rules | None:
        moved = ex._moved_rewards(to_leaving)
        return replace(r, rewards=moved) if moved is not None else None

    return rule


def _backup(command: str, backup: str) -> Callable[[Exact, Rules], Rules | None]:
    def rule(ex: Exact, r: Rules) -> Rules | None:
        return replace(r, backup=backup) if ex.ex.command == command else None

    return rule


# how each mistake changes the rules (None: it does not apply to this exercise)
MISTAKE_RULES: dict[str, Callable[[Exact, Rules], Rules | None]] = {
    "in-place": _order(True),
    "synchronous": _order(False),
    "one-sweep-too-many": _count(1),
    "one-sweep-too-few": _count(-1),
    "gamma-forgotten": _gamma_forgotten,
    "gamma-twice": _gamma_twice,
    "terminal-not-zero": _terminal_not_zero,
    "reward-on-leaving": _reward_moved(True),
    "reward-on-entering": _reward_moved(False),
    "max-not-expectation": _backup("evaluate", "max"),
    "expectation-not-max": _backup("solve", "uniform"),
}


def grade_mdp(
    ex: MDPExercise, spec: str, tol: Fraction | None = None, *, text: bool = False
) -> Any:
    """Read ``spec`` (a file or inline; with ``text`` always the answer's text) against the
    exercise, grade it, diagnose it."""
    from rlcli.grade.answer import parse_answer, read_answer
    from rlcli.grade.grader import grade

    exact = Exact(ex)
    truth = exact.work()
    if truth is None:  # pragma: no cover - the correct rules always apply
        raise NumericalError("answer: the exercise has no exact answer to grade against")
    if text:
        entries = parse_answer(spec, "answer", truth.doc, LABELS)
    else:
        entries = read_answer(spec, truth.doc, LABELS)
    return grade(entries, truth, tol, CATALOGUE, exact.work)

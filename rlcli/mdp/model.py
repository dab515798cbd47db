"""The validated MDP model: state/action names plus flat, sparse-friendly arrays.

Layout (K state-action pairs, Z outcomes)::

    pair_ptr[s] : pair_ptr[s+1]     the pairs (s, a) of state s, in file order
    pair_action[k]                  index into ``actions`` of pair k's action
    out_ptr[k] : out_ptr[k+1]       the outcomes of pair k
    out_next[z], out_prob[z], out_reward[z]
                                    p(s', r | s, a) as a list of (s', p, r) outcomes

Terminal states have no pairs. Nothing here is dense in S×S, so a 100,000-state
file fits. ``exact`` keeps the expressions the numbers came from, for rational and
symbolic solving.

Small models (at most ``DENSE_STATES`` states) are worked on with dense NumPy arrays:
for them SciPy's import alone costs more than the whole solve, so it is never loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from rlcli.errors import UsageError
from rlcli.mdp.read.expr import Expr, from_value

T = TypeVar("T")

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse

# Up to this many states, matrices are dense arrays (an S×S float matrix of at most 2.9 MB)
# and SciPy is not imported; above it, SciPy's sparse matrices and graph search.
DENSE_STATES = 600
EXACT_PROBLEMS = 20  # exact mode reports at most this many irrational numbers and sums


@dataclass(frozen=True)
class GridLayout:
    """Where each state sits on a grid, for grid-shaped rendering."""

    shape: tuple[int, int]
    cells: Mapping[str, tuple[int, int]]  # state name -> (row, col)
    walls: frozenset[tuple[int, int]] = frozenset()
    labels: Mapping[tuple[int, int], str] = field(default_factory=dict)  # map letters

    def state_at(self, row: int, col: int) -> str | None:
        return self._by_cell.get((row, col))

    @cached_property
    def _by_cell(self) -> dict[tuple[int, int], str]:
        return {rc: s for s, rc in self.cells.items()}


def short_fraction(x: Fraction, digits: int = 24) -> str:
    """``p/q`` when short; else the exact decimal when it ends within 40 characters
    (0.9999999999999999); else its first 20 significant digits, cut (not rounded), with
    the size: 0.33333333333333333333… (a fraction of 40/41 digits)."""
    from decimal import ROUND_DOWN, Context

    text = str(x)
    if len(text) <= digits:
        return text
    den = x.denominator
    twos, fives = (den & -den).bit_length() - 1, 0
    while den % 5 ** (fives + 1) == 0:
        fives += 1
    if den == 2**twos * 5**fives and max(twos, fives) <= 40:  # a terminating decimal
        places = max(twos, fives)
        exact = f"{x.numerator * 10**places // den}"
        sign, body = ("-", exact[1:]) if exact.startswith("-") else ("", exact)
        body = body.rjust(places + 1, "0")
        decimal = f"{sign}{body[:-places]}.{body[-places:]}".rstrip("0").rstrip(".")
        if len(decimal) <= 40:
            return decimal
    context = Context(prec=20, rounding=ROUND_DOWN)
    cut = context.divide(x.numerator, x.denominator)
    sizes = f"{len(str(abs(x.numerator)))}/{len(str(x.denominator))}"
    return f"{cut}… (a fraction of {sizes} digits)"


@dataclass(frozen=True)
class ExactData:
    """The expressions behind every number, for ``--exact`` and ``--symbolic``.

    ``out_prob[z]`` and ``out_reward[z]`` are the sources of outcome z (same order as
    the arrays): an ``Expr``, or a plain int/float straight from the file (converted on
    demand, so large numeric files load fast). ``parameters`` maps each parameter to
    its (possibly overridden) expression, in file order.
    """

    gamma: Expr
    parameters: Mapping[str, Expr]
    out_prob: tuple[Any, ...]
    out_reward: tuple[Any, ...]
    out_ptr: np.ndarray  # (K+1,) as in the MDP
    # (line, field path) of outcome z's "p" or "r", of "gamma", or of a parameter (by name)
    where: Callable[[int | str, str], tuple[int | None, str]]
    file: str = "<string>"

    def parameter_values(self) -> dict[str, Fraction | float]:
        """Each parameter's exact value (parameters may refer to earlier ones)."""
        env: dict[str, Fraction | float] = {}
        for name, expr in self.parameters.items():
            env[name] = expr.evaluate(env)
        return env

    def rational(self) -> tuple[Fraction, list[Fraction], list[Fraction]]:
        """γ, outcome probabilities and rewards as Fractions.

        Raises ``MDPFileError`` naming the line and field of every number that is
        irrational (``2 ** 0.5``; a parameter's value is blamed on the parameter) and of
        every pair whose probabilities do not sum to exactly 1 (``0.333`` three times),
        up to ``EXACT_PROBLEMS`` of them.
        """
        from rlcli.errors import MDPFileError, Problem

        env = self.parameter_values()
        problems: dict[tuple[int | str, str], str] = {}
        for name, value in env.items():
            if not isinstance(value, Fraction):
                problems[(name, "")] = f"{self.parameters[name]} is not a rational number"

        seen: dict[str, Fraction] = {}  # texts repeat ("1/600" thousands of times)
        irrational: set[int | str] = set()  # outcomes whose p is not a Fraction: no sum check

        def q(source: Any, z: int | str, field: str) -> Fraction:
            if type(source) is str and source in seen:
                return seen[source]
            expr = from_value(source)
            value = expr.evaluate(env)
            if isinstance(value, Fraction):
                if type(source) is str:
                    seen[source] = value
                return value
            if field == "p":
                irrational.add(z)
            blamed = any((n, "") in problems for n in expr.names())  # on the parameter
            if not blamed and len(problems) < EXACT_PROBLEMS:
                problems[(z, field)] = f"{expr} is not a rational number"
            return Fraction(0)

        gamma = q(self.gamma, "gamma", "")
        probs = [q(e, z, "p") for z, e in enumerate(self.out_prob)]
        rewards = [q(e, z, "r") for z, e in enumerate(self.out_reward)]
        for k in range(len(self.out_ptr) - 1):
            lo, hi = int(self.out_ptr[k]), int(self.out_ptr[k + 1])
            if len(problems) >= EXACT_PROBLEMS or irrational.intersection(range(lo, hi)):
                continue
            total = sum(probs[lo:hi], Fraction(0))
            if total != 1:
                problems[(lo, "sum")] = (
                    f"the probabilities sum to {short_fraction(total)}, not exactly 1 "
                    "(write fractions such as 1/3 instead of rounded decimals)"
                )
        if problems:
            found = []
            for (z, field), message in problems.items():
                line, path = self.where(z, field)
                found.append(Problem(self.file, line, path, f"exact mode: {message}"))
            raise MDPFileError(found)
        return gamma, probs, rewards

    def symbolic(self, keep: set[str] | None = None) -> tuple[Any, list[Any], list[Any], dict]:
        """γ, probabilities and rewards as sympy expressions.

        Parameters in ``keep`` (all of them when ``keep`` is None) stay symbols; the
        others are replaced by their exact values. Returns also the symbol table
        {name: Symbol} of the kept parameters.
        """
        import sympy as sp

        keep = set(self.parameters) if keep is None else keep
        unknown = keep - set(self.parameters)
        if unknown:
            known = ", ".join(self.parameters) or "the file has none"
            raise UsageError(f"no parameter named {sorted(unknown)[0]!r} (parameters: {known})")
        symbols: dict[str, Any] = {}
        for name, expr in self.parameters.items():
            if name in keep:
                symbols[name] = sp.Symbol(name, real=True)
            else:
                symbols[name] = expr.to_sympy(symbols)
        table = {n: s for n, s in symbols.items() if n in keep}

        def sym(source: Any) -> Any:
            return from_value(source).to_sympy(symbols)

        return (
            sym(self.gamma),
            [sym(e) for e in self.out_prob],
            [sym(e) for e in self.out_reward],
            table,
        )


@dataclass(frozen=True, eq=False)
class MDP:
    """A finite MDP with named states and actions (see the module docstring)."""

    states: tuple[str, ...]
    actions: tuple[str, ...]
    gamma: float
    terminal: np.ndarray  # (S,) bool
    pair_ptr: np.ndarray  # (S+1,) int64
    pair_action: np.ndarray  # (K,) int64
    out_ptr: np.ndarray  # (K+1,) int64
    out_next: np.ndarray  # (Z,) int64
    out_prob: np.ndarray  # (Z,) float64
    out_reward: np.ndarray  # (Z,) float64
    start: np.ndarray | None = None  # (S,) start distribution, or None
    policies: Mapping[str, np.ndarray] = field(default_factory=dict)  # name -> (K,) probs
    name: str = ""
    description: str = ""
    source: str = ""  # the file it came from
    layout: GridLayout | None = None
    exact: ExactData | None = None

    # ---- sizes and indexes ---------------------------------------------------------

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_action)

    @property
    def n_outcomes(self) -> int:
        return len(self.out_next)

    @cached_property
    def state_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.states)}

    @cached_property
    def action_index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.actions)}

    @cached_property
    def pair_state(self) -> np.ndarray:
        """(K,) the state of each pair."""
        return np.repeat(np.arange(self.n_states), np.diff(self.pair_ptr))

    @cached_property
    def out_pair(self) -> np.ndarray:
        """(Z,) the pair each outcome belongs to."""
        return np.repeat(np.arange(self.n_pairs), np.diff(self.out_ptr))

    @cached_property
    def expected_reward(self) -> np.ndarray:
        """(K,) r(s, a) = Σ_{s', r} p(s', r | s, a) r."""
        return np.bincount(
            self.out_pair, weights=self.out_prob * self.out_reward, minlength=self.n_pairs
        )

    @cached_property
    def n_actions_of(self) -> np.ndarray:
        """(S,) how many actions each state has (0 for terminal states)."""
        return np.diff(self.pair_ptr)

    @cached_property
    def _action_names(self) -> np.ndarray:
        """``actions`` as an object array, to name many pairs with one fancy index."""
        names = np.empty(len(self.actions), dtype=object)
        names[:] = self.actions
        return names

    @cached_property
    def _pair_bounds(self) -> list[int]:
        """``pair_ptr`` as Python ints: indexing a list is faster than a NumPy array."""
        return self.pair_ptr.tolist()

    def pairs_of(self, s: int) -> range:
        bounds = self._pair_bounds
        return range(bounds[s], bounds[s + 1])

    def by_state(self, per_pair: Sequence[T]) -> dict[str, dict[str, T]]:
        """``{state: {action: per_pair[k]}}`` for every state with actions, in state and
        pair order (a Q table as JSON)."""
        names = self._action_names[self.pair_action].tolist()
        bounds = self._pair_bounds
        return {
            self.states[s]: dict(zip(names[lo:hi], per_pair[lo:hi], strict=True))
            for s, (lo, hi) in enumerate(pairwise(bounds))
            if hi > lo
        }

    def actions_of(self, s: int) -> list[str]:
        return [self.actions[self.pair_action[k]] for k in self.pairs_of(s)]

    def pair(self, state: str, action: str) -> int:
        """The pair index of (state, action); KeyError if the state has no such action."""
        s = self.state_index[state]
        a = self.action_index[action]
        for k in self.pairs_of(s):
            if self.pair_action[k] == a:
                return k
        raise KeyError(f"state {state!r} has no action {action!r}")

    def outcomes(self, k: int) -> range:
        return range(int(self.out_ptr[k]), int(self.out_ptr[k + 1]))

    @property
    def small(self) -> bool:
        """At most ``DENSE_STATES`` states: dense arrays, no SciPy."""
        return self.n_states <= DENSE_STATES

    # ---- matrices ------------------------------------------------------------------

    @cached_property
    def P(self) -> scipy.sparse.csr_matrix:
        """(K, S) sparse transition matrix, P[k, s'] = p(s' | pair k) (a next state written
        twice for one pair adds up). The outcomes are already grouped by pair, so they are
        CSR's rows as they stand: built directly, then sorted within rows (5x faster than
        from coordinates)."""
        import scipy.sparse as sparse

        P = sparse.csr_matrix(
            (self.out_prob, self.out_next, self.out_ptr),
            shape=(self.n_pairs, self.n_states),
            copy=True,  # sorted in place below: the outcome arrays stay as they are
        )
        P.sum_duplicates()
        return P

    def expected_next(self, values: np.ndarray) -> np.ndarray:
        """(K,) (P V)[k] = Σ_{s'} p(s' | pair k) V(s'), the expectation in every Bellman backup."""
        if self.small:
            weights = self.out_prob * values[self.out_next]
            return np.bincount(self.out_pair, weights=weights, minlength=self.n_pairs)
        return self.P @ values

    def dense(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dense (P[S, A, S'], R[S, A], mask[S, A]) for small models.

        ``mask[s, a]`` is True where action a is available in s; elsewhere P and R are 0.
        """
        S, A = self.n_states, len(self.actions)
        P = np.zeros((S, A, S))
        R = np.zeros((S, A))
        mask = np.zeros((S, A), dtype=bool)
        ps, pa = self.pair_state, self.pair_action
        np.add.at(P, (ps[self.out_pair], pa[self.out_pair], self.out_next), self.out_prob)
        R[ps, pa] = self.expected_reward
        mask[ps, pa] = True
        return P, R, mask

    # ---- policies ------------------------------------------------------------------

    def uniform_policy(self) -> np.ndarray:
        """(K,) the equiprobable policy."""
        return 1.0 / self.n_actions_of[self.pair_state]

    def policy_matrix(self, pi: np.ndarray) -> scipy.sparse.csr_matrix:
        """(S, K) sparse matrix Π with Π[s, k] = π(a_k | s) for pairs of s."""
        import scipy.sparse as sparse

        return sparse.csr_matrix(
            (pi, (self.pair_state, np.arange(self.n_pairs))), shape=(self.n_states, self.n_pairs)
        )

    def chosen_actions(self, chosen: np.ndarray) -> list[list[str]]:
        """Per state, the names of its actions with ``chosen[k] > 0`` (a (K,) policy or tie
        mask), in file order; [] for terminal states."""
        ks = np.flatnonzero(chosen > 0)
        names = self._action_names[self.pair_action[ks]].tolist()
        bounds = np.searchsorted(ks, self.pair_ptr).tolist()
        return [names[bounds[s] : bounds[s + 1]] for s in range(self.n_states)]

    def policy_of_pairs(self, pi: np.ndarray) -> dict[str, str | dict[str, float]]:
        """A (K,) policy as {state: action} (deterministic) or {state: {action: prob}}."""
        probs = pi[pi > 0].tolist()
        result: dict[str, str | dict[str, float]] = {}
        first = 0
        chosen = self.chosen_actions(pi)
        for state, names, n in zip(self.states, chosen, self.n_actions_of.tolist(), strict=True):
            if len(names) == 1:
                result[state] = names[0]
            elif n:
                result[state] = dict(zip(names, probs[first : first + len(names)], strict=True))
            first += len(names)
        return result

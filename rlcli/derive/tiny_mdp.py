"""A tiny MDP (2 states × 2 actions, horizon T) with a softmax policy, enumerated exactly.

Used to verify trajectory-level steps (REINFORCE, reward-to-go, baselines): every trajectory
is listed, every expectation is an exact rational sum. The logits are θ[s, a] = log w[s, a]
with rational w, so π(a|s) = w[s, a] / Σ_b w[s, b] is rational and so is
∂π(a|s)/∂θ[s', b] = [s = s'] π(a|s) (1[a = b] − π(b|s)). The true gradient used as
reference is computed independently of the enumeration: sympy differentiates the softmax,
and the product rule carries that through the finite-horizon Bellman recursion.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction as F
from typing import Any

import sympy as sp

from rlcli.derive.steps import canonical, conditional_function

N_S, N_A = 2, 2
RHO = [F(1, 2), F(1, 2)]
# P[s][a][s'] and r[s][a]
P = [[[F(3, 4), F(1, 4)], [F(1, 5), F(4, 5)]], [[F(1, 2), F(1, 2)], [F(1, 10), F(9, 10)]]]
R = [[F(3), F(1)], [F(4), F(2)]]
W = [[F(1), F(2)], [F(3), F(1)]]  # softmax weights: θ[s, a] = log W[s][a]
BASELINE = [F(5), F(-2)]  # an arbitrary b(s): any baseline leaves the gradient unbiased

THETA = sp.Symbol("theta", real=True)
Pi = conditional_function("pi", r"\pi", "π")


class Transition(sp.Function):
    """P(s' | s, a)."""

    def _latex(self, printer: Any) -> str:
        s1, s, a = (printer._print(x) for x in self.args)
        return rf"P\left({s1} \mid {s}, {a}\right)"

    def _sympystr(self, printer: Any) -> str:
        s1, s, a = (printer._print(x) for x in self.args)
        return f"P({s1}|{s},{a})"


class TrajExpect(sp.Expr):
    """E_{τ∼pθ}[g(τ)] over the trajectories of the tiny MDP."""

    is_commutative = True

    def _latex(self, printer: Any) -> str:
        return rf"\mathbb{{E}}_{{\tau \sim p_\theta}}\left[{printer._print(self.args[0])}\right]"

    def _sympystr(self, printer: Any) -> str:
        return f"E_τ[{printer._print(self.args[0])}]"

    def _eval_derivative(self, s: Any) -> Any:
        return sp.Derivative(self, s, evaluate=False)


def pi_value(s: int, a: int) -> F:
    return W[s][a] / sum(W[s])


@dataclass
class Horizon:
    """Symbols s_0, a_0, …, s_{T-1}, a_{T-1} and the building blocks over them."""

    T: int

    def __post_init__(self) -> None:
        self.s = [sp.Symbol(f"s_{t}") for t in range(self.T)]
        self.a = [sp.Symbol(f"a_{t}") for t in range(self.T)]
        self._atoms: dict[tuple[int, int], dict[Any, Any]] = {}
        self._unfolded: dict[Any, Any] = {}
        self._trajectories: list[tuple[dict[Any, int], F]] | None = None

    def pi(self, t: int) -> Any:
        return Pi(self.a[t], self.s[t], THETA)

    def reward(self, t: int) -> Any:
        return sp.Function("r")(self.s[t], self.a[t])

    def p_tau(self) -> Any:
        """ρ₀(s₀) Π_t π(a_t|s_t) Π_t P(s_{t+1}|s_t,a_t), kept as written."""
        factors = [sp.Function("rho_0")(self.s[0])]
        for t in range(self.T):
            factors.append(self.pi(t))
            if t + 1 < self.T:
                factors.append(Transition(self.s[t + 1], self.s[t], self.a[t]))
        return sp.Mul(*factors, evaluate=False)

    def ret(self, start: int = 0) -> Any:
        return sp.Add(*[self.reward(t) for t in range(start, self.T)], evaluate=False)

    def trajectories(self) -> list[tuple[dict[Any, int], F]]:
        if self._trajectories is not None:
            return self._trajectories
        out = []
        for combo in itertools.product(range(N_S), range(N_A), repeat=self.T):
            ss, aa = combo[0::2], combo[1::2]
            prob = RHO[ss[0]]
            for t in range(self.T):
                prob *= pi_value(ss[t], aa[t])
                if t + 1 < self.T:
                    prob *= P[ss[t]][aa[t]][ss[t + 1]]
            assign = {**dict(zip(self.s, ss, strict=True)), **dict(zip(self.a, aa, strict=True))}
            out.append((assign, prob))
        self._trajectories = out
        return out

    # ---- values of the atoms ----------------------------------------------------------

    def q_v(self) -> tuple[dict[tuple[int, int, int], F], dict[tuple[int, int], F]]:
        """Exact finite-horizon Q_t(s, a) and V_t(s) under the policy (Bellman backward)."""
        Q: dict[tuple[int, int, int], F] = {}
        V: dict[tuple[int, int], F] = {}
        for t in reversed(range(self.T)):
            for s in range(N_S):
                for a in range(N_A):
                    nxt = (
                        sum(P[s][a][s1] * V[(t + 1, s1)] for s1 in range(N_S))
                        if t + 1 < self.T
                        else F(0)
                    )
                    Q[(t, s, a)] = R[s][a] + nxt
                V[(t, s)] = sum(pi_value(s, a) * Q[(t, s, a)] for a in range(N_A))
        return Q, V

    def atoms(self, component: tuple[int, int]) -> dict[Any, Any]:
        """Values of π, ∂π/∂θ[component], ρ₀, P, r, b, Q, V, A as sympy Rationals."""
        if component in self._atoms:
            return self._atoms[component]
        sc, bc = component
        q = lambda v: sp.Rational(v.numerator, v.denominator)  # noqa: E731
        Q, V = self.q_v()
        values: dict[Any, Any] = {}
        for s in range(N_S):
            values[sp.Function("rho_0")(s)] = q(RHO[s])
            values[sp.Function("b")(s)] = q(BASELINE[s])
            for a in range(N_A):
                p = pi_value(s, a)
                dp = p * ((1 if a == bc else 0) - pi_value(s, bc)) if s == sc else F(0)
                values[sp.Derivative(Pi(a, s, THETA), THETA)] = q(dp)
                values[Pi(a, s, THETA)] = q(p)
                values[sp.Function("r")(s, a)] = q(R[s][a])
                for s1 in range(N_S):
                    values[Transition(s1, s, a)] = q(P[s][a][s1])
                for t in range(self.T):
                    values[sp.Function("Q")(t, s, a)] = q(Q[(t, s, a)])
                    values[sp.Function("A")(t, s, a)] = q(Q[(t, s, a)] - V[(t, s)])
            for t in range(self.T):
                values[sp.Function("V")(t, s)] = q(V[(t, s)])
        self._atoms[component] = values
        return values

    # ---- evaluation -------------------------------------------------------------------

    def unfold(self, expr: Any) -> Any:
        """Σ_τ pθ(τ) g(τ) for each E_τ[g], over all concrete trajectories; derivatives done."""
        if expr not in self._unfolded:

            def total(e: TrajExpect) -> Any:
                body = canonical(self.p_tau() * e.args[0])
                return sp.Add(*[body.xreplace(assign) for assign, _ in self.trajectories()])

            expanded = expr.replace(lambda e: isinstance(e, TrajExpect), total)
            self._unfolded[expr] = canonical(expanded)
        return self._unfolded[expr]

    def value(self, expr: Any, component: tuple[int, int]) -> Any:
        """The exact value of ``expr`` (E_τ, ∇θ, generic functions) for one logit θ[s, a]."""
        return self.unfold(expr).xreplace(self.atoms(component))

    def per_trajectory(self, g: Any, component: tuple[int, int]) -> list[tuple[F, Any]]:
        """(probability, value of g) for every trajectory."""
        atoms, body = self.atoms(component), canonical(g)  # derivatives done once, symbolically
        return [
            (prob, body.xreplace(assign).xreplace(atoms)) for assign, prob in self.trajectories()
        ]

    def equal(self) -> Any:
        """A checker: both sides have the same exact value for every logit θ[s, a]."""

        def check(x: Any, y: Any) -> bool:
            return all(self.value(x, c) == self.value(y, c) for c in components())

        return check

    def true_gradient(self) -> list[Any]:
        """∂J/∂θ[s, a]: sympy differentiates the softmax in the logits, and the product rule
        carries it through the finite-horizon Bellman recursion (exact rationals):
        ∂V_t(s) = Σ_a ∂π(a|s) Q_t(s, a) + π(a|s) Σ_s' P(s'|s, a) ∂V_{t+1}(s')."""
        logits = [[sp.Symbol(f"t_{s}{a}", real=True) for a in range(N_A)] for s in range(N_S)]
        at = {
            logits[s][a]: sp.log(W[s][a].numerator) - sp.log(W[s][a].denominator)
            for s in range(N_S)
            for a in range(N_A)
        }
        grads = []
        for cs, ca in components():
            dpol = [[F(0)] * N_A for _ in range(N_S)]
            for a in range(N_A):
                softmax = sp.exp(logits[cs][a]) / sum(sp.exp(x) for x in logits[cs])
                value = sp.nsimplify(sp.diff(softmax, logits[cs][ca]).subs(at))
                dpol[cs][a] = F(int(value.p), int(value.q))
            V, dV = [F(0)] * N_S, [F(0)] * N_S
            for _ in range(self.T):
                Q = [
                    [R[s][a] + sum(P[s][a][s1] * V[s1] for s1 in range(N_S)) for a in range(N_A)]
                    for s in range(N_S)
                ]
                dV = [
                    sum(
                        dpol[s][a] * Q[s][a]
                        + pi_value(s, a) * sum(P[s][a][s1] * dV[s1] for s1 in range(N_S))
                        for a in range(N_A)
                    )
                    for s in range(N_S)
                ]
                V = [sum(pi_value(s, a) * Q[s][a] for a in range(N_A)) for s in range(N_S)]
            dJ = sum(RHO[s] * dV[s] for s in range(N_S))
            grads.append(sp.Rational(dJ.numerator, dJ.denominator))
        return grads


def components() -> list[tuple[int, int]]:
    return [(s, a) for s in range(N_S) for a in range(N_A)]

"""Solving an MDP exactly (S&B chapters 3-4).

- ``evaluate``: V_π and Q_π from the linear system or from sweeps (greedy actions per sweep).
- ``optimal``: policy iteration (floats or fractions, one loop), value iteration to
  convergence or for exactly K sweeps (V*, Q*, every optimal action, traces).
- ``arithmetic``: the number fields those loops run in, ``Floats`` and ``Fractions``.
- ``greedy``: action values from state values, the greedy action sets, tie policies.
- ``linsolve``: (I − γP_π)V = r_π by dense solve, sparse LU or GMRES.
- ``proper``: γ = 1 tasks, which states reach a terminal state with probability 1.
- ``exact``: rational elimination and sweeps, closed forms with sympy symbols, the
  conditions (and, with one symbol, the interval) where a policy stays optimal.
- ``equations``: the Bellman equations as sympy equations, for write-ups.
- ``limits``: the size limits, checked before work starts; ``FieldError`` names the field.
- ``runs``: what ``mdp evaluate`` and ``mdp solve`` compute from their settings.
"""

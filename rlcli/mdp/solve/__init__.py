"""Solving an MDP exactly (S&B chapters 3-4).

- ``evaluate``: V_π and Q_π from the linear system or from sweeps.
- ``optimal``: policy iteration and value iteration (V*, Q*, optimal actions, traces).
- ``greedy``: action values from state values, and the greedy action sets they define.
- ``linsolve``: (I − γP_π)V = r_π by dense solve, sparse LU or GMRES.
- ``proper``: γ = 1 tasks, which states reach a terminal state with probability 1.
- ``exact``: evaluation and policy iteration in fractions, closed forms with sympy symbols.
- ``equations``: the Bellman equations as sympy equations, for write-ups.
"""

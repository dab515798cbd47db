"""Which states episodes can visit: graph search over the transitions a policy allows."""

from __future__ import annotations

import numpy as np

from rlcli.mdp.model import MDP


def reachable(mdp: MDP, pi: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(S,) True for the states reachable with positive probability from the start states
    (``start > 0``) when following the (K,) policy ``pi``."""
    from scipy.sparse.csgraph import breadth_first_order

    from rlcli.mdp.solve.evaluate import policy_model

    P_pi, _ = policy_model(mdp, pi)
    graph = P_pi.copy()
    graph.eliminate_zeros()  # pairs the policy never takes leave explicit zeros
    graph.data[:] = 1.0
    reach = np.zeros(mdp.n_states, dtype=bool)
    for s in np.flatnonzero(start > 0):
        reach[breadth_first_order(graph, s, directed=True, return_predecessors=False)] = True
    return reach

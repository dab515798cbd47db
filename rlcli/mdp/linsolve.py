"""Solving the policy-evaluation system (I − γ P_π) V = r_π: dense, sparse LU or GMRES.

Small systems are solved densely. Large sparse ones are tried with GMRES first (a
bounded budget; warm-started from the previous values inside policy iteration), which
is fast on random transition graphs where sparse LU fills in; if GMRES does not reach
the tolerance the system is factorised with sparse LU, which is fast on grids.
Every answer's residual is checked by the caller.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DENSE_LIMIT = 600  # states; below this a dense solve is fastest
GMRES_RESTART = 40
GMRES_CYCLES = 8  # at most 320 matrix-vector products before falling back to LU


def solve_system(
    A: Any, b: np.ndarray, x0: np.ndarray | None = None, hint: str | None = None
) -> tuple[np.ndarray, str]:
    """Solve A x = b (A a scipy sparse matrix); returns (x, method used).

    ``hint`` ("gmres" or "lu") is the method that worked last time for a similar system.
    """
    n = A.shape[0]
    if n == 0:
        return np.zeros(0), "dense"
    if n <= DENSE_LIMIT:
        return np.linalg.solve(A.toarray(), b), "dense"
    if hint != "lu":
        x = _gmres(A, b, x0)
        if x is not None:
            return x, "gmres"
    from scipy.sparse.linalg import splu

    return splu(A.tocsc(), permc_spec="COLAMD").solve(b), "lu"


def _gmres(A: Any, b: np.ndarray, x0: np.ndarray | None) -> np.ndarray | None:
    from scipy.sparse.linalg import gmres

    scale = max(1.0, float(np.max(np.abs(b))))
    x, _ = gmres(
        A, b, x0=x0, rtol=0.0, atol=1e-11 * scale * np.sqrt(len(b)),
        restart=GMRES_RESTART, maxiter=GMRES_CYCLES,
    )  # fmt: skip
    if np.max(np.abs(A @ x - b)) <= 1e-9 * scale:
        return x
    return None

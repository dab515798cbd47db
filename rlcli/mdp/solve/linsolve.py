"""Solving the policy-evaluation system (I − γ P_π) V = r_π: dense, sparse LU or GMRES.

Small systems are solved densely (small models build them as dense arrays, without
SciPy). Large sparse ones are tried with GMRES first (a bounded budget; warm-started from
the previous values inside policy iteration), which is fast on random transition graphs
where sparse LU fills in; if GMRES does not reach the tolerance the system is factorised
with sparse LU, which is fast on grids.
Every answer's residual is checked by the caller.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcli.mdp.model import DENSE_STATES

DENSE_LIMIT = DENSE_STATES  # unknowns; up to this a dense solve is fastest
GMRES_RESTART = 30
GMRES_CYCLES = 8  # at most 240 matrix-vector products before falling back to LU


def solve_system(
    A: Any, b: np.ndarray, x0: np.ndarray | None = None, hint: str | None = None
) -> tuple[np.ndarray, str]:
    """Solve A x = b (A a dense array or a SciPy sparse matrix); returns (x, method used).

    ``hint`` ("gmres" or "lu") is the method that worked last time for a similar system.
    """
    n = A.shape[0]
    if n == 0:
        return np.zeros(0), "dense"
    if isinstance(A, np.ndarray):
        return np.linalg.solve(A, b), "dense"
    if n <= DENSE_LIMIT:
        return np.linalg.solve(A.toarray(), b), "dense"
    if hint != "lu":
        x = _gmres(A, b, x0)
        if x is not None:
            return x, "gmres"
    from scipy.sparse.linalg import splu

    return splu(A.tocsc(), permc_spec="COLAMD").solve(b), "lu"


def _gmres(A: Any, b: np.ndarray, x0: np.ndarray | None) -> np.ndarray | None:
    """Restarted GMRES(m) with twice-classical Gram–Schmidt (Saad, Alg. 6.9); the basis is
    a C-ordered (m+1, n) block so each step costs one matvec and two matrix-vector products
    with it. Those are ``einsum`` loops, single-threaded: with OpenBLAS's threaded ``gemv``
    policy iteration on 100,000 states took 1.4-1.5x the CPU time and more wall time on a
    busy 2-core machine (each product 3-4x the CPU of a single-threaded one).
    Returns None if the residual does not reach 1e-10 × max(1, ‖b‖∞) within the budget."""
    n = len(b)
    scale = max(1.0, float(np.max(np.abs(b))))
    target = 1e-10 * scale
    x = np.zeros(n) if x0 is None else x0.astype(float, copy=True)
    basis = np.empty((GMRES_RESTART + 1, n))
    for _ in range(GMRES_CYCLES):
        r = b - A @ x
        beta = float(np.linalg.norm(r))
        if beta <= target:
            return x
        H = np.zeros((GMRES_RESTART + 1, GMRES_RESTART))
        basis[0] = r / beta
        y = np.zeros(0)
        for j in range(GMRES_RESTART):
            w = A @ basis[j]
            for _ in range(2):  # CGS2: reorthogonalise once
                h = np.einsum("ij,j->i", basis[: j + 1], w)
                w -= np.einsum("i,ij->j", h, basis[: j + 1])
                H[: j + 1, j] += h
            H[j + 1, j] = np.sqrt(np.einsum("i,i->", w, w))
            e1 = np.zeros(j + 2)
            e1[0] = beta
            y = np.linalg.lstsq(H[: j + 2, : j + 1], e1, rcond=None)[0]
            small = np.linalg.norm(H[: j + 2, : j + 1] @ y - e1) <= target
            if small or H[j + 1, j] <= 1e-14 * beta:
                break
            basis[j + 1] = w / H[j + 1, j]
        x += np.einsum("i,ij->j", y, basis[: len(y)])
    if np.max(np.abs(A @ x - b)) <= 10 * target:
        return x
    return None

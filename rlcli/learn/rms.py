"""Error of learned values against the exact V_π: RMS over the non-terminal states."""

from __future__ import annotations

import numpy as np


def rms_error(V: np.ndarray, v_true: np.ndarray, terminal: np.ndarray) -> np.ndarray:
    """(B,) √(mean_{s non-terminal} (V_b(s) − v_π(s))²) for each row of V (B, S)."""
    live = ~terminal
    return np.sqrt(np.mean((V[:, live] - v_true[live]) ** 2, axis=1))


def mean_and_stderr(per_run: np.ndarray) -> tuple[float, float]:
    """Mean over runs and its standard error s/√R (0 for a single run)."""
    R = len(per_run)
    mean = float(np.mean(per_run))
    se = float(np.std(per_run, ddof=1) / np.sqrt(R)) if R > 1 else 0.0
    return mean, se

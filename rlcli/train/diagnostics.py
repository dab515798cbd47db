"""What a training run logs beside its losses, to tell whether learning is healthy."""

from __future__ import annotations

import numpy as np


def explained_variance(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """1 − Var[y − ŷ] / Var[y]: the share of the returns' variance the critic explains.

    1 is a perfect critic, 0 one no better than a constant, negative worse than that; NaN
    when the returns do not vary (as CleanRL logs it, on the rollout's V_old and returns).
    """
    var_y = float(np.var(y_true))
    return float("nan") if var_y == 0 else 1.0 - float(np.var(y_true - y_pred)) / var_y

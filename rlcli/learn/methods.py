"""The names of the learning methods and their variants, declared once.

Plain tuples without NumPy, so the command line can list them in ``--help`` cheaply.
"""

from __future__ import annotations

PREDICTION_METHODS = ("mc", "td", "nstep", "td-lambda")
BATCH_METHODS = {"batch-td": "td", "batch-mc": "mc"}  # batch updating (S&B §6.3) of td, mc
TD_LAMBDA_VARIANTS = ("offline", "accumulating", "replacing", "true-online")
VISITS = ("every", "first")
IMPORTANCE = ("ordinary", "weighted")

CONTROL_NAMES = {
    "sarsa": "SARSA",
    "q-learning": "Q-learning",
    "expected-sarsa": "Expected SARSA",
    "double-q": "Double Q-learning",
    "mc-es": "MC ES",
    "mc-on-policy": "on-policy first-visit MC",
    "mc-off-policy": "off-policy MC (weighted IS)",
}
CONTROL_METHODS = tuple(CONTROL_NAMES)
MC_CONTROL_METHODS = ("mc-es", "mc-on-policy", "mc-off-policy")  # no step size α

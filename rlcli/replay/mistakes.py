"""Common mistakes in replay answers, each a recomputation with the mistake made.

The grader names one only when its recomputation reproduces every number the student gave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rlcli.replay.experience import Experience
from rlcli.replay.run import Options, replay

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.mdp.model import MDP


def replay_mistakes(
    method: str, exp: Experience | None, opt: Options, mdp: MDP | None
) -> dict[str, Callable[[], Mapping[str, Any]]]:
    """Name → recompute the document with that mistake."""

    def rerun(m: str = method, **changes: Any) -> Callable[[], Mapping[str, Any]]:
        return lambda: replay(m, exp, replace(opt, **changes), mdp).document()

    out: dict[str, Callable[[], Mapping[str, Any]]] = {}
    if opt.gamma is not None and opt.gamma.strip() not in ("1", "1.0"):
        out["γ left out (γ = 1)"] = rerun(gamma="1")
    if method in ("mc", "importance-sampling"):
        other = "first" if opt.visit == "every" else "every"
        out[f"{other}-visit instead of {opt.visit}-visit"] = rerun(visit=other)
    if method == "mc" and opt.alpha is not None and not opt.batch:
        out["sample averages 1/N instead of the constant α"] = rerun(alpha=None)
    if method in ("td", "mc") and opt.batch:
        other = "mc" if method == "td" else "td"
        out[f"batch {other.upper()} instead of batch {method.upper()}"] = rerun(other)
        out["online updates instead of batch updating"] = rerun(batch=False)
    if method == "q-learning":
        out["SARSA's target (the action taken next) instead of the max"] = rerun("sarsa")
    if method == "sarsa":
        out["Q-learning's max instead of the next action's value"] = rerun("q-learning")
    if method == "td-lambda" and opt.variant != "offline":
        out["the offline λ-return instead of traces"] = rerun(variant="offline")
    if opt.alpha is not None and opt.alpha.strip() not in ("1", "1.0"):
        out["α = 1 (the target itself instead of a step toward it)"] = rerun(alpha="1")
    return out

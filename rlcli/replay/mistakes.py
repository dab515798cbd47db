"""Common mistakes in replay answers, each a recomputation with the mistake made.

The grader names one only when its recomputation reproduces every number the student gave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rlcli.replay.experience import Experience
from rlcli.replay.run import Options, replay
from rlcli.replay.setup import resolve

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.mdp.model import MDP


def replay_mistakes(
    method: str, exp: Experience | None, opt: Options, mdp: MDP | None
) -> dict[str, Callable[[], Mapping[str, Any]]]:
    """Name → recompute the document with that mistake."""

    def rerun(m: str = method, **changes: Any) -> Callable[[], Mapping[str, Any]]:
        return lambda: replay(m, exp, replace(opt, **changes), mdp).document()

    out: dict[str, Callable[[], Mapping[str, Any]]] = {}
    # γ and α as the replay used them: given as options, or by the experience file
    setup = resolve(exp, opt.gamma, opt.alpha, mdp) if exp is not None else None
    gamma = setup.gamma if setup is not None else None
    alpha = setup.alpha if setup is not None else None
    if gamma is not None and gamma != 1:
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
    if alpha is not None and alpha != 1:
        out["α = 1 (the target itself instead of a step toward it)"] = rerun(alpha="1")
    if (
        method in ALPHA_UPDATES
        and not opt.batch
        and (method != "td-lambda" or opt.variant == "offline")
    ):
        out["α applied to the target instead of to the error (V + α·target)"] = rerun(
            alpha_on_target=True
        )
    if method == "importance-sampling":
        right = rerun()
        out["ordinary IS (divided by n) instead of weighted (by Σρ)"] = _estimates(
            right, weighted="ordinary"
        )
        out["weighted IS (divided by Σρ) instead of ordinary (by n)"] = _estimates(
            right, ordinary="weighted"
        )
        out["ordinary and weighted IS swapped"] = _estimates(
            right, ordinary="weighted", weighted="ordinary"
        )
    return out


# the methods whose updates are V ← V + α[target − V] (traces are not: they apply α·δ·e)
ALPHA_UPDATES = ("td", "nstep", "td-lambda", "mc", "sarsa", "q-learning", "expected-sarsa",
                 "double-q")  # fmt: skip


def _estimates(
    right: Callable[[], Mapping[str, Any]], **given_as: str
) -> Callable[[], Mapping[str, Any]]:
    """The importance-sampling document with each estimate ``key`` reported as the
    estimate ``given_as[key]`` (the ordinary one where the weighted was asked, ...), for the
    top-level state and every state."""

    def swap(row: Any) -> Any:
        if not isinstance(row, Mapping):
            return row
        return {**row, **{k: row[v] for k, v in given_as.items() if v in row}}

    def doc() -> Mapping[str, Any]:
        d = dict(right())
        out = swap(d)
        if isinstance(d.get("states"), Mapping):
            out["states"] = {s: swap(r) for s, r in d["states"].items()}
        if isinstance(d.get("exact"), Mapping):
            ex = swap(d["exact"])
            if isinstance(ex.get("states"), Mapping):
                ex["states"] = {s: swap(r) for s, r in ex["states"].items()}
            out["exact"] = ex
        return out

    return doc

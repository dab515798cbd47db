"""KL between two categoricals and Schulman's estimators from samples of p.

KL(p‖q) = Σ p ln(p/q) (∞ when q = 0 where p > 0). For x ~ p and r = q(x)/p(x):
k1 = −ln r (unbiased), k2 = ½(ln r)² (biased), k3 = (r − 1) − ln r (unbiased when q = 0
off p's support, ≥ 0); E_p[k3] = KL(p‖q) + Σ_{p>0} q − 1. k3 is ``rlcli.train.losses.k3``.
"""

from __future__ import annotations

import math

import numpy as np

from rlcli.errors import UsageError
from rlcli.replay.numbers import Value
from rlcli.replay.worked import Line, Table, Worked, num, paren, show
from rlcli.train.losses import k3


def kl_divergence(p: list[Value], q: list[Value]) -> float:
    total = 0.0
    for pi, qi in zip(p, q, strict=True):
        if pi > 0:
            if qi == 0:
                return math.inf
            total += float(pi) * math.log(pi / qi)
    return total


def _check(dist: list[Value], name: str) -> None:
    if any(x < 0 for x in dist):
        raise UsageError(f"{name}: probabilities cannot be negative")
    if abs(float(sum(dist)) - 1) > 1e-9:
        raise UsageError(f"{name}: probabilities sum to {show(sum(dist))}, not 1")


def kl_calc(p: list[Value], q: list[Value], samples: list[int] | None) -> Worked:
    if len(p) != len(q):
        raise UsageError(f"p has {len(p)} outcomes, q has {len(q)}")
    _check(p, "p")
    _check(q, "q")
    fwd, rev = kl_divergence(p, q), kl_divergence(q, p)
    terms = " + ".join(
        f"{paren(a)}·ln({paren(a)}/{paren(b)})" for a, b in zip(p, q, strict=True) if a > 0
    )
    rterms = " + ".join(
        f"{paren(b)}·ln({paren(b)}/{paren(a)})" for a, b in zip(p, q, strict=True) if b > 0
    )
    lines = [
        Line("KL(p‖q)", f"Σ p ln(p/q) = {terms} = {fwd:.6g}", {"kl": fwd}),
        Line("KL(q‖p)", f"Σ q ln(q/p) = {rterms} = {rev:.6g}", {"reverse_kl": rev}),
    ]
    doc: dict = {"kl": num(fwd), "reverse_kl": num(rev)}
    tables = []
    notes = ["natural logarithm (nats)"]
    if samples is not None:
        if not samples:
            raise UsageError("samples: expected at least one outcome index 0, 1, 2, ...")
        for i in samples:
            if not 0 <= i < len(p):
                raise UsageError(f"samples: index {i} is not an outcome (0..{len(p) - 1})")
            if p[i] == 0:
                raise UsageError(f"samples: outcome {i} has p = 0, so it cannot be drawn from p")
        if any(q[i] == 0 for i in samples):
            raise UsageError("samples: an outcome with q = 0 makes ln r = −∞ (KL(p‖q) = ∞)")
        logp = np.log(np.array([float(p[i]) for i in samples]))
        logq = np.log(np.array([float(q[i]) for i in samples]))
        log_r = logq - logp
        k1 = -log_r
        k2 = 0.5 * log_r**2
        k3_, _ = k3(logp, logq)
        rows = []
        for j, i in enumerate(samples):
            r = q[i] / p[i]
            rows.append(
                [str(j + 1), str(i), show(r), f"{k1[j]:.6g}", f"{k2[j]:.6g}", f"{k3_[j]:.6g}"]
            )
            lines.append(
                Line(
                    f"x_{j + 1} = {i}",
                    f"r = q/p = {paren(q[i])}/{paren(p[i])} = {show(r)}: "
                    f"k1 = −ln r = {k1[j]:.6g}, k2 = ½(ln r)² = {k2[j]:.6g}, "
                    f"k3 = (r−1) − ln r = {k3_[j]:.6g}",
                    {
                        "sample": i,
                        "ratio": r,
                        "k1": float(k1[j]),
                        "k2": float(k2[j]),
                        "k3": float(k3_[j]),
                    },
                )
            )
        rows.append(["mean", "", "", f"{k1.mean():.6g}", f"{k2.mean():.6g}", f"{k3_.mean():.6g}"])
        support = [i for i in range(len(p)) if p[i] > 0]
        e1 = fwd
        e2 = sum(
            0.5 * float(p[i]) * math.log(q[i] / p[i]) ** 2 if q[i] > 0 else math.inf
            for i in support
        )
        k3_bias = float(sum(q[i] for i in support) - 1)  # Σ_{p>0} q − 1, exactly
        e3 = fwd + k3_bias
        rows.append(["E_p (exact)", "", "", f"{e1:.6g}", f"{e2:.6g}", f"{e3:.6g}"])
        # E_p k1 = KL and E_p k3 = KL + Σ_{p>0} q − 1 hold even when KL(p‖q) = ∞; k2's bias
        # E_p k2 − KL is then ∞ − ∞, undefined (null in --json)
        k2_bias = f"{e2 - fwd:.6g}" if math.isfinite(fwd) else "undefined (∞ − ∞)"
        rows.append(["bias", "", "", "0", k2_bias, f"{k3_bias:.6g}"])
        tables.append(
            Table(
                "estimators of KL(p‖q) from samples x ~ p, r = q(x)/p(x)",
                ["sample", "x", "r", "k1", "k2", "k3"],
                rows,
            )
        )
        doc.update(
            k1=float(k1.mean()),
            k2=float(k2.mean()),
            k3=float(k3_.mean()),
            expectations={"k1": num(e1), "k2": num(e2), "k3": num(e3)},
            bias={"k1": 0.0, "k2": num(e2 - fwd), "k3": k3_bias},
        )
        notes.append("samples are 0-based outcome indices drawn from p")
    return Worked("KL divergence of two categoricals", notes, lines, tables, doc)

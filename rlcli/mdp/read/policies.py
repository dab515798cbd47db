"""The ``start`` distribution and the named ``policies`` of an MDP file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from rlcli.mdp.read.numbers import PROB_TOLERANCE, Numbers, check_probability, number_field
from rlcli.mdp.read.report import Report, kind, name_of
from rlcli.mdp.read.transitions import show_sum


def distribution(
    raw: Any,
    report: Report,
    numbers: Numbers,
    owner: Any,
    key: Any,
    path: str,
    options: Mapping[str, int],
    what: str,
) -> dict[int, tuple[float, Any]] | None:
    """``name`` or ``{name: prob}`` over ``options`` -> {index: (prob, source)}."""
    name = name_of(raw)
    if name is not None:
        if name not in options:
            report.add(owner, key, path, report.unknown(what, raw, options))
            return None
        return {options[name]: (1.0, 1)}
    if not isinstance(raw, Mapping) or not raw:
        report.add(
            owner,
            key,
            path,
            f"expected a {what} or a mapping {what}: probability, got {kind(raw)}",
        )
        return None
    report.duplicates(raw, path)
    result: dict[int, tuple[float, Any]] = {}
    ok = True
    for item in raw:
        item_name = name_of(item)
        if item_name is None or item_name not in options:
            report.add(
                raw,
                item,
                f"{path}.{item}",
                report.unknown(what, item, options),
            )
            ok = False
            continue
        prob = number_field(numbers, report, raw, item, f"{path}.{item}")
        if prob is None:
            ok = False
            continue
        if prob[0] < 0 or prob[0] > 1 + PROB_TOLERANCE:
            check_probability(prob[0], report, raw, item, f"{path}.{item}")
            ok = False
        result[options[item_name]] = prob
    if not ok:
        return None
    total = math.fsum(p for p, _ in result.values())
    if abs(total - 1) > PROB_TOLERANCE:
        shown = show_sum([src for _, src in result.values()], total)
        report.add(owner, key, path, f"probabilities sum to {shown}, not 1")
        return None
    return result


def start_field(
    data: Mapping, report: Report, numbers: Numbers, index: Mapping[str, int]
) -> np.ndarray | None:
    """The file's ``start`` field (a state, or ``{state: prob}``) as an (S,) array, or None."""
    if data.get("start") is None:
        return None
    dist = distribution(data["start"], report, numbers, data, "start", "start", index, "state")
    if dist is None:
        return None
    start = np.zeros(len(index))
    for s, (p, _) in dist.items():
        start[s] = p
    return start


def named_policies(
    data: Mapping,
    report: Report,
    numbers: Numbers,
    states: list[str],
    index: Mapping[str, int],
    pair_ptr: np.ndarray,
    pair_names: list[str],
) -> dict[str, np.ndarray]:
    raw = data.get("policies")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        report.add(
            data, "policies", "policies", f"expected a mapping name: policy, got {kind(raw)}"
        )
        return {}
    report.duplicates(raw, "policies")
    result: dict[str, np.ndarray] = {}
    for pname, spec in raw.items():
        path = f"policies.{pname}"
        if spec == "uniform":
            result[str(pname)] = (1.0 / np.maximum(np.diff(pair_ptr), 1))[
                np.repeat(np.arange(len(states)), np.diff(pair_ptr))
            ]
            continue
        if not isinstance(spec, Mapping):
            report.add(
                raw,
                pname,
                path,
                f"expected a mapping state: action (or 'uniform'), got {kind(spec)}",
            )
            continue
        report.duplicates(spec, path)
        pi = np.zeros(len(pair_names))
        ok = True
        covered: set[int] = set()
        for sname, choice in spec.items():
            s_path = f"{path}.{sname}"
            name = name_of(sname)
            if name is None or name not in index:
                report.add(spec, sname, s_path, report.unknown("state", sname, index))
                ok = False
                continue
            s = index[name]
            lo, hi = int(pair_ptr[s]), int(pair_ptr[s + 1])
            if lo == hi:
                report.add(spec, sname, s_path, "a terminal state takes no action")
                ok = False
                continue
            options = {pair_names[k]: k - lo for k in range(lo, hi)}
            if choice == "uniform":
                pi[lo:hi] = 1.0 / (hi - lo)
                covered.add(s)
                continue
            dist = distribution(choice, report, numbers, spec, sname, s_path, options, "action")
            if dist is None:
                ok = False
                continue
            for j, (p, _) in dist.items():
                pi[lo + j] = p
            covered.add(s)
        missing = [
            states[s]
            for s in range(len(states))
            if pair_ptr[s + 1] > pair_ptr[s] and s not in covered
        ]
        if ok and missing:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            report.add(raw, pname, path, f"no action given for state(s) {shown}")
            ok = False
        if ok:
            result[str(pname)] = pi
    return result

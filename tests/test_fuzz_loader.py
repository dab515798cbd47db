"""Fuzzing the loader with hypothesis: thousands of mutated MDP documents (from the bundled
problems and small random ones), as YAML text and as JSON text; raw bytes as files;
hostile expressions in every place a number goes; inline policies. Every one must end in
a valid ``MDP`` that satisfies the model's invariants, or in an ``MDPFileError`` (a
``UsageError`` for bad overrides and policies): no other exception, no hang. Expressions
that are accepted must have the value Python computes for the same text in Fractions."""

from __future__ import annotations

import copy
import json
import math
import random
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlcli.errors import MDPFileError, UsageError
from rlcli.mdp.model import MDP
from rlcli.mdp.policy import resolve_policy
from rlcli.mdp.read.expr import ExprError, parse
from rlcli.mdp.read.load import load_mdp, loads_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
# the gambler's problem and blackjack are left out only for speed (2,500 pairs, 2,142 outcomes)
BASES = [
    yaml.safe_load(p.read_text())
    for p in sorted(PROBLEMS.glob("*.yaml"))
    if p.stem not in ("gamblers-problem", "blackjack")
]

FIELDS = ["name", "description", "gamma", "parameters", "states", "terminal", "start",
          "transitions", "policies", "grid", "next", "p", "r", "map", "cells", "slip", "wind",
          "moves", "step_reward", "jump", "reset", "uniform"]  # fmt: skip

JUNK: list[Any] = [
    None, True, False, 0, 1, -1, 2, 0.5, -0.5, 1.5, 1e-12, 10**30, -(10**30), 1e300,
    float("inf"), float("-inf"), "", " ", "x", "a", "high", "uniform", "1/0", "0**-1",
    "9**9**9", "2**0.5", "(-1)**0.5", "1 - alpha", "alpha", "abs(1)", "x.y", "x[0]",
    "lambda: 1", "'s'", "((((1))))", "-" * 80 + "1", "(" * 70 + "1" + ")" * 70, "1e-3",
    "1/3", "ph", "10**30", [], {}, [1, 2], ["a", "b"], {"a": 1}, {"next": "a"},
    {"next": {"a": 1}}, [{"next": "a", "p": 1, "r": 0}], {"up": "a"}, "S . G", ". #\nG .",
    "é", "\x00", "a" * 300, {"map": "S G"}, [[[[]]]],
]  # fmt: skip
# Values that once crashed the loader (beyond float range, NaN): kept as regressions.
JUNK += ["1e999", "10**400", "2**0.5 * 10**400", float("nan"), [["up"]], 10**400]


# ---- small random documents ------------------------------------------------------------


def random_doc(rnd: random.Random) -> dict[str, Any]:
    """A small valid MDP document in one of the three outcome forms."""
    n = rnd.randint(1, 4)
    states = [rnd.choice(["s", "t", "u"]) + str(i) for i in range(n)]
    terminal = [states[-1]] if n > 1 and rnd.random() < 0.5 else []
    doc: dict[str, Any] = {"gamma": rnd.choice([0, 0.5, 0.9, 1, "9/10", "g"]), "states": states}
    doc["parameters"] = {"g": "1/2", "q": rnd.choice(["1/3", "0.25", "g/2"])}
    if terminal:
        doc["terminal"] = terminal
    transitions: dict[str, Any] = {}
    for s in states:
        if s in terminal:
            continue
        actions: dict[str, Any] = {}
        for a in rnd.sample(["go", "stay", "jump"], rnd.randint(1, 3)):
            nxt = rnd.sample(states, rnd.randint(1, n))
            form = rnd.randint(0, 2)
            if form == 0 or len(nxt) == 1:
                actions[a] = {"next": nxt[0], "r": rnd.choice([0, 1, -1, "q", 0.5])}
            elif form == 1:
                ps = _split(rnd, len(nxt))
                actions[a] = [
                    {"next": t, "p": p, "r": rnd.choice([0, 1, "-2*q"])}
                    for t, p in zip(nxt, ps, strict=True)
                ]
            else:
                ps = _split(rnd, len(nxt))
                actions[a] = {"r": rnd.choice([0, 2]), "next": dict(zip(nxt, ps, strict=True))}
        transitions[s] = actions
    doc["transitions"] = transitions
    if rnd.random() < 0.5:
        doc["start"] = states[0]
    live = [s for s in states if s not in terminal]
    doc["policies"] = {
        "u": "uniform",
        "first": {s: next(iter(transitions[s])) for s in live},
    }
    return doc


def _split(rnd: random.Random, k: int) -> list[Any]:
    """k probabilities summing to 1, as fractions text or floats."""
    if rnd.random() < 0.5:
        return [f"1/{k}"] * k
    cuts = sorted(rnd.randint(0, 8) for _ in range(k - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 8], strict=True)]
    return [p / 8 for p in parts]


# ---- mutations -------------------------------------------------------------------------


def nodes(doc: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a node (dict key or list index) in ``doc``."""
    found = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += nodes(v, (*path, i))
    return found


def parent_of(doc: Any, path: tuple) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def mutate(doc: Any, rnd: random.Random, junk: list[Any]) -> Any:
    paths = [p for p in nodes(doc) if p]
    if not paths:
        return rnd.choice(junk)
    path = rnd.choice(paths)
    parent, key = parent_of(doc, path), path[-1]
    op = rnd.randint(0, 6)
    if op == 0:  # delete
        del parent[key]
    elif op == 1 and isinstance(parent, dict):  # rename a key
        value = parent.pop(key)
        new_key = rnd.choice([*FIELDS, *(str(j) for j in junk[:25]), str(key) + "x", 1, 2.5])
        parent[new_key] = value
    elif op == 2:  # swap in a value of another type
        parent[key] = copy.deepcopy(rnd.choice(junk))
    elif op == 3:  # break a probability (or any number)
        parent[key] = rnd.choice([-0.1, 0, 0.3, 0.999, 1.0000001, 2, "1/2", "2/3", "p"])
    elif op == 4:  # duplicate a subtree elsewhere
        target = rnd.choice(paths)
        tp = parent_of(doc, target)
        tp[target[-1]] = copy.deepcopy(parent[key])
    elif op == 5 and isinstance(parent, list):  # grow a list
        parent.append(copy.deepcopy(rnd.choice([*parent, *junk[:10]]) if parent else 1))
    else:  # wrap in a list or mapping
        parent[key] = [parent[key]] if rnd.random() < 0.5 else {"x": parent[key]}
    return doc


# ---- the invariants of a valid model ---------------------------------------------------


def check_model(mdp: MDP) -> None:
    S, K, Z = len(mdp.states), len(mdp.pair_action), len(mdp.out_next)
    assert len(set(mdp.states)) == S and S > 0
    assert mdp.terminal.shape == (S,) and mdp.pair_ptr.shape == (S + 1,)
    assert mdp.pair_ptr[0] == 0 and mdp.pair_ptr[-1] == K
    assert np.all(np.diff(mdp.pair_ptr) >= 0)
    assert mdp.out_ptr.shape == (K + 1,) and mdp.out_ptr[0] == 0 and mdp.out_ptr[-1] == Z
    assert np.all(np.diff(mdp.out_ptr) > 0)  # every pair has an outcome
    assert mdp.out_prob.shape == mdp.out_reward.shape == (Z,)
    assert np.all((mdp.out_next >= 0) & (mdp.out_next < S))
    assert np.all((mdp.pair_action >= 0) & (mdp.pair_action < len(mdp.actions)))
    assert np.all(np.isfinite(mdp.out_prob)) and np.all(np.isfinite(mdp.out_reward))
    assert np.all(mdp.out_prob >= 0) and np.all(mdp.out_prob <= 1 + 1e-9)
    sums = np.add.reduceat(mdp.out_prob, mdp.out_ptr[:-1]) if K else np.zeros(0)
    assert np.allclose(sums, 1, atol=1e-8)
    counts = np.diff(mdp.pair_ptr)
    assert np.all(counts[mdp.terminal] == 0) and np.all(counts[~mdp.terminal] > 0)
    for s in range(S):  # one pair per (state, action)
        acts = mdp.pair_action[mdp.pair_ptr[s] : mdp.pair_ptr[s + 1]]
        assert len(set(acts.tolist())) == len(acts)
    assert 0 <= mdp.gamma <= 1 and math.isfinite(mdp.gamma)
    if mdp.start is not None:
        assert mdp.start.shape == (S,) and np.isclose(mdp.start.sum(), 1)
        assert np.all(mdp.start >= 0)
    for pi in mdp.policies.values():
        assert pi.shape == (K,) and np.all(pi >= 0)
        per_state = np.add.reduceat(pi, mdp.pair_ptr[:-1][counts > 0]) if K else []
        assert np.allclose(per_state, 1)
    assert len(mdp.exact.out_prob) == Z and len(mdp.exact.out_reward) == Z


def load_or_reject(doc: Any, as_json: bool, overrides: dict[str, str] | None = None) -> str:
    """Load ``doc`` serialised as JSON or YAML; 'ok', 'invalid' or 'usage'."""
    text = json.dumps(doc) if as_json else yaml.safe_dump(doc, allow_unicode=True)
    try:
        mdp = loads_mdp(text, "fuzz.json" if as_json else "fuzz.yaml", json_format=as_json,
                        overrides=overrides)  # fmt: skip
    except MDPFileError as exc:
        assert exc.problems, "an MDPFileError must carry at least one problem"
        for p in exc.problems:
            assert p.file and p.message and "\n" not in p.message
            assert p.line is None or p.line >= 1
        return "invalid"
    except UsageError:
        assert overrides, "UsageError without overrides"
        return "usage"
    check_model(mdp)
    return "ok"


def run_mutated(base: Any, rnd: random.Random, n: int, junk: list[Any]) -> None:
    doc = copy.deepcopy(base)
    for _ in range(n):
        doc = mutate(doc, rnd, junk)
    overrides = None
    if rnd.random() < 0.15:
        name = rnd.choice(["alpha", "beta", "ph", "g", "q", "gamma", "nope"])
        overrides = {name: str(rnd.choice(["1/2", "0", "2", "x", "1/0", "abs(1)", "0.3"]))}
    for as_json in (False, True):
        load_or_reject(doc, as_json, overrides)


FUZZ = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(base=st.sampled_from(BASES), rnd=st.randoms(use_true_random=False), n=st.integers(1, 4))
def test_mutated_bundled_problems(base: Any, rnd: random.Random, n: int) -> None:
    run_mutated(base, rnd, n, JUNK)


@FUZZ
@given(rnd=st.randoms(use_true_random=False), n=st.integers(0, 3))
def test_mutated_random_documents(rnd: random.Random, n: int) -> None:
    base = random_doc(rnd)
    if n == 0:
        assert load_or_reject(base, False) == "ok"
        assert load_or_reject(base, True) == "ok"
        return
    run_mutated(base, rnd, n, JUNK)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(rnd=st.randoms(use_true_random=False), n=st.integers(1, 6))
def test_mutated_text(rnd: random.Random, n: int) -> None:
    """Character-level damage to YAML and JSON text: only MDPFileError or a valid model."""
    doc = random_doc(rnd)
    for as_json, text in ((False, yaml.safe_dump(doc)), (True, json.dumps(doc, indent=1))):
        chars = list(text)
        for _ in range(n):
            i = rnd.randrange(len(chars) + 1)
            op = rnd.randint(0, 2)
            if op == 0 and i < len(chars):
                del chars[i]
            elif op == 1:
                chars.insert(i, rnd.choice("{}[]:,-&*!|>'\"#\n\t 0.aZ%@`\\"))
            elif i < len(chars):
                chars[i] = rnd.choice("{}[]:,-&*!|>'\"#\n\t 0.aZ")
        try:
            mdp = loads_mdp("".join(chars), "t", json_format=as_json)
        except MDPFileError:
            continue
        check_model(mdp)


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo hacked']",
        "gamma: !!python/name:os.system\n",
        "gamma: !!binary aGVsbG8=\n",
        "gamma: 1\nstates: !!set {a, b}\n",
        "gamma: 1\nstates: [2001-12-14]\ntransitions: {2001-12-14: {go: {next: 2001-12-14}}}\n",
        "? [a, b]\n: 1\n",
        "gamma: &x 1\nstates: [*x]\ntransitions: {*x : {go: {next: *x}}}\n",
        "gamma: *undefined\n",
        "%YAML 1.1\n---\ngamma: 1\n",
        "\ufeffgamma: 1\n",
    ],
)
def test_yaml_oddities(text: str) -> None:
    try:
        mdp = loads_mdp(text, "odd.yaml")
    except MDPFileError:
        return
    check_model(mdp)


# ---- expressions ---------------------------------------------------------------------------

# small numbers and the hostile literals of issue 10 (exponents, Unicode digits, sizes)
ATOMS = ["0", "1", "2", "3", "7", "12", "0.5", "0.25", "1e-2", "2.5e1", "x"]
HOSTILE_ATOMS = ["1e999999999", "1e-999999999", "0e99999999999", "1e5000", "9" * 1300,
                 "١٢", "１", "2**1365", "(2**1000+1)/2**1000", "1" + "+1" * 300, "9**9**9",
                 "0**-1", "(-8)**(1/3)", "2**0.5", "x**x**x", "1/(x-x)", "y"]  # fmt: skip


def expressions(atoms: list[str], exponents: list[str]) -> st.SearchStrategy[str]:
    """Expression text: atoms joined by + - * /, powers, unary minus, parentheses."""
    return st.recursive(
        st.sampled_from(atoms),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(" ".join),
            st.tuples(inner, st.sampled_from(["**", "^"]), st.sampled_from(exponents)).map(
                " ".join
            ),
            inner.map(lambda e: f"-{e}"),
            inner.map(lambda e: f"({e})"),
        ),
        max_leaves=12,
    )


EXPONENTS = ["0", "1", "2", "3", "-1", "0.5", "x"]


def python_value(text: str, x: Fraction) -> Any:
    """The same text evaluated by Python with every number a Fraction (the reference);
    None where Python fails (division by zero, float overflow)."""
    code = re.sub(r"[0-9]+\.?[0-9]*(?:e-?[0-9]+)?", lambda m: f"Fraction('{m.group()}')", text)
    try:
        return eval(code.replace("^", "**"), {"Fraction": Fraction, "x": x})
    except (ZeroDivisionError, OverflowError):
        return None


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(text=expressions(ATOMS, EXPONENTS))
def test_accepted_expressions_have_pythons_value(text: str) -> None:
    x = Fraction(3, 4)
    expected = python_value(text, x)
    try:
        value = parse(text).evaluate({"x": x})
    except ExprError as exc:
        # refused: Python fails too, the result is not real, or it is over a size limit
        assert (
            expected is None
            or isinstance(expected, complex)
            or "too large" in str(exc)
            or "deep" in str(exc)
        ), (text, exc)
        return
    assert expected is not None and not isinstance(expected, complex), text
    if isinstance(value, Fraction) and isinstance(expected, Fraction):
        assert value == expected, text
    else:
        assert math.isclose(float(value), float(expected), rel_tol=1e-12, abs_tol=1e-300), text


HEAD = "gamma: {g}\nparameters:\n  x: 3/4\n  y: {y}\n  z: y*y*y\nstates: [a, b]\ntransitions:\n"
PLACES = {
    "r": HEAD + "  a: {{go: {{next: a, r: {e}}}}}\n  b: {{go: {{next: b}}}}\n",
    "p": HEAD + "  a: {{go: {{r: 0, next: {{a: {e}, b: 1 - ({e})}}}}}}\n  b: {{go: {{next: b}}}}\n",
    "gamma": HEAD + "  a: {{go: {{next: a, r: z}}}}\n  b: {{go: {{next: b}}}}\n",
}


@settings(max_examples=700, deadline=None, derandomize=True)
@given(
    text=expressions(ATOMS + HOSTILE_ATOMS, EXPONENTS + HOSTILE_ATOMS),
    place=st.sampled_from(["r", "p", "gamma", "parameter", "set", "policy"]),
)
def test_hostile_expressions_everywhere_a_number_goes(text: str, place: str) -> None:
    e = json.dumps(text)
    try:
        if place == "set":
            mdp = loads_mdp(PLACES["r"].format(g=1, y=1, e=0), "e.yaml", overrides={"y": text})
        elif place == "policy":
            mdp = loads_mdp(PLACES["r"].format(g=1, y=1, e=0), "e.yaml")
            pi = resolve_policy(mdp, f"a=go:{text},b=go")
            assert np.allclose(pi, 1)
        elif place == "parameter":
            mdp = loads_mdp(PLACES["gamma"].format(g=1, y=e), "e.yaml")
        elif place == "gamma":
            mdp = loads_mdp(PLACES["gamma"].format(g=e, y=1), "e.yaml")
        else:
            mdp = loads_mdp(PLACES[place].format(g=1, y=1, e=e), "e.yaml")
    except (MDPFileError, UsageError):
        return
    check_model(mdp)


# ---- files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def file_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the damaged files, removed with pytest's other temporary folders."""
    return tmp_path_factory.mktemp("fuzz-files")


PIECES = [b"\xef\xbb\xbf", b"{", b"}", b"[", b"]", b'"', b":", b",", b"\n", b" ", b"\x00",
          b"\x01", b"\xff", b"\xc3", b"\\ud800", b"\\ud83d\\ude00", b"\\u0000", b"gamma",
          b"1e999999999", b"NaN", b"Infinity", b"&a", b"*a", b"!!", b"---", b"%", b"\t", b"\r",
          b"states", b"transitions", b"next", b"1", b"0.5"]  # fmt: skip


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    base=st.integers(0, 3),
    pieces=st.lists(st.sampled_from(PIECES), max_size=12),
    at=st.lists(st.integers(0, 10_000), max_size=12),
    suffix=st.sampled_from([".json", ".yaml", ".yml", ""]),
)
def test_damaged_files(
    file_dir: Path, base: int, pieces: list[bytes], at: list[int], suffix: str
) -> None:
    """Bytes spliced into a valid file (BOMs, NULs, bad UTF-8, surrogate escapes, ...)."""
    doc = random_doc(random.Random(base))
    data = bytearray(
        json.dumps(doc).encode() if suffix == ".json" else yaml.safe_dump(doc).encode()
    )
    for piece, i in zip(pieces, at, strict=False):
        data[i % (len(data) + 1) : i % (len(data) + 1)] = piece
    path = file_dir / f"f{base}{suffix}"
    path.write_bytes(bytes(data))
    try:
        mdp = load_mdp(path)
    except MDPFileError as exc:
        str(exc).encode("utf-8")  # every message can be printed
        return
    check_model(mdp)
    json.dumps(mdp.name).encode("utf-8")
    mdp.name.encode("utf-8")


# ---- inline policies ----------------------------------------------------------------------

ROBOT_MDP = load_mdp(PROBLEMS / "recycling-robot.yaml")
POLICY_TOKENS = ["high", "low", "search", "wait", "recharge", "*", "=", ",", "|", ":",
                 "0.5", "1/2", "1", "0", "2", "-1", "1e999999999", "١", " ", "uniform", "x",
                 "=="]  # fmt: skip


@settings(max_examples=800, deadline=None, derandomize=True)
@given(tokens=st.lists(st.sampled_from(POLICY_TOKENS), max_size=14))
def test_inline_policies(tokens: list[str]) -> None:
    try:
        pi = resolve_policy(ROBOT_MDP, "".join(tokens))
    except UsageError:
        return
    counts = np.diff(ROBOT_MDP.pair_ptr)
    assert pi.shape == (ROBOT_MDP.n_pairs,) and np.all(pi >= 0)
    assert np.allclose(np.add.reduceat(pi, ROBOT_MDP.pair_ptr[:-1][counts > 0]), 1)

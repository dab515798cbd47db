"""Large maps of numbers in ``--json`` output are written exactly as ``json.dumps`` writes
them (rlcli/render/jsonout.py writes their floats with orjson where it agrees with repr)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcli.render.jsonout import FAST_MAP, _encode, _float_texts, _number_map, dumps

NAMES = ["s", 'quote"d', "back\\slash", "tab\there", "new\nline", "\x01ctl", "é", "日本", "\u2028"]


def _reference(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


@settings(max_examples=2000)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_each_float_is_written_as_repr(x: float) -> None:
    assert _float_texts([x]) == [repr(x)]


def test_random_bit_patterns_and_edges_are_written_as_repr() -> None:
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**63, size=100_000, dtype=np.int64).view(np.float64)
    scaled = rng.uniform(-1, 1, 100_000) * 10.0 ** rng.integers(-7, 19, 100_000)
    edges = [0.0, -0.0, 1e-4, -1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0,
             1e15 + 0.5, 2.0**53, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3, 60.0]  # fmt: skip
    values = [*bits[np.isfinite(bits)].tolist(), *scaled.tolist(), *edges]
    assert _float_texts(values) == list(map(repr, values))


def test_flat_and_nested_maps_match_json() -> None:
    rng = np.random.default_rng(1)
    keys = [f"{NAMES[i % len(NAMES)]}{i}" for i in range(FAST_MAP + 7)]
    values = (rng.standard_normal(len(keys)) * 10.0 ** rng.integers(-8, 20, len(keys))).tolist()
    flat = dict(zip(keys, values, strict=True))
    nested = {k: {NAMES[j]: v * j for j in range(i % 4)} for i, (k, v) in enumerate(flat.items())}
    assert _number_map(flat) is not None and _number_map(nested) is not None  # the fast path
    assert _encode(flat) == _reference(flat)
    assert _encode(nested) == _reference(nested)  # includes empty inner maps


def test_anything_else_is_left_to_json() -> None:
    keys = [str(i) for i in range(FAST_MAP)]
    with_int = {k: (1 if k == "7" else 0.5) for k in keys}
    with_text = {k: "a" for k in keys}
    inner_int = {k: {"a": 1} for k in keys}
    for obj in (with_int, with_text, inner_int):
        assert _encode(obj) == _reference(obj)
    with_nan = {k: (float("nan") if k == "3" else 1.5) for k in keys}
    nested_inf = {k: {"a": (float("inf") if k == "3" else 1.5)} for k in keys}
    assert json.loads(dumps({"values": with_nan}))["values"]["3"] is None  # as before: null
    assert json.loads(dumps({"q": nested_inf}))["q"]["3"] == {"a": None}

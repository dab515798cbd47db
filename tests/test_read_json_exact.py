"""JSON MDP files are read by orjson only when its reading is provably the one Python's
``json`` gives with every key unique (``source.orjson_reading_is_exact``); otherwise by
``json`` with a hook refusing repeated keys. These tests hold the reader to ``json`` as the
independent reference, and prove the repeated-key check on crafted inputs: repeats nested
anywhere, colons inside names, escaped colons that would cancel a dropped repeat out, and
files far above the size where the check used to be skipped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcli.errors import MDPFileError
from rlcli.mdp.read import load, transitions
from rlcli.mdp.read.load import build_mdp, loads_mdp
from rlcli.mdp.read.source import (
    MAX_YAML_CHARS,
    DuplicateKeyError,
    orjson_reading_is_exact,
    parse_json,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from mdp_generate import FORMS, generate


def typed(text: str) -> str:
    """A reading written back by ``json``: 1 and 1.0 differ, as do 2**70 and 1.2e21."""
    return json.dumps(parse_json(text, "t.json"), sort_keys=True)


def reference(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True)


def exact(text: str) -> bool:
    return orjson_reading_is_exact(orjson.loads(text), text)


# ---- the reading is json's --------------------------------------------------------------

names = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6
) | st.sampled_from(["next", "p", "r", "a:b", ":", "\\", '"', "e+5", "ü"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | names
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(doc=documents, ascii_only=st.booleans(), indent=st.sampled_from([None, 1]))
def test_any_document_reads_as_json_reads_it(doc, ascii_only: bool, indent: int | None) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_only, indent=indent)
    assert typed(text) == reference(text)


@settings(max_examples=400, deadline=None)
@given(
    whole=st.text("0123456789", min_size=1, max_size=22),
    fraction=st.text("0123456789", max_size=30),
    exponent=st.integers(-330, 310) | st.none(),
    sign=st.sampled_from(["", "-"]),
)
def test_any_written_number_reads_as_json_reads_it(whole, fraction, exponent, sign) -> None:
    """Hand-written decimals (more digits than a double holds, near the float range's ends)
    round to the same double as ``json``'s reading, and integers keep their type."""
    number = sign + (whole.lstrip("0") or "0")
    number += f".{fraction}" if fraction else ""
    number += f"e{exponent}" if exponent is not None else ""
    text = '{"r": NUM}'.replace("NUM", number)
    assert typed(text) == reference(text)


@pytest.mark.parametrize(
    "number",
    [
        "9223372036854775807",  # 2**63 - 1: an int to orjson too
        "9223372036854775808",  # 2**63: orjson's u64
        "18446744073709551616",  # 2**64: a float to orjson
        "-9223372036854775809",  # below i64: a float to orjson
        "123456789012345678901234567890",
        "1e16",  # a float written with e+ by orjson: read again by json, same value
        "12345678901234567.0",
        "5e-324",
        "-0",
        "-0.0",
        "0.1",
    ],
)
def test_numbers_keep_json_type_and_value(number: str) -> None:
    text = '{"r": NUM, "list": [NUM]}'.replace("NUM", number)
    assert typed(text) == reference(text)


def test_an_integer_beyond_64_bits_stays_exact_in_the_model() -> None:
    big = 123456789012345678901234567890  # orjson alone would read 1.2345678901234568e+29
    text = json.dumps(
        {
            "gamma": 0.5,
            "states": ["a"],
            "transitions": {"a": {"go": [{"next": "a", "p": 1, "r": big}]}},
        }
    )
    mdp = loads_mdp(text, "m.json", json_format=True)
    assert mdp.exact.out_reward == (big,) and type(mdp.exact.out_reward[0]) is int
    assert not exact(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"gamma": NaN}',
        '{"gamma": Infinity}',
        '{"gamma": 1e400}',  # json: inf; orjson refuses it
        "[" * 300 + "]" * 300,  # orjson reads it but will not write it back (254 levels)
        '{"a": "\\ud83d\\ude00", "b": "\\u00e9\\n\\t\\"\\\\"}',
    ],
)
def test_what_orjson_refuses_or_differs_on_is_read_by_json(text: str) -> None:
    assert repr(parse_json(text, "t.json")) == repr(json.loads(text))


def test_syntax_errors_give_json_line_and_column() -> None:
    text = '{\n  "gamma": 0.9,\n  "states": ["a",],\n}'
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(MDPFileError) as info:
        parse_json(text, "t.json")
    (problem,) = info.value.problems
    assert problem.line == expected.value.lineno == 3
    assert f"column {expected.value.colno}: {expected.value.msg}" in problem.message


def test_a_lone_surrogate_is_refused_with_its_line() -> None:
    text = '{\n"gamma": 1,\n"name": "x\\ud800"\n}'
    with pytest.raises(MDPFileError) as info:
        parse_json(text, "t.json")
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (3, "name") and "lone surrogate" in problem.message


# ---- repeated keys: the colon count ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": {"c": [1, {"d": "x:y", "e:f": ":::"}]}}',  # colons inside strings
        '{"k:": {":k": ":"}, "": ""}',
        '{"a": "\\\\u003a"}',  # an escaped backslash, then u003a: no escaped colon
    ],
)
def test_clean_documents_with_colons_in_strings_are_exact(text: str) -> None:
    assert exact(text) == ("\\u003a" not in text)
    assert typed(text) == reference(text)


@pytest.mark.parametrize(
    ("text", "key", "line", "path"),
    [
        ('{"a": 1,\n "a": 2}', "a", 2, "a"),
        ('{"x": {"y": [0, {"z": 1,\n "z": 1}]}}', "z", 2, "x.y[1].z"),
        ('{"x": [[{}, {"k:1": 0,\n"k:1": 0}]]}', "k:1", 2, "x[0][1].k:1"),  # a colon in the key
        ('{"x": {"p": "a:b",\n "p": "c"}}', "p", 2, "x.p"),  # the dropped value has a colon
        # the dropped repeat (one colon fewer in the data) and the escaped colon in the value
        # kept (one more) cancel out in the count: the escape alone sends the text to json
        ('{"n": 0,\n "n": "\\u003a"}', "n", 2, "n"),
        ('{"a": {"b": 1}, "c": {"b": 1, "d": {"e": 0, "f": 0,\n\n "e": 1}}}', "e", 3, "c.d.e"),
        ('{"a": 1, "b": 2, "\\u0061": 3}', "a", 1, "a"),  # the same key, escaped
    ],
)
def test_a_repeated_key_is_found_and_located(text: str, key: str, line: int, path: str) -> None:
    assert not exact(text)
    with pytest.raises(DuplicateKeyError) as info:
        parse_json(text, "t.json")
    assert (info.value.key, info.value.line, info.value.path) == (key, line, path)


def test_an_escaped_colon_without_a_repeat_reads_as_json() -> None:
    text = '{"name": "a\\u003ab", "description": "x:y"}'
    assert not exact(text)  # cannot be counted: json reads it
    assert parse_json(text, "t.json") == {"name": "a:b", "description": "x:y"}


def model_text(padding: int, repeat: str) -> str:
    """A valid two-state file, its description padded to ``padding`` characters (on one
    line: the line numbers do not change), with ``repeat`` spliced into an outcome."""
    return (
        (
            '{"name": "pad", "description": "PAD",\n'
            '"gamma": 0.9,\n'
            '"states": ["s", "t"],\n'
            '"transitions": {\n'
            ' "s": {"go": [{"next": "t", "p": 0.5, "r": 1},\n'
            '              {"next": "s", "p": 0.5, REPEAT"r": 0}]},\n'
            ' "t": {"go": {"next": "s", "r": 2}}}}\n'
        )
        .replace("PAD", "x" * padding)
        .replace("REPEAT", repeat)
    )


def test_a_repeat_in_a_file_over_the_old_16_mb_limit_is_reported_where_yaml_would() -> None:
    small = model_text(10, '"p": 0.5, ')
    big = model_text(17_000_000, '"p": 0.5, ')  # the check was skipped above 16 M characters
    assert len(small) < MAX_YAML_CHARS < 16_000_000 < len(big)
    with pytest.raises(MDPFileError) as by_yaml:
        loads_mdp(small, "m.json", json_format=True)  # read again as YAML: every problem
    with pytest.raises(MDPFileError) as located:
        loads_mdp(big, "m.json", json_format=True)  # too large for YAML: located directly
    expected = [(6, "transitions.s.go[1].p", "duplicate key")]
    assert [(p.line, p.path, p.message) for p in by_yaml.value.problems] == expected
    assert [(p.line, p.path, p.message) for p in located.value.problems] == expected
    assert loads_mdp(model_text(17_000_000, ""), "m.json", json_format=True).n_states == 2


def test_the_fast_path_reads_outcome_fields_in_any_order(monkeypatch) -> None:
    def careful(*args):
        raise AssertionError("the careful path ran")

    monkeypatch.setattr(transitions, "_action_outcomes", careful)
    doc = {
        "gamma": 0.5,
        "states": ["a", "b"],
        "transitions": {
            "b": {"x": [{"r": 2, "next": "a", "p": 0.25}, {"p": 0.75, "r": -1, "next": "b"}]},
            "a": {"z": [{"p": 1, "next": "a", "r": 0.5}]},
        },
    }
    mdp = loads_mdp(json.dumps(doc), "m.json", json_format=True)
    # states in declared order (a, b): pairs (a, z), (b, x); outcomes as written
    assert mdp.out_next.tolist() == [0, 0, 1]
    assert mdp.out_prob.tolist() == [1, 0.25, 0.75]
    assert mdp.out_reward.tolist() == [0.5, 2, -1]
    assert mdp.exact.out_prob == (1, 0.25, 0.75) and mdp.exact.out_reward == (0.5, 2, -1)
    assert mdp.expected_reward.tolist() == [0.5, 0.25 * 2 + 0.75 * -1]
    expected_form = {
        "gamma": 0.5,
        "states": ["a"],
        "transitions": {"a": {"y": {"next": {"a": 1}, "r": 3}}},
    }
    assert loads_mdp(json.dumps(expected_form), "m.json", json_format=True).out_reward.tolist() == [
        3
    ]


# ---- the transitions fast path counts its own part -------------------------------------


def colon_names(doc: dict) -> dict:
    """``doc`` with colons in every state and action name (and a ':' in the description)."""
    rename = {s: f"s:{s}:" for s in doc["states"]}
    transitions = {}
    for s, actions in doc["transitions"].items():
        transitions[rename[s]] = {}
        for a, spec in actions.items():
            if isinstance(spec, list):
                spec = [{**o, "next": rename[o["next"]]} for o in spec]
            else:
                spec = {"r": spec["r"], "next": {rename[t]: p for t, p in spec["next"].items()}}
            transitions[rename[s]][f"{a}:x"] = spec
    states = [rename[s] for s in doc["states"]]
    return {**doc, "description": "a: b", "states": states, "transitions": transitions}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("colons", [False, True])
def test_the_fast_path_tally_is_the_dump_of_the_transitions(form: str, colons: bool) -> None:
    doc = generate(40, 3, 4, 0.9, seed=5, form=form)
    doc = colon_names(doc) if colons else doc
    text = json.dumps(doc)
    data = orjson.loads(text)
    known: dict = {}
    build_mdp(data, "m.json", None, known)
    dumped = orjson.dumps(data["transitions"])
    assert known == {id(data["transitions"]): (dumped.count(b":"), False)}
    assert orjson_reading_is_exact(data, text, known)


def test_a_large_reward_is_tallied_as_a_possible_exponent() -> None:
    doc = generate(5, 2, 2, 0.9, seed=1, form="outcomes")
    doc["transitions"]["3"]["a1"][0]["r"] = 2.5e16  # orjson writes 2.5e+16
    data = orjson.loads(json.dumps(doc))
    known: dict = {}
    build_mdp(data, "m.json", None, known)
    assert known[id(data["transitions"])][1] is True


@pytest.mark.parametrize("form", FORMS)
def test_a_clean_file_is_read_once_by_orjson(form: str, monkeypatch) -> None:
    def exact_reading(*args):
        raise AssertionError("read again by json")

    monkeypatch.setattr(load, "parse_json_exactly", exact_reading)
    doc = colon_names(generate(30, 2, 3, 0.9, seed=3, form=form))
    assert loads_mdp(json.dumps(doc), "m.json", json_format=True).n_states == 30


@pytest.mark.parametrize("form", FORMS)
def test_a_repeat_inside_fast_path_transitions_is_reported(form: str) -> None:
    doc = colon_names(generate(30, 2, 3, 0.9, seed=3, form=form))
    text = json.dumps(doc, indent=1)
    first_action = '"a0:x": '
    at = text.index(first_action, text.index('"s:7:": {'))
    inserted = '"a1:x": 1,\n'
    bad = text[:at] + inserted + text[at:]  # a1:x given twice in state s:7:, first here
    second = bad.index('"a1:x": ', at + len(inserted))
    with pytest.raises(MDPFileError) as info:
        loads_mdp(bad, "m.json", json_format=True)
    where = (bad.count("\n", 0, second) + 1, "transitions.s:7:.a1:x")
    assert [(p.line, p.path) for p in info.value.problems] == [where]

"""The JSON fast path (whole-file list operations) builds the same model as the careful,
field-by-field path, for both forms it takes; anything unusual falls back to the careful
path, which reports it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from rlcli.errors import MDPFileError
from rlcli.mdp.read.load import loads_mdp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from mdp_generate import FORMS, generate


def both_paths(doc: dict):
    """(fast, careful): JSON text takes the fast path; the same document as YAML (whose
    mappings carry line numbers) always takes the careful one."""
    fast = loads_mdp(json.dumps(doc), "m.json", json_format=True)
    careful = loads_mdp(yaml.safe_dump(doc, sort_keys=False), "m.yaml")
    return fast, careful


@pytest.mark.parametrize("form", FORMS)
def test_fast_path_builds_the_careful_model(form: str) -> None:
    fast, careful = both_paths(generate(60, 3, 5, 0.9, seed=1, form=form))
    assert fast.states == careful.states and fast.actions == careful.actions
    for field in ("pair_ptr", "pair_action", "out_ptr", "out_next", "out_prob", "out_reward"):
        assert np.array_equal(getattr(fast, field), getattr(careful, field)), field
    assert fast.exact.out_prob == careful.exact.out_prob  # the numbers as the file wrote them
    assert fast.exact.out_reward == careful.exact.out_reward


@pytest.mark.parametrize("form", FORMS)
def test_states_given_out_of_order_are_put_in_state_order(form: str) -> None:
    doc = generate(40, 3, 4, 0.9, seed=2, form=form)
    names = list(doc["transitions"])
    shuffled = dict(doc, transitions={n: doc["transitions"][n] for n in reversed(names)})
    in_order = loads_mdp(json.dumps(doc), "m.json", json_format=True)
    for fast_or_careful in both_paths(shuffled):
        for field in ("pair_ptr", "pair_action", "out_ptr", "out_next", "out_prob", "out_reward"):
            assert np.array_equal(getattr(fast_or_careful, field), getattr(in_order, field))
    # pair k of state s is the k-th action the file gives s
    for s, name in enumerate(in_order.states):
        given = list(doc["transitions"].get(name, {}))
        ks = range(in_order.pair_ptr[s], in_order.pair_ptr[s + 1])
        assert [in_order.actions[in_order.pair_action[k]] for k in ks] == given


def test_a_state_with_no_actions_falls_back_and_is_reported() -> None:
    doc = generate(4, 2, 2, 0.5, seed=0, form="expected")
    doc["transitions"]["1"] = {}
    with pytest.raises(MDPFileError) as info:
        loads_mdp(json.dumps(doc), "m.json", json_format=True)
    assert "transitions.1" in [p.path for p in info.value.problems]


def test_expected_form_rewards_are_per_action() -> None:
    doc = generate(3, 2, 2, 0.5, seed=0, form="expected")
    fast = loads_mdp(json.dumps(doc), "m.json", json_format=True)
    for s, name in enumerate(fast.states):
        for k in range(fast.pair_ptr[s], fast.pair_ptr[s + 1]):
            spec = doc["transitions"][name][fast.actions[fast.pair_action[k]]]
            z = slice(fast.out_ptr[k], fast.out_ptr[k + 1])
            assert list(fast.out_reward[z]) == [spec["r"]] * len(spec["next"])
            named = {
                fast.states[t]: p for t, p in zip(fast.out_next[z], fast.out_prob[z], strict=True)
            }
            assert named == spec["next"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda t: t["0"]["a0"]["next"].update({"1": 0.5}), "transitions.0.a0"),  # sum != 1
        (lambda t: t["0"]["a0"].update(r="x"), "transitions.0.a0.r"),  # unknown name
        (lambda t: t["0"]["a0"]["next"].update({"nope": 0.0}), "transitions.0.a0.next.nope"),
        (lambda t: t["0"].update({" ": t["0"]["a0"]}), "transitions.0. "),  # blank action
    ],
)
def test_unusual_files_fall_back_and_are_reported(change, where: str) -> None:
    doc = generate(4, 2, 2, 0.5, seed=0, form="expected")
    change(doc["transitions"])
    with pytest.raises(MDPFileError) as info:
        loads_mdp(json.dumps(doc), "m.json", json_format=True)
    assert where in [p.path for p in info.value.problems]


# ---- repeated keys in JSON (plain json would keep the last one silently) ----------------


@pytest.mark.parametrize("form", FORMS)
def test_a_repeated_key_anywhere_is_reported(form: str) -> None:
    doc = generate(30, 2, 3, 0.9, seed=2, form=form)
    text = json.dumps(doc)
    assert loads_mdp(text, "m.json", json_format=True).n_states == 30
    spec = json.dumps(doc["transitions"]["7"]["a1"])
    if form == "expected":  # the action's reward given twice: {"r": .., "r": .., "next": ..}
        doubled = spec.replace('{"r": ', '{"r": 0.5, "r": ', 1)
    else:  # the first outcome's probability given twice
        doubled = spec.replace('"p": ', '"p": 0.5, "p": ', 1)
    bad = text.replace(spec, doubled, 1)
    assert bad != text
    with pytest.raises(MDPFileError) as info:
        loads_mdp(bad, "m.json", json_format=True)
    assert "duplicate key" in str(info.value) and "transitions.7.a1" in str(info.value)


def test_colons_inside_strings_are_not_taken_for_repeated_keys() -> None:
    doc = generate(20, 2, 3, 0.9, seed=4, form="expected")
    doc["description"] = "S&B: a note: with colons, and a \\u003a"
    doc["name"] = "key: value"
    mdp = loads_mdp(json.dumps(doc), "m.json", json_format=True)
    assert mdp.n_states == 20 and mdp.name == "key: value"

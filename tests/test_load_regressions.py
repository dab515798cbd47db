"""Regression tests: loader bugs found in review, each a minimal reproduction that once
crashed with a traceback or gave a wrong model (see the numbered comments)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rlcli.errors import MDPFileError, RlcliError, UsageError
from rlcli.mdp.policy import resolve_policy
from rlcli.mdp.read.load import load_mdp, loads_mdp

ROBOT = Path(__file__).parent.parent / "problems" / "recycling-robot.yaml"
ONE = "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a, r: %s}}\n"


def clean(text: str, json_format: bool = False, **kw) -> None:
    """Loading must end in a model or MDPFileError/UsageError, nothing else."""
    with contextlib.suppress(MDPFileError, UsageError):
        loads_mdp(text, "m.yaml", json_format=json_format, **kw)


# 1. Numbers beyond float range crash with OverflowError (traceback in the CLI).
@pytest.mark.parametrize(
    ("text", "as_json"),
    [
        (ONE % "'1e999'", False),  # exact decimal -> float(Fraction) overflows
        (ONE % "'10**400'", False),  # within MAX_BITS, still beyond float
        (ONE % "'2**0.5 * 10**400'", False),  # float * huge Fraction inside _apply
        (ONE % ("1" * 400), False),  # plain YAML int: math.isfinite(int) overflows
        (
            '{"gamma": 1, "states": ["a"], "transitions": {"a": {"go": '
            '[{"next": "a", "p": 1, "r": %s}]}}}' % ("1" * 400),
            True,
        ),  # JSON fast path
        ("gamma: '1e999'\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n", False),
    ],
)
def test_overflow_is_a_clean_error(text: str, as_json: bool) -> None:
    clean(text, as_json)


# 2. Integer literals over Python's 4300-digit limit: ValueError from the YAML/JSON reader.
@pytest.mark.parametrize(
    ("text", "as_json"), [("gamma: " + "1" * 5000, False), ('{"gamma": ' + "1" * 5000 + "}", True)]
)
def test_huge_int_literal_is_a_clean_error(text: str, as_json: bool) -> None:
    clean(text, as_json)


# 3. NaN probability in a JSON outcome list passes validation (fast path checks min/max
#    only; NaN compares false), giving a model whose P holds NaN.
def test_json_nan_probability_rejected() -> None:
    text = (
        '{"gamma": 1, "states": ["a"], '
        '"transitions": {"a": {"go": [{"next": "a", "p": NaN, "r": 0}]}}}'
    )
    with pytest.raises(MDPFileError):
        loads_mdp(text, "m.json", json_format=True)


# 4. grid.slip that fails to evaluate: ExprError escapes expand_grid (traceback).
def test_grid_slip_division_by_zero_is_reported() -> None:
    with pytest.raises(MDPFileError):
        loads_mdp("gamma: 1\ngrid:\n  map: . G\n  slip: 1/0\n", "g.yaml")


# 5. grid.moves with a list/mapping item: TypeError unhashable in grid._moves.
def test_grid_moves_nested_list_is_reported() -> None:
    with pytest.raises(MDPFileError):
        loads_mdp("gamma: 1\ngrid:\n  map: . G\n  moves: [[up]]\n", "g.yaml")


# 6. --set gamma=1/0 when gamma is not a parameter: ExprError escapes _gamma.
def test_set_gamma_division_by_zero_is_usage_error() -> None:
    with pytest.raises(UsageError):
        loads_mdp(
            "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n",
            "m.yaml",
            overrides={"gamma": "1/0"},
        )


# 7. Grid step_reward / cell reward / jump_reward errors: no line, and the path names
#    generated transitions (transitions.r0c0.up[0].r, once per move) instead of the field.
def test_grid_reward_error_names_its_field_and_line() -> None:
    with pytest.raises(MDPFileError) as info:
        loads_mdp("gamma: 1\ngrid:\n  map: . G\n  step_reward: 1/0\n", "g.yaml")
    assert [(p.line, p.path) for p in info.value.problems] == [(4, "grid.step_reward")]


# 8. State key written as int and as string (1 and '1') both accepted: state "1" gets
#    two blocks of pairs; same for action keys 1 and '1' -> two pairs for one action.
@pytest.mark.parametrize(
    "text",
    [
        "gamma: 1\nstates: [1]\ntransitions:\n  1: {go: {next: 1}}\n  '1': {go: {next: 1}}\n",
        "gamma: 1\nstates: [a]\ntransitions:\n  a: {1: {next: a}, '1': {next: a}}\n",
    ],
)
def test_int_and_str_keys_naming_the_same_thing_are_duplicates(text: str) -> None:
    with pytest.raises(MDPFileError):
        loads_mdp(text, "m.yaml")


# 9. JSON duplicate keys are silently collapsed when the file is otherwise valid
#    (the YAML re-read that finds duplicates only happens after a failure).
def test_json_duplicate_keys_reported() -> None:
    text = (
        '{"gamma": 1, "gamma": 0.5, "states": ["a"], "transitions": {"a": {"go": {"next": "a"}}}}'
    )
    with pytest.raises(MDPFileError):
        loads_mdp(text, "m.json", json_format=True)


# 10. Inline policy naming a state twice sums to 2 in that state.
def test_inline_policy_repeated_state() -> None:
    mdp = load_mdp(ROBOT)
    try:
        pi = resolve_policy(mdp, "high=search,high=wait,low=wait")
    except UsageError:
        return
    sums = np.add.reduceat(pi, mdp.pair_ptr[:-1])
    assert np.allclose(sums, 1), sums


# 11. Inline policy probability beyond float range: OverflowError.
def test_inline_policy_overflow() -> None:
    mdp = load_mdp(ROBOT)
    with pytest.raises(RlcliError):
        resolve_policy(mdp, "high=search:1e999|wait:0,low=wait")


# 12. problems copy into a missing directory: FileNotFoundError traceback.
def test_problems_copy_missing_dir(tmp_path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rlcli",
            "problems",
            "copy",
            "student-mdp",
            str(tmp_path / "missing" / "x.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


# 13. --set on a parameter that a later parameter depends on: the dependent parameter
#     is evaluated before the override is applied -> "unknown name 'a'" file errors.
def test_set_parameter_used_by_another_parameter() -> None:
    text = (
        "gamma: 1\nparameters:\n  a: 1/4\n  b: 1 - a\nstates: [x, y]\ntransitions:\n"
        "  x: {go: {r: 0, next: {x: a, y: b}}}\n  y: {go: {next: y}}\n"
    )
    mdp = loads_mdp(text, "m.yaml", overrides={"a": "1/2"})
    assert list(mdp.out_prob[:2]) == [0.5, 0.5]


# 14. YAML 1.1 booleans as names (on/off/yes/no): the message shows True/False, not what
#     the user wrote, and gives no hint to quote the name.
def test_yaml_boolean_names_get_a_helpful_message() -> None:
    text = (
        "gamma: 1\nstates: [dark, lit]\ntransitions:\n"
        "  dark:\n    on: {next: lit}\n  lit:\n    go: {next: dark}\n"
    )
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml")
    assert "quote" in str(info.value) or "'on'" in str(info.value)


# 15. str(MDPFileError) joins the problems in discovery order, while .problems is sorted by
#     line: `rlcli mdp show bad.yaml` lists line 5 before line 2 (`mdp check` is sorted).
def test_error_message_sorted_by_line() -> None:
    text = (
        "name: x\ngamma: 1.5\nparameters:\n  a: 1\n  b: \"'s'\"\n"
        "states: [q]\ntransitions:\n  q: {go: {next: q}}\n"
    )
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml")
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]


# 16. A parameter named with a reserved word (lambda) was accepted where declared and only
#     rejected where used; it is reported at its declaration.
def test_reserved_word_parameter_is_reported_where_declared() -> None:
    text = "gamma: 1\nparameters:\n  lambda: 1/2\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n"
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml")
    assert [(p.line, p.path) for p in info.value.problems] == [(3, "parameters.lambda")]
    assert "reserved" in info.value.problems[0].message

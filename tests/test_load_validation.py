"""Validation of MDP files: every problem is reported as ``FILE:LINE: field.path: message``.

Each test writes a small file whose line numbers are known by construction and checks
that the message names that line and field, says what is wrong, and that nothing but
an ``MDPFileError`` (or ``UsageError`` for ``--set``) escapes.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import MDPFileError, RlcliError, UsageError
from rlcli.mdp.policy import resolve_policy
from rlcli.mdp.read.load import load_mdp, loads_mdp

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?:(?P<path>[^ :]+): )?(?P<msg>.*)$")
NOLINE = re.compile(r"^(?P<file>[^:]+): (?:(?P<path>[^ :]+): )?(?P<msg>.*)$")


def problems(text: str, *, json_format: bool = False, file: str = "m.yaml", **kw):
    """Load ``text`` expecting failure; each problem as (line, path, message) parsed from
    its printed ``FILE:LINE: path: message`` form."""
    with pytest.raises(MDPFileError) as info:
        loads_mdp(textwrap.dedent(text), file, json_format=json_format, **kw)
    parsed = []
    for problem in info.value.problems:
        rendered = str(problem)
        m = LINE.match(rendered) or NOLINE.match(rendered)
        assert m is not None, rendered
        assert m["file"] == file
        line = int(m["line"]) if "line" in m.groupdict() and m["line"] else None
        parsed.append((line, m["path"] or "", m["msg"]))
    return parsed


def one(text: str, **kw):
    found = problems(text, **kw)
    assert len(found) == 1, found
    return found[0]


GOOD = """\
gamma: 0.9
states: [a, b]
transitions:
  a:
    go: {next: b, r: 1}
  b:
    go: {next: a, r: 0}
"""


def test_good_file_loads() -> None:
    mdp = loads_mdp(GOOD, "m.yaml")
    assert mdp.states == ("a", "b") and mdp.gamma == 0.9


# ---- file level -----------------------------------------------------------------------


def test_yaml_syntax_error_names_line_and_column() -> None:
    line, path, msg = one("gamma: 1\nstates: [a, b\ntransitions: {}\n")
    assert line == 3
    assert path == ""
    assert msg.startswith("YAML syntax error, column 1")


def test_yaml_syntax_error_bad_indentation() -> None:
    line, _, msg = one("gamma: 1\nstates:\n  - a\n - b\n")
    assert line == 4 and "YAML syntax error" in msg and "column" in msg


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    _, path, msg = one(text)
    assert path == "" and "empty" in msg


@pytest.mark.parametrize(
    ("text", "kind"), [("- 1\n- 2\n", "a list"), ("42\n", "the number 42"), ("hello\n", "hello")]
)
def test_top_level_not_a_mapping(text: str, kind: str) -> None:
    _, path, msg = one(text)
    assert path == ""
    assert "top level must be a mapping" in msg and kind in msg


def test_multiple_yaml_documents_are_a_syntax_error() -> None:
    _, _, msg = one(GOOD + "---\ngamma: 1\n")
    assert "YAML syntax error" in msg


# ---- gamma ----------------------------------------------------------------------------


def test_missing_gamma() -> None:
    line, path, msg = one("states: [a]\ntransitions:\n  a: {go: {next: a}}\n")
    assert (line, path) == (1, "gamma") and msg.startswith("missing")


@pytest.mark.parametrize(("value", "shown"), [("1.5", "1.5"), ("-0.1", "-0.1"), ("'3/2'", "1.5")])
def test_gamma_outside_unit_interval(value: str, shown: str) -> None:
    text = f"states: [a]\ntransitions:\n  a: {{go: {{next: a}}}}\ngamma: {value}\n"
    line, path, msg = one(text)
    assert (line, path) == (4, "gamma")
    assert msg == f"must be in [0, 1], got {shown}"


@pytest.mark.parametrize("value", ["0", "1", "'9/10'"])
def test_gamma_bounds_are_inclusive(value: str) -> None:
    assert loads_mdp(GOOD.replace("gamma: 0.9", f"gamma: {value}"), "m.yaml").gamma in (0, 1, 0.9)


def test_gamma_wrong_type() -> None:
    line, path, msg = one(GOOD.replace("gamma: 0.9", "gamma: [0.9]"))
    assert (line, path) == (1, "gamma") and "a list" in msg


# ---- states ---------------------------------------------------------------------------


def test_duplicate_state() -> None:
    text = "gamma: 1\nstates:\n  - a\n  - b\n  - a\ntransitions:\n  a: {go: {next: b}}\n"
    text += "  b: {go: {next: a}}\n"
    line, path, msg = one(text)
    assert (line, path) == (5, "states[2]") and msg == "duplicate state 'a'"


def test_unknown_state_in_terminal() -> None:
    line, path, msg = one(GOOD + "terminal: [a, bb]\n".replace("a, ", ""))
    assert (line, path) == (8, "terminal[0]")
    assert msg == "unknown state 'bb' (did you mean 'b'?)"


def test_unknown_state_as_transitions_key() -> None:
    line, path, msg = one(GOOD + "  c:\n    go: {next: a}\n")
    assert (line, path) == (8, "transitions.c") and msg.startswith("unknown state 'c'")


def test_unknown_next_state_with_suggestion() -> None:
    text = GOOD.replace("go: {next: a, r: 0}", "go:\n      - {next: aa, p: 1, r: 0}")
    line, path, msg = one(text)
    assert (line, path) == (8, "transitions.b.go[0].next")
    assert msg == "unknown state 'aa' (did you mean 'a'?)"


def test_unknown_next_state_in_expected_reward_form() -> None:
    text = GOOD.replace("go: {next: a, r: 0}", "go: {r: 0, next: {a: 1/2, zz: 1/2}}")
    line, path, msg = one(text)
    assert (line, path) == (7, "transitions.b.go.next.zz") and "unknown state 'zz'" in msg


def test_missing_next() -> None:
    line, path, msg = one(GOOD.replace("go: {next: a, r: 0}", "go: {r: 0}"))
    assert (line, path) == (7, "transitions.b.go") and "missing 'next'" in msg


# ---- probabilities --------------------------------------------------------------------

PROBS = """\
gamma: 1
states: [a, b]
transitions:
  a:
    go:
      - {next: a, p: -0.25, r: 0}
      - {next: b, p: 1.25, r: 0}
  b:
    go:
      - {next: a, p: 0.5, r: 0}
      - {next: b, p: 0.4, r: 0}
"""


def test_probability_negative_above_one_and_bad_sum() -> None:
    found = problems(PROBS)
    assert found == [
        (6, "transitions.a.go[0].p", "probability -0.25 is negative"),
        (7, "transitions.a.go[1].p", "probability 1.25 is above 1"),
        (9, "transitions.b.go", "probabilities sum to 9/10, not 1"),
    ]


def test_sum_of_parameter_expressions_shown() -> None:
    text = "gamma: 1\nparameters: {x: 1/3}\nstates: [a, b]\ntransitions:\n"
    text += "  a: {go: {r: 0, next: {a: x, b: x}}}\n  b: {go: {next: b}}\n"
    line, path, msg = one(text)
    assert (line, path) == (5, "transitions.a.go")
    assert msg == "probabilities sum to 0.6666666667, not 1"


def test_sum_of_floats_shown_as_decimal() -> None:
    text = "gamma: 1\nstates: [a, b]\ntransitions:\n  a: {go: {r: 0, next: {a: 0.3, b: 0.3}}}\n"
    text += "  b: {go: {next: b}}\n"
    assert one(text)[2] == "probabilities sum to 3/5, not 1"


def test_probabilities_within_tolerance_accepted() -> None:
    text = "gamma: 1\nstates: [a, b]\ntransitions:\n  a: {go: {r: 0, next: {a: 0.1, b: 0.9}}}\n"
    text += "  b: {go: {next: b, p: 0.9999999999}}\n"
    mdp = loads_mdp(text, "m.yaml")
    assert mdp.out_prob.sum() == pytest.approx(2.0)


# ---- structure ------------------------------------------------------------------------


def test_non_terminal_state_without_actions() -> None:
    text = "gamma: 1\nstates: [a, b, c]\ntransitions:\n  a: {go: {next: a}}\n  b: {}\n"
    found = problems(text)
    assert (5, "transitions.b", "no actions (mark the state terminal if episodes end there)") in (
        found
    )
    missing = [f for f in found if f[1] == "transitions.c"]
    assert len(missing) == 1 and missing[0][2].startswith("missing: a non-terminal state")
    assert len(found) == 2


def test_terminal_state_with_transitions() -> None:
    text = "gamma: 1\nstates: [a, end]\nterminal: [end]\ntransitions:\n  a: {go: {next: end}}\n"
    text += "  end:\n    stay: {next: end}\n"
    line, path, msg = one(text)
    assert (line, path) == (6, "transitions.end") and "terminal state has no transitions" in msg


def test_missing_transitions() -> None:
    _, path, msg = one("gamma: 1\nstates: [a]\n")
    assert path == "transitions" and msg.startswith("missing")


# ---- expressions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("foo + 1", "unknown name 'foo' (parameters: x)"),
        ("abs(x)", "function calls are not allowed"),
        ("x.real", "attribute access is not allowed"),
        ("x[0]", "subscripts"),
        ("lambda: 1", "keyword 'lambda' is not allowed"),
        ("[x for x in y]", "comprehensions are not allowed"),
        ("'a' * 3", "strings are not allowed"),
        ("1/(x - 1)", "division by zero"),
        ("9**9**9", "number too large"),
        ("__import__(os)", "function calls are not allowed"),
    ],
)
def test_expression_rejected_with_reason(expr: str, reason: str) -> None:
    text = "gamma: 1\nparameters:\n  x: 1\nstates: [a]\ntransitions:\n  a:\n"
    text += f'    go: {{next: a, r: "{expr}"}}\n'
    line, path, msg = one(text)
    assert (line, path) == (7, "transitions.a.go.r")
    assert reason in msg


def test_absurd_power_is_refused_by_its_size_before_it_is_computed() -> None:
    # 9**9**9**9 = 9**(9**387420489): its size is bounded from the exponent alone (a
    # computed power would never finish); the message says how big it would have been.
    line, path, message = one(
        'gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a, r: "9**9**9**9"}}\n'
    )
    assert (line, path) == (4, "transitions.a.go.r")
    assert "too large" in message and "bits" in message


def test_bad_parameter_expression_and_use_of_it() -> None:
    text = "gamma: 1\nparameters:\n  x: 1\n  y: x + z\nstates: [a]\n"
    text += "transitions:\n  a: {go: {next: a, r: y}}\n"
    found = problems(text)
    # reported once, where y is defined: its use on line 7 would only repeat it (issue 10 §13)
    assert found == [(4, "parameters.y", "unknown name 'z' (parameters: x)")]


def test_parameter_may_use_earlier_parameter() -> None:
    text = "gamma: g\nparameters:\n  h: 9/10\n  g: h\nstates: [a]\n"
    text += "transitions:\n  a: {go: {next: a, r: 2*h}}\n"
    mdp = loads_mdp(text, "m.yaml")
    assert mdp.gamma == 0.9 and mdp.out_reward[0] == pytest.approx(1.8)


def test_parameter_defined_later_or_itself_is_named_as_such() -> None:
    text = "gamma: 1\nparameters:\n  a: b + 1\n  b: 2\n  c: c\nstates: [x]\n"
    text += "transitions:\n  x: {go: {next: x}}\n"
    assert problems(text) == [
        (3, "parameters.a", "'b' is defined later (parameters refer only to earlier ones)"),
        (5, "parameters.c", "'c' refers to itself"),
    ]


def test_set_value_naming_a_later_parameter_says_so() -> None:
    result = CliRunner().invoke(app, ["mdp", "solve", "recycling-robot", "--set", "alpha=beta"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "alpha=beta" in result.output and "'beta' is defined later" in result.output


# ---- policies -------------------------------------------------------------------------

POLICY_BASE = """\
gamma: 1
states: [a, b]
transitions:
  a:
    go: {next: b}
    stay: {next: a}
  b:
    go: {next: a}
"""


def test_policy_unknown_state() -> None:
    line, path, msg = one(POLICY_BASE + "policies:\n  p: {a: go, b: go, bb: go}\n")
    assert (line, path) == (10, "policies.p.bb") and msg.startswith("unknown state 'bb'")


def test_policy_unknown_action() -> None:
    line, path, msg = one(POLICY_BASE + "policies:\n  p:\n    a: goo\n    b: go\n")
    assert (line, path) == (11, "policies.p.a")
    assert msg == "unknown action 'goo' (did you mean 'go'?)"


def test_policy_distribution_not_summing_to_one() -> None:
    line, path, msg = one(POLICY_BASE + "policies:\n  p:\n    a: {go: 1/2, stay: 1/4}\n    b: go\n")
    assert (line, path) == (11, "policies.p.a") and msg == "probabilities sum to 3/4, not 1"


def test_policy_missing_state_and_terminal_state() -> None:
    text = POLICY_BASE.replace("states: [a, b]", "states: [a, b, c]\nterminal: [c]")
    found = problems(text + "policies:\n  p1: {a: go}\n  p2: {a: go, b: go, c: go}\n")
    assert [f[:2] for f in found] == [(11, "policies.p1"), (12, "policies.p2.c")]
    assert "no action given for state(s) b" in found[0][2]
    assert "terminal state takes no action" in found[1][2]


def test_good_policies_are_probability_vectors() -> None:
    text = POLICY_BASE + "policies:\n  p: {a: {go: 1/4, stay: 3/4}, b: go}\n  u: uniform\n"
    mdp = loads_mdp(text, "m.yaml")
    p = mdp.policies["p"]
    assert p[mdp.pair("a", "go")] == 0.25 and p[mdp.pair("a", "stay")] == 0.75
    assert p[mdp.pair("b", "go")] == 1.0
    assert list(mdp.policies["u"]) == [0.5, 0.5, 1.0]


# ---- types, unknown fields, duplicate keys --------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "expect"),
    [
        ("gamma: 1\nstates: {a: 1}\ntransitions: {}\n", (2, "states"), "got a mapping"),
        ("gamma: 1\nstates: [a]\ntransitions: [a]\n", (3, "transitions"), "got a list"),
        ("gamma: 1\nstates: [a]\ntransitions:\n  a: [go]\n", (4, "transitions.a"), "got a list"),
        (
            "gamma: 1\nparameters: [x]\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n",
            (2, "parameters"),
            "got a list",
        ),
        (
            "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\npolicies: [a]\n",
            (5, "policies"),
            "got a list",
        ),
        (
            "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: 3}\n",
            (4, "transitions.a.go"),
            "got the number 3",
        ),
        (
            "gamma: 1\nstates: [a, [b]]\ntransitions:\n  a: {go: {next: a}}\n",
            (2, "states[1]"),
            "got a list",
        ),
        (
            "gamma: 1\nname: [x]\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n",
            (2, "name"),
            "expected text",
        ),
        (
            "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a, p: true}}\n",
            (4, "transitions.a.go.p"),
            "got true",
        ),
    ],
)
def test_wrong_types(text: str, where: tuple[int, str], expect: str) -> None:
    found = problems(text)
    hits = [f for f in found if f[:2] == where]
    assert len(hits) == 1, found
    assert expect in hits[0][2]


def test_unknown_field_with_suggestion() -> None:
    found = problems(GOOD.replace("gamma: 0.9", "gamma: 0.9\ntransition: {}"))
    assert (2, "transition", "unknown field (did you mean 'transitions'?)") in found


def test_unknown_outcome_field_with_suggestion() -> None:
    line, path, msg = one(GOOD.replace("{next: a, r: 0}", "{next: a, rr: 0}"))
    assert (line, path) == (7, "transitions.b.go.rr") and "did you mean 'r'?" in msg


def test_duplicate_keys_reported_at_second_occurrence() -> None:
    text = "gamma: 1\nstates: [a]\ntransitions:\n  a:\n    go: {next: a}\n    go: {next: a}\n"
    text += "gamma: 0.5\n"
    found = problems(text)
    assert (7, "gamma", "duplicate key") in found
    assert (6, "transitions.a.go", "duplicate key") in found


def test_duplicate_key_inside_outcome() -> None:
    text = "gamma: 1\nstates: [a]\ntransitions:\n  a:\n    go: [{next: a, p: 1, p: 1}]\n"
    line, path, msg = one(text)
    assert (line, path, msg) == (5, "transitions.a.go[0].p", "duplicate key")


# ---- many problems at once --------------------------------------------------------------

MANY = """\
name: broken
gamma: 1.5
parameters:
  alpha: 0.8
  beta: "'x'"
states: [high, low, low]
terminal: [done]
start: high
transitions:
  high:
    search:
      - {next: high, p: alpha, r: 2}
      - {next: lwo, p: 1 - alpha, r: 2}
  low:
    search:
      - {next: low, p: 0.5, r: 2}
      - {next: high, p: 0.4, r: -3}
    wait: {next: low, r: foo}
policies:
  p: {high: fly, low: wait}
"""


def test_every_problem_reported_at_once_sorted_by_line() -> None:
    found = problems(MANY)
    assert [(line, path) for line, path, _ in found] == [
        (2, "gamma"),
        (5, "parameters.beta"),
        (6, "states[2]"),
        (7, "terminal[0]"),
        (13, "transitions.high.search[1].next"),
        (15, "transitions.low.search"),
        (18, "transitions.low.wait.r"),
        (20, "policies.p.high"),
    ]
    assert "did you mean 'low'?" in found[4][2]
    assert "sum to 9/10" in found[5][2]


# ---- JSON -----------------------------------------------------------------------------

JSON_BAD = """\
{
  "gamma": 1,
  "states": ["a", "b"],
  "transitions": {
    "a": {"go": {"next": "c"}},
    "b": {"go": [{"next": "a", "p": 0.5, "r": 0},
                 {"next": "b", "p": 0.25, "r": 0}]}
  }
}
"""


def test_json_problems_have_line_numbers() -> None:
    found = problems(JSON_BAD, json_format=True, file="m.json")
    assert found == [
        (5, "transitions.a.go.next", "unknown state 'c'"),
        (6, "transitions.b.go", "probabilities sum to 3/4, not 1"),
    ]


def test_json_syntax_error_has_line_and_column() -> None:
    line, _, msg = one('{\n  "gamma": 1,\n  "states": ["a"\n}\n', json_format=True, file="m.json")
    assert line == 4 and msg.startswith("JSON syntax error, column 1")


def test_json_file_detected_by_suffix(tmp_path) -> None:
    path = tmp_path / "m.json"
    path.write_text(JSON_BAD)
    with pytest.raises(MDPFileError) as info:
        load_mdp(path)
    assert [p.line for p in info.value.problems] == [5, 6]


def test_valid_json_equals_yaml() -> None:
    transitions = {"a": {"go": {"next": "b", "r": 1}}, "b": {"go": {"next": "a"}}}
    doc = {"gamma": 0.9, "states": ["a", "b"], "transitions": transitions}
    from_json = loads_mdp(json.dumps(doc), "m.json", json_format=True)
    from_yaml = loads_mdp(GOOD, "m.yaml")
    assert from_json.states == from_yaml.states
    assert list(from_json.out_next) == list(from_yaml.out_next)
    assert list(from_json.out_reward) == list(from_yaml.out_reward)


# ---- --set overrides ------------------------------------------------------------------

ROBOT = """\
gamma: 9/10
parameters:
  alpha: 4/5
  r_search: 2
states: [high, low]
transitions:
  high:
    search:
      - {next: high, p: alpha, r: r_search}
      - {next: low, p: 1 - alpha, r: r_search}
  low:
    wait: {next: low, r: 1}
"""


def test_set_overrides_parameter_and_gamma() -> None:
    mdp = loads_mdp(ROBOT, "m.yaml", overrides={"alpha": "1/4", "r_search": "5", "gamma": "1/2"})
    assert list(mdp.out_prob[:2]) == [0.25, 0.75]
    assert list(mdp.out_reward[:2]) == [5, 5]
    assert mdp.gamma == 0.5
    gamma, probs, _ = mdp.exact.rational()
    assert gamma == Fraction(1, 2) and probs[:2] == [Fraction(1, 4), Fraction(3, 4)]


def test_set_unknown_parameter_is_usage_error() -> None:
    with pytest.raises(UsageError, match=r"no such parameter.*alpha, r_search"):
        loads_mdp(ROBOT, "m.yaml", overrides={"alhpa": "0.5"})


def test_set_bad_expression_is_usage_error() -> None:
    with pytest.raises(UsageError, match="override alpha=open"):
        loads_mdp(ROBOT, "m.yaml", overrides={"alpha": "open('x')"})


def test_set_gamma_out_of_range_is_usage_error() -> None:
    with pytest.raises(UsageError, match=r"gamma must be in \[0, 1\]"):
        loads_mdp(ROBOT, "m.yaml", overrides={"gamma": "2"})


def test_set_value_that_breaks_probabilities_is_reported_in_file(tmp_path) -> None:
    # the file is valid without the override, so the override is named, with the problem
    from rlcli.mdp.read.numbers import OverrideError

    with pytest.raises(OverrideError) as info:
        loads_mdp(ROBOT, "m.yaml", overrides={"alpha": "3/2"})
    assert info.value.detail.startswith("alpha=3/2: ")
    assert "m.yaml:9: transitions.high.search[0].p: probability 1.5 is above 1" in str(info.value)


def test_cli_set_that_breaks_the_file_lists_its_problems_in_json(tmp_path) -> None:
    import json

    path = tmp_path / "robot.yaml"
    path.write_text(ROBOT)
    result = CliRunner().invoke(app, ["mdp", "solve", str(path), "--set", "alpha=3/2", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["message"].startswith("--set alpha=3/2: with this value the file is invalid")
    wanted = {"file": str(path), "line": 9, "path": "transitions.high.search[0].p",
              "message": "probability 1.5 is above 1"}  # fmt: skip
    assert wanted in error["problems"]
    result = CliRunner().invoke(app, ["mdp", "check", str(path), "--set", "alpha=3/2", "--json"])
    [report] = json.loads(result.stdout)["files"]
    wanted = {"line": 9, "path": "transitions.high.search[0].p",
              "message": "--set alpha=3/2: probability 1.5 is above 1"}  # fmt: skip
    assert wanted in report["problems"]


def test_cli_set_unknown_parameter_exits_2_cleanly(tmp_path) -> None:
    path = tmp_path / "robot.yaml"
    path.write_text(ROBOT)
    result = CliRunner().invoke(app, ["mdp", "check", str(path), "--set", "nope=1"])
    assert result.exit_code == 2
    assert "no such parameter" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["mdp", "check", str(path), "--set", "alpha"])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_cli_set_applies(tmp_path) -> None:
    path = tmp_path / "robot.yaml"
    path.write_text(ROBOT)
    result = CliRunner().invoke(app, ["mdp", "show", str(path), "--set", "alpha=1/4", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [o["p"] for o in doc["transitions"]["high"]["search"]] == [0.25, 0.75]


# ---- exact vs numeric -----------------------------------------------------------------


def _thirds(p: str) -> str:
    return (
        "gamma: 1\nstates: [a, b, c]\ntransitions:\n"
        f"  a: {{go: [{{next: a, p: {p}, r: 0}}, {{next: b, p: {p}, r: 0}}, "
        f"{{next: c, p: {p}, r: 0}}]}}\n  b: {{go: {{next: b}}}}\n  c: {{go: {{next: c}}}}\n"
    )


def test_rounded_thirds_pass_numerically_but_not_exactly() -> None:
    mdp = loads_mdp(_thirds("0.3333333333333333"), "m.yaml")
    assert abs(mdp.out_prob[:3].sum() - 1) < 1e-9
    with pytest.raises(MDPFileError) as info:
        mdp.exact.rational()
    # 3 * 0.3333333333333333 = 9999999999999999/10000000000000000, an exact decimal
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (4, "transitions.a.go")
    assert problem.message.startswith(
        "exact mode: the probabilities sum to 0.9999999999999999, not exactly 1"
    )


def test_exact_mode_names_line_and_field_of_every_problem() -> None:
    text = (
        "gamma: 9/10\nparameters:\n  a: 2**0.5\nstates: [s, t]\ntransitions:\n  s:\n"
        "    go:\n      - {next: s, p: 1/2, r: 3**(1/3)}\n      - {next: t, p: 1/2, r: a}\n"
        "  t:\n    go: {r: 1, next: {s: 0.5, t: 0.49999999999}}\n"
    )
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml").exact.rational()
    found = [(p.line, p.path, p.message) for p in info.value.problems]
    assert found == [
        (3, "parameters.a", "exact mode: 2**(1/2) is not a rational number"),  # not at r: a
        (8, "transitions.s.go[0].r", "exact mode: 3**(1/3) is not a rational number"),
        (11, "transitions.t.go", "exact mode: the probabilities sum to 99999999999/100000000000, "
         "not exactly 1 (write fractions such as 1/3 instead of rounded decimals)"),
    ]  # fmt: skip


def test_an_irrational_probability_blamed_on_its_parameter_skips_its_sum() -> None:
    # p = a and 1 − a with a = √2/2: the sum is 1; only the parameter is a problem
    text = (
        "gamma: 0.9\nparameters: {a: 2**(1/2)/2}\nstates: [x, T]\nterminal: [T]\n"
        "transitions:\n  x:\n    go: [{next: x, p: a, r: 1}, {next: T, p: 1 - a, r: 0}]\n"
    )
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml").exact.rational()
    found = [(p.line, p.path, p.message) for p in info.value.problems]
    assert found == [(2, "parameters.a", "exact mode: 2**(1/2)/2 is not a rational number")]


def test_a_long_exact_sum_is_shown_short() -> None:
    from rlcli.mdp.model import short_fraction

    assert short_fraction(Fraction(1, 3)) == "1/3"
    assert short_fraction(Fraction(-(10**17) + 1, 10**17)) == "-0.99999999999999999"
    # 40 nines: too long as a decimal; cut (not rounded up to 1) at 20 digits
    x = Fraction(10**40 - 1, 10**40)
    assert short_fraction(x) == "0.99999999999999999999… (a fraction of 40/41 digits)"
    y = Fraction(10**30, 3 * 10**30 + 1)  # 1/3 - a little: not a terminating decimal
    assert short_fraction(y) == "0.33333333333333333333… (a fraction of 31/31 digits)"


def test_fraction_thirds_are_exact() -> None:
    mdp = loads_mdp(_thirds("1/3"), "m.yaml")
    _, probs, _ = mdp.exact.rational()
    assert probs[:3] == [Fraction(1, 3)] * 3 and sum(probs[:3]) == 1


def test_decimal_in_file_is_exact_decimal() -> None:
    mdp = loads_mdp(GOOD, "m.yaml")
    gamma, _, _ = mdp.exact.rational()
    assert gamma == Fraction(9, 10)


def test_irrational_refused_in_exact_mode() -> None:
    mdp = loads_mdp(GOOD.replace("r: 1", "r: 2**0.5"), "m.yaml")
    assert mdp.out_reward[0] == pytest.approx(2**0.5)
    with pytest.raises(MDPFileError) as info:
        mdp.exact.rational()
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (5, "transitions.a.go.r")
    assert problem.message == "exact mode: 2**(1/2) is not a rational number"


# ---- hostile input: alias bombs, deep nesting -------------------------------------------

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
gamma: 1
states: *i
parameters: *i
transitions: {x: *i, y: {go: *i}}
terminal: *i
start: *i
policies: {p: *i}
name: *i
"""


def _run_isolated(tmp_path, name: str, text: str, timeout: float = 20):
    """``rlcli mdp check`` in a subprocess, so a segfault or hang fails the test cleanly."""
    path = tmp_path / name
    path.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "rlcli", "mdp", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_alias_bomb_ends_in_clean_error(tmp_path) -> None:
    proc = _run_isolated(tmp_path, "bomb.yaml", BOMB)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert ": states[0]: a state name must be a word or number, got a list" in proc.stderr
    assert ":17: name: expected text, got a list" in proc.stderr
    assert len(proc.stderr) < 20_000  # messages stay short: the bomb is never expanded


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.yaml", "[" * 100_000),
        ("deep2.yaml", "gamma: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("deep3.yaml", "a:\n" + "".join(" " * i + "- \n" for i in range(1, 3000))),
        ("deep.json", "[" * 100_000),
        ("deep2.json", '{"gamma": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("deep3.json", '{"gamma": ' + "[" * 900 + "]" * 900 + "}"),
        ("deep4.json", '{"gamma": ' + '{"a": ' * 5000 + "1" + "}" * 5001),
    ],
)
def test_deep_nesting_ends_in_clean_error(tmp_path, name: str, text: str) -> None:
    proc = _run_isolated(tmp_path, name, text)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip()


def test_deep_nesting_in_process_raises_only_mdp_file_error() -> None:
    # What matters is the clean error type naming the file (and, for YAML, the line); the
    # wording may be ours ("nested too deeply") or the YAML parser's own depth limit, which
    # PyYAML >= 6.0.4 reaches first.
    for text, as_json in (("[" * 100_000, False), ("[" * 100_000, True)):
        with pytest.raises(MDPFileError) as info:
            loads_mdp(text, "m", json_format=as_json)
        problems = info.value.problems
        assert problems and all(p.file == "m" for p in problems)
        assert str(info.value).startswith("m:")
        if not as_json:
            assert problems[0].line == 1


# ---- the CLI --------------------------------------------------------------------------


def test_cli_check_good_and_bad(tmp_path) -> None:
    good = tmp_path / "good.yaml"
    bad = tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(MANY)
    result = CliRunner().invoke(app, ["mdp", "check", str(good), str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"ok  {good}" in result.stdout
    err_lines = result.stderr.strip().splitlines()
    assert len(err_lines) == 8
    assert all(ln.startswith(f"{bad}:") for ln in err_lines)
    assert f"{bad}:13: transitions.high.search[1].next: unknown state 'lwo'" in result.stderr


def test_cli_check_all_good_exits_0(tmp_path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    result = CliRunner().invoke(app, ["mdp", "check", str(good), str(good)])
    assert result.exit_code == 0 and result.stderr == ""


def test_cli_check_json(tmp_path) -> None:
    good = tmp_path / "good.yaml"
    bad = tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(MANY)
    result = CliRunner().invoke(app, ["mdp", "check", str(good), str(bad), "--json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert [f["file"] for f in doc["files"]] == [str(good), str(bad)]
    assert doc["files"][0] == {
        "file": str(good), "valid": True, "states": 2, "pairs": 2, "outcomes": 2,
    }  # fmt: skip
    probs = doc["files"][1]["problems"]
    assert doc["files"][1]["valid"] is False and len(probs) == 8
    assert probs[0] == {"line": 2, "path": "gamma", "message": "must be in [0, 1], got 1.5"}


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("missing.yaml", None, "no such file"),
        ("dir", "DIR", "is a directory"),
        ("latin1.yaml", b"gamma: 1\nname: caf\xe9\n", "not UTF-8"),
    ],
)
def test_cli_unreadable_files(tmp_path, name: str, content, expect: str) -> None:
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = CliRunner().invoke(app, ["mdp", "check", str(path)])
    assert result.exit_code == 2
    assert expect in result.stderr and "Traceback" not in result.output


def test_cli_show_bad_file_is_clean(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MANY)
    result = CliRunner().invoke(app, ["mdp", "show", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{bad}:2: gamma: must be in [0, 1], got 1.5" in result.stderr


# ---- -p/--policy specs (resolve_policy) ----------------------------------------------------


def _robot():
    return load_mdp(Path(__file__).resolve().parent.parent / "problems" / "recycling-robot.yaml")


def _as_dict(mdp, pi) -> dict[tuple[str, str], float]:
    return {
        (mdp.states[s], mdp.actions[mdp.pair_action[k]]): float(pi[k])
        for s in range(mdp.n_states)
        for k in mdp.pairs_of(s)
    }


def test_inline_policies() -> None:
    from rlcli.mdp.policy import resolve_policy

    mdp = _robot()
    got = _as_dict(mdp, resolve_policy(mdp, "high=search, low=recharge"))
    assert got == {
        ("high", "search"): 1, ("high", "wait"): 0,
        ("low", "search"): 0, ("low", "wait"): 0, ("low", "recharge"): 1,
    }  # fmt: skip
    got = _as_dict(mdp, resolve_policy(mdp, "high=search:1/4|wait:0.75,*=wait"))
    assert got[("high", "search")] == 0.25 and got[("high", "wait")] == 0.75
    assert got[("low", "wait")] == 1
    assert _as_dict(mdp, resolve_policy(mdp, "uniform"))[("low", "wait")] == pytest.approx(1 / 3)
    assert _as_dict(mdp, resolve_policy(mdp, "cautious")) == _as_dict(
        mdp, resolve_policy(mdp, "high=search,low=recharge")
    )


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("nope", "no policy named 'nope'"),
        ("high=search", "no action for state(s) low"),
        ("high=search,mid=wait,low=wait", "unknown state 'mid'"),
        ("high=recharge,low=wait", "state 'high' has no action 'recharge'"),
        ("high=search:1/2|wait:1/4,low=wait", "probabilities sum to 0.75, not 1"),
        ("high=search:x,low=wait", "unknown name 'x'"),
        ("high=search:1/0,low=wait", "division by zero"),
        ("high=search:-1|wait:2,low=wait", "expected action or action:probability"),
        ("high,low=wait", "expected state=action"),
    ],
)
def test_inline_policy_errors_are_usage_errors(spec: str, reason: str) -> None:
    from rlcli.mdp.policy import resolve_policy

    with pytest.raises(UsageError) as info:
        resolve_policy(_robot(), spec)
    assert reason in str(info.value)


def test_symbolic_parameters_substitute_to_the_rational_values() -> None:
    import sympy as sp

    mdp = loads_mdp(ROBOT, "m.yaml")
    gamma, probs, rewards, table = mdp.exact.symbolic({"alpha"})
    alpha = table["alpha"]
    assert set(table) == {"alpha"}
    assert sp.simplify(probs[0] + probs[1] - 1) == 0  # alpha + (1 - alpha)
    assert probs[1].free_symbols == {alpha}
    assert rewards[0] == 2  # r_search was not kept: its value
    _, q_probs, _ = mdp.exact.rational()
    assert [p.subs(alpha, sp.Rational(4, 5)) for p in probs] == [
        sp.Rational(q.numerator, q.denominator) for q in q_probs
    ]
    assert gamma == sp.Rational(9, 10)
    with pytest.raises(UsageError, match="no parameter named 'beta'"):
        mdp.exact.symbolic({"beta"})


# ---- regressions: loader bugs found in review, each a minimal reproduction that once
# crashed with a traceback or gave a wrong model ------------------------------------------

ROBOT_FILE = Path(__file__).parent.parent / "problems" / "recycling-robot.yaml"
ONE = "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a, r: %s}}\n"


def clean(text: str, json_format: bool = False, **kw) -> None:
    """Loading must end in a model or MDPFileError/UsageError, nothing else."""
    with contextlib.suppress(MDPFileError, UsageError):
        loads_mdp(text, "m.yaml", json_format=json_format, **kw)


# Regression: Numbers beyond float range crash with OverflowError (traceback in the CLI).
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


# Regression: Integer literals over Python's 4300-digit limit: ValueError from the YAML/JSON reader.
@pytest.mark.parametrize(
    ("text", "as_json"), [("gamma: " + "1" * 5000, False), ('{"gamma": ' + "1" * 5000 + "}", True)]
)
def test_huge_int_literal_is_a_clean_error(text: str, as_json: bool) -> None:
    clean(text, as_json)


# Regression: NaN probability in a JSON outcome list passes validation (fast path checks min/max
#    only; NaN compares false), giving a model whose P holds NaN.
def test_json_nan_probability_rejected() -> None:
    text = (
        '{"gamma": 1, "states": ["a"], '
        '"transitions": {"a": {"go": [{"next": "a", "p": NaN, "r": 0}]}}}'
    )
    with pytest.raises(MDPFileError):
        loads_mdp(text, "m.json", json_format=True)


# Regression: --set gamma=1/0 when gamma is not a parameter: ExprError escapes _gamma.
def test_set_gamma_division_by_zero_is_usage_error() -> None:
    with pytest.raises(UsageError):
        loads_mdp(
            "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n",
            "m.yaml",
            overrides={"gamma": "1/0"},
        )


# Regression: State key written as int and as string (1 and '1') both accepted: state "1" gets
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


# Regression: JSON duplicate keys are silently collapsed when the file is otherwise valid
#    (the YAML re-read that finds duplicates only happens after a failure).
def test_json_duplicate_keys_reported() -> None:
    text = (
        '{"gamma": 1, "gamma": 0.5, "states": ["a"], "transitions": {"a": {"go": {"next": "a"}}}}'
    )
    with pytest.raises(MDPFileError):
        loads_mdp(text, "m.json", json_format=True)


# Regression: Inline policy naming a state twice sums to 2 in that state.
def test_inline_policy_repeated_state() -> None:
    mdp = load_mdp(ROBOT_FILE)
    try:
        pi = resolve_policy(mdp, "high=search,high=wait,low=wait")
    except UsageError:
        return
    sums = np.add.reduceat(pi, mdp.pair_ptr[:-1])
    assert np.allclose(sums, 1), sums


# Regression: Inline policy probability beyond float range: OverflowError.
def test_inline_policy_overflow() -> None:
    mdp = load_mdp(ROBOT_FILE)
    with pytest.raises(RlcliError):
        resolve_policy(mdp, "high=search:1e999|wait:0,low=wait")


# Regression: --set on a parameter that a later parameter depends on: the dependent parameter
#     is evaluated before the override is applied -> "unknown name 'a'" file errors.
def test_set_parameter_used_by_another_parameter() -> None:
    text = (
        "gamma: 1\nparameters:\n  a: 1/4\n  b: 1 - a\nstates: [x, y]\ntransitions:\n"
        "  x: {go: {r: 0, next: {x: a, y: b}}}\n  y: {go: {next: y}}\n"
    )
    mdp = loads_mdp(text, "m.yaml", overrides={"a": "1/2"})
    assert list(mdp.out_prob[:2]) == [0.5, 0.5]


# Regression: YAML 1.1 booleans as names (on/off/yes/no): the message shows True/False, not what
#     the user wrote, and gives no hint to quote the name.
def test_yaml_boolean_names_get_a_helpful_message() -> None:
    text = (
        "gamma: 1\nstates: [dark, lit]\ntransitions:\n"
        "  dark:\n    on: {next: lit}\n  lit:\n    go: {next: dark}\n"
    )
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml")
    assert "quote" in str(info.value) or "'on'" in str(info.value)


# Regression: str(MDPFileError) joins the problems in discovery order, while .problems is sorted by
#     line: `rlcli mdp show bad.yaml` lists line 5 before line 2 (`mdp check` is sorted).
def test_error_message_sorted_by_line() -> None:
    text = (
        "name: x\ngamma: 1.5\nparameters:\n  a: 1\n  b: \"'s'\"\n"
        "states: [q]\ntransitions:\n  q: {go: {next: q}}\n"
    )
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml")
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]


# Regression: A parameter named with a reserved word (lambda) was accepted where declared and only
#     rejected where used; it is reported at its declaration.
def test_reserved_word_parameter_is_reported_where_declared() -> None:
    text = "gamma: 1\nparameters:\n  lambda: 1/2\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n"
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml")
    assert [(p.line, p.path) for p in info.value.problems] == [(3, "parameters.lambda")]
    assert "reserved" in info.value.problems[0].message


def test_probability_sum_is_checked_beside_other_problems_of_the_action() -> None:
    # every probability that can be read counts, whatever else is wrong with its outcome
    found = problems(
        """\
        gamma: 0.9
        states: [a, b]
        transitions:
          a:
            go:
              - {next: b, p: 1/2, r: 1}
              - {next: bb, p: 2/5, r: 1}
            stay:
              - {next: a, p: 1/2, r: nope}
              - {next: b, p: 3/10}
            jump: {r: 1, next: {a: 7/10, zz: 3/5}}
            many:
              - {next: a, p: 4/5}
              - {next: b, p: 1/0}
              - {next: b, p: 3/10}
            fine:
              - {next: a, p: 1/2}
              - {next: b, p: 1/0}
          b:
            stay: {next: b}
        """
    )
    sums = {path: msg for _, path, msg in found if "sum" in msg}
    assert sums == {
        "transitions.a.go": "probabilities sum to 9/10, not 1",  # 1/2 + 2/5, 'bb' unknown
        "transitions.a.stay": "probabilities sum to 4/5, not 1",  # 1/2 + 3/10, bad reward
        "transitions.a.jump": "probabilities sum to 13/10, not 1",  # 7/10 + 3/5, 'zz' unknown
        # 4/5 + 3/10 = 11/10 already above 1 whatever 1/0 was meant to be
        "transitions.a.many": "the probabilities that could be read already sum to 11/10, above 1",
    }  # transitions.a.fine: 1/2 read, the other unreadable: no sum can be claimed
    assert len(found) == len(sums) + 5  # bb, nope, zz and the two 1/0


def test_problems_caused_by_set_name_the_override() -> None:
    # alpha = 1.7 makes p(high | high, search) = 1.7 and 1 - alpha = -0.7: the bundled file
    # is fine, so the message must say the values came from --set alpha=1.7
    result = CliRunner().invoke(app, ["mdp", "solve", "recycling-robot", "--set", "alpha=1.7"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    first, *rest = result.output.strip().splitlines()
    assert first.startswith("--set alpha=1.7:")
    assert any("probability 1.7 is above 1" in line for line in rest)
    assert any("probability -0.7 is negative" in line for line in rest)


def test_a_broken_file_keeps_its_own_problems_with_set() -> None:
    text = "gamma: 1.5\nparameters: {a: 1/2}\nstates: [x]\ntransitions:\n  x: {go: {next: x}}\n"
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml", overrides={"a": "1/3"})
    assert [(p.line, p.path) for p in info.value.problems] == [(1, "gamma")]


def test_check_of_several_files_goes_on_after_a_set_that_breaks_one(tmp_path) -> None:
    # alpha = 3/2 is a probability in the robot (invalid) and a reward in the other file
    good = tmp_path / "good.yaml"
    good.write_text(GOOD.replace("gamma: 0.9", "gamma: 0.9\nparameters: {alpha: 1}")
                    .replace("r: 1", "r: alpha"))  # fmt: skip
    robot = tmp_path / "robot.yaml"
    robot.write_text(ROBOT)
    result = CliRunner().invoke(
        app, ["mdp", "check", str(robot), str(good), "--set", "alpha=3/2", "--json"]
    )
    assert result.exit_code == 2
    reports = json.loads(result.stdout)
    reports = reports.get("files", reports) if isinstance(reports, dict) else reports
    assert [r["valid"] for r in reports] == [False, True]
    assert reports[0]["problems"][0]["message"].startswith("--set alpha=3/2: ")


def test_thousands_of_problems_are_written_out_up_to_a_limit(tmp_path) -> None:
    # a generated grid whose 2,999 rows are each short and use an unknown cell
    rows = ["S . Q"] + [". Q"] * 2999
    path = tmp_path / "g.yaml"
    path.write_text("gamma: 1\ngrid:\n  map: |\n" + "".join(f"    {r}\n" for r in rows))
    with pytest.raises(MDPFileError) as info:
        load_mdp(path)
    n = len(info.value.problems)
    assert n > 5000  # every problem is kept (and listed by --json) ...
    lines = str(info.value).splitlines()  # ... but at most 200 are written out
    assert len(lines) == MDPFileError.SHOWN + 1
    assert lines[-1] == f"… and {n - MDPFileError.SHOWN:,} more problems"

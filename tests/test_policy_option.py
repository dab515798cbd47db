"""A bad policy on the command line is reported under the option the user typed
(``--policy``, ``--start-policy``, ``--behavior``), while the library names its field
(``policy``): exit 2, one line, no traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import FieldError

# recycling-robot: states high, low; high: search, wait; low: search, wait, recharge
BAD_POLICIES = [
    ("high=search,mid=wait,low=wait", "unknown state 'mid'"),
    ("high=recharge,low=wait", "state 'high' has no action 'recharge'"),
    ("high=search", "no action for state(s) low"),
    ("high=search,high=wait,low=wait", "state 'high' is given twice"),
    ("nope", "no policy named 'nope'"),
]
COMMANDS = [
    (["mdp", "evaluate", "recycling-robot", "-p"], "--policy"),
    (["mdp", "evaluate", "recycling-robot", "--policy"], "--policy"),
    (["mdp", "equations", "recycling-robot", "-p"], "--policy"),
    (["mdp", "solve", "recycling-robot", "--start-policy"], "--start-policy"),
    (["estimate", "recycling-robot", "--runs", "1", "--episodes", "1", "--max-steps", "5",
      "-p"], "--policy"),
    (["estimate", "recycling-robot", "--runs", "1", "--episodes", "1", "--max-steps", "5",
      "-m", "mc", "-p", "uniform", "--behavior"], "--behavior"),
    (["control", "recycling-robot", "--runs", "1", "--episodes", "1", "--max-steps", "5",
      "-m", "mc-off-policy", "--behavior"], "--behavior"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "option"), COMMANDS)
@pytest.mark.parametrize(("spec", "reason"), BAD_POLICIES)
def test_a_bad_policy_is_named_by_the_option_given(command, option, spec, reason):
    result = CliRunner().invoke(app, [*command, spec])
    assert result.exit_code == 2, result.output
    assert f"error: {option}: {reason}" in result.stderr
    assert "policy:" not in result.stderr.replace(f"{option}:", "")  # no library field name
    assert "Traceback" not in result.output


def test_the_library_names_the_field_not_a_flag():
    from rlcli.mdp.policy import resolve_policy
    from rlcli.mdp.read.load import load_mdp
    from rlcli.problem_library import find

    mdp = load_mdp(find("recycling-robot").path)
    with pytest.raises(FieldError) as info:
        resolve_policy(mdp, "high=search,mid=wait,low=wait")
    assert info.value.field == "policy"
    assert str(info.value) == "policy: unknown state 'mid'"
    assert "--" not in str(info.value)

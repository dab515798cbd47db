"""`rlcli train` refuses settings that would crash or silently learn nothing: exit 2, a message
naming the option, no traceback (found in review: --envs 0 crashed the live table)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["ppo", "--envs", "0"], "--envs"),
        (["ppo", "--n-steps", "0"], "--n-steps"),
        (["reinforce", "--task", "gridworld", "--envs", "0"], "--envs"),
        (["ppo", "--clip-value", "-0.1"], "--clip-value"),
        (["ppo", "--target-kl", "-1"], "--target-kl"),
        (["ppo", "--vf-coef", "nan"], "--vf-coef"),
        (["grpo", "--task", "tokens", "-G", "1"], "--group-size"),
        (["grpo", "--task", "tokens", "--kl-coef", "-1"], "--kl-coef"),
        (["ppo", "--seed", "-1"], "--seed"),
    ],
)
def test_bad_training_options_exit_2(args: list[str], option: str) -> None:
    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert "Traceback" not in result.output

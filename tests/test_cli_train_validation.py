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


def test_gridworld_reference_is_the_best_undiscounted_return_within_the_time_limit() -> None:
    # γ = 1, all values finite: with a long enough limit the finite-horizon optimum is V*,
    # averaged over the (non-terminal) start states — checked against policy iteration.
    import numpy as np

    from rlcli.envs.gridworld import optimal_start_value
    from rlcli.mdp.load import load_mdp
    from rlcli.mdp.solve import policy_iteration
    from rlcli.problem_library import find

    grid = load_mdp(find("gridworld-4x4").path)
    v_star = policy_iteration(grid).values[~grid.terminal]
    assert optimal_start_value(grid, horizon=100) == pytest.approx(float(np.mean(v_star)))
    # γ = 0.9 in the file, but episodes record undiscounted sums over 100 steps: the reference
    # must be on that scale (A → A' pays 10 every 5 steps), far above the discounted V*.
    five = load_mdp(find("gridworld-5x5").path)
    assert 180 < optimal_start_value(five, horizon=100) <= 200

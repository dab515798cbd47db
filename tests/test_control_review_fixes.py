"""``rlcli control``: regressions from the review of issue 4 (terminal start states,
negative seeds, greedy policies that never end)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.learn.control import ControlSetting, run_control
from rlcli.learn.episodes import start_distribution
from rlcli.mdp.read.load import load_mdp

WALK = """gamma: 1
states: [left_end, A, B, C, D, E, right_end]
terminal: [left_end, right_end]
start: {START}
transitions:
  A: {{walk: {{r: 0, next: {{left_end: 1/2, B: 1/2}}}}}}
  B: {{walk: {{r: 0, next: {{A: 1/2, C: 1/2}}}}}}
  C: {{walk: {{r: 0, next: {{B: 1/2, D: 1/2}}}}}}
  D: {{walk: {{r: 0, next: {{C: 1/2, E: 1/2}}}}}}
  E: {{walk: [{{next: D, p: 1/2, r: 0}}, {{next: right_end, p: 1/2, r: 1}}]}}
"""


def walk(tmp_path, start: str):
    path = tmp_path / "walk.yaml"
    path.write_text(WALK.format(START=start))
    return path


def run(*args: str):
    return CliRunner().invoke(app, ["control", *args])


def test_start_distribution_with_a_terminal_state_gives_empty_episodes(tmp_path):
    # half the episodes start in right_end: length 0, return 0; the others are the
    # random walk from C, which exits right with probability 1/2 (return 1)
    mdp = load_mdp(walk(tmp_path, "{C: 0.5, right_end: 0.5}"))
    start = start_distribution(mdp, None)
    (result,) = run_control(mdp, [ControlSetting("sarsa", 0.1, 0.1)], start, 50, 40, 3, 1000)
    empty = result.lengths == 0
    assert empty.mean() == pytest.approx(0.5, abs=0.05)
    assert np.all(result.returns[empty] == 0)
    assert result.returns.mean() == pytest.approx(0.25, abs=0.04)
    out = run(str(walk(tmp_path, "{C: 0.5, right_end: 0.5}")), "--runs", "3", "--episodes", "4",
              "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.stdout)["results"][0]["episode_returns"]) == 4


def test_start_only_in_terminal_states_exits_2(tmp_path):
    result = run(str(walk(tmp_path, "right_end")), "--runs", "2", "--episodes", "2")
    assert result.exit_code == 2
    assert "every start state is terminal" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command", [["control", "random-walk-5"], ["estimate", "random-walk-5", "-p", "uniform"]]
)
def test_negative_seed_exits_2(command):
    result = CliRunner().invoke(app, [*command, "--seed", "-1", "--runs", "1", "--episodes", "1"])
    assert result.exit_code == 2
    assert "--seed" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_greedy_policy_that_never_ends_is_named_not_diverged():
    # 3 episodes of cliff walking leave greedy policies that walk into walls forever (γ = 1)
    result = run("cliff-walking", "--method", "sarsa", "--runs", "2", "--episodes", "3")
    assert result.exit_code == 0, result.output
    assert "never ends" in result.output
    assert "diverged" not in result.output


def test_greedy_start_cell_counts_the_runs_that_never_end():
    from rlcli.render.learning import greedy_start

    assert greedy_start(float("nan"), 3, 3) == "never ends"
    assert greedy_start(-13.0, 1, 3) == "-13\n(never ends 1/3 runs)"
    assert greedy_start(-13.0, 0, 3) == "-13"

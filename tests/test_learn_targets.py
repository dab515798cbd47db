"""The one-step control targets and ε-greedy probabilities, against hand-worked numbers;
library errors name fields, the CLI names flags."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.learn.actions import epsilon_greedy_probs
from rlcli.learn.episodes import start_distribution
from rlcli.learn.errors import SettingError
from rlcli.learn.targets import (
    double_q_target,
    expected_sarsa_target,
    q_learning_target,
    sarsa_target,
)
from rlcli.mdp.read.load import load_mdp
from rlcli.problem_library import find

INF = np.inf


def test_sarsa_and_q_learning_targets():
    r = np.array([-1.0, 2.0])
    q_next = np.array([[1.0, 3.0, -INF], [0.5, -2.0, 4.0]])
    # SARSA reads the action taken next: −1 + 0.9·1 = −0.1; 2 + 0.9·(−2) = 0.2
    assert sarsa_target(r, 0.9, np.array([1.0, -2.0])) == pytest.approx([-0.1, 0.2])
    # Q-learning the max: −1 + 0.9·3 = 1.7; 2 + 0.9·4 = 5.6 (−∞ padding never wins)
    assert q_learning_target(r, 0.9, q_next) == pytest.approx([1.7, 5.6])


def test_expected_sarsa_target_averages_the_epsilon_greedy_policy():
    # ε = 0.3, three actions, Q(S', ·) = (1, 3, 3): two tied greedy actions.
    # π = (0.1, 0.1 + 0.35, 0.1 + 0.35) = (0.1, 0.45, 0.45)
    q_next = np.array([[1.0, 3.0, 3.0]])
    pi = epsilon_greedy_probs(q_next, np.array([0.3]), np.array([3]))
    assert pi[0] == pytest.approx([0.1, 0.45, 0.45])
    # target = 0 + 1·(0.1·1 + 0.45·3 + 0.45·3) = 2.8
    assert expected_sarsa_target(np.array([0.0]), 1.0, q_next, pi) == pytest.approx([2.8])
    # two actions and padding: ε = 0.2, Q = (5, 1, −∞): π = (0.1 + 0.8, 0.1, 0)
    q_pad = np.array([[5.0, 1.0, -INF]])
    pi_pad = epsilon_greedy_probs(q_pad, np.array([0.2]), np.array([2]))
    assert pi_pad[0] == pytest.approx([0.9, 0.1, 0.0])
    # 1 + 0.5·(0.9·5 + 0.1·1) = 1 + 0.5·4.6 = 3.3
    assert expected_sarsa_target(np.array([1.0]), 0.5, q_pad, pi_pad) == pytest.approx([3.3])


def test_double_q_target_values_the_other_tables_choice():
    # Q1(S', ·) = (1, 5) picks action 1; Q2(S', 1) = 2 values it: 0.5 + 0.9·2 = 2.3
    assert double_q_target(np.array([0.5]), 0.9, np.array([2.0])) == pytest.approx([2.3])


def test_library_errors_name_the_field_and_the_cli_names_the_flag():
    mdp = load_mdp(find("random-walk-5").path)
    with pytest.raises(SettingError) as caught:
        start_distribution(mdp, "nowhere")
    assert str(caught.value) == "start: no state named 'nowhere'"
    assert str(caught.value.named({"start": "--start"})) == "--start: no state named 'nowhere'"
    result = CliRunner().invoke(app, ["estimate", "random-walk-5", "-p", "uniform", "--start",
                                      "{x}"])  # fmt: skip
    assert result.exit_code == 2
    assert "--start: no state named '{x}'" in result.output  # user text is not a template

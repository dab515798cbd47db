"""A long simulation is announced before it starts, from the exact expected episode length."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rlcli.cli.sweep_options import long_run_note
from rlcli.learn.episodes import start_distribution
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.evaluate import expected_episode_length
from rlcli.problem_library import find


@pytest.mark.parametrize(("name", "length"), [("random-walk-5", 9), ("random-walk-19", 100)])
def test_expected_episode_length_of_the_symmetric_random_walk(name: str, length: int) -> None:
    # Gambler's-ruin duration from the middle of n states: k (n + 1 − k) with k = (n + 1)/2.
    mdp = load_mdp(find(name).path)
    start = start_distribution(mdp, None)
    assert expected_episode_length(mdp, mdp.uniform_policy(), start) == pytest.approx(length)


def test_expected_episode_length_is_geometric_and_infinite_when_improper() -> None:
    mdp = loads_mdp(
        "gamma: 1\nstates: [a, end]\nterminal: [end]\nstart: a\n"
        "transitions:\n  a:\n    go:\n      - {next: end, p: 1/4, r: 0}\n"
        "      - {next: a, p: 3/4, r: 0}\n    stay: {next: a, r: 0}\n"
    )
    start = start_distribution(mdp, None)
    go = np.array([1.0 if mdp.actions[mdp.pair_action[k]] == "go" else 0.0 for k in range(2)])
    assert expected_episode_length(mdp, go, start) == pytest.approx(4.0)  # 1 / (1/4)
    assert math.isinf(expected_episode_length(mdp, 1 - go, start))


def test_long_run_note_only_when_the_simulation_is_long() -> None:
    assert long_run_note(9.0, 100, 100, 100_000) is None
    note = long_run_note(6453.1, 100, 100, 100_000)
    assert note is not None and "6,453 steps" in note and "6.5e+07" in note
    assert long_run_note(6453.1, 100, 100, 50) is None  # cut short by --max-steps
    assert "may never end" in long_run_note(math.inf, 100, 100, 100_000)


def test_batch_td_note_counts_one_dense_solve_per_run_and_episode_where_episodes_loop() -> None:
    from rlcli.cli.common import load, policy
    from rlcli.cli.sweep_options import batch_td_note

    walk = load(Path("random-walk-19"))  # left and right: its episodes loop
    uniform = policy(walk, "uniform")
    assert batch_td_note(100, 100, walk, uniform) is None  # 1e4 × 21³ ≈ 9e7
    note = batch_td_note(30_000, 10_000, walk, uniform)  # 3e8 solves × 21³ = 2.8e12
    assert note is not None and "300,000,000 solves" in note and "9.3e+03" in note
    assert "about 5 min" in note  # 3e8 × 9261 / 1e10 = 278 s
    assert "up to about" in note  # K ≤ S: the states left so far


def test_batch_td_note_is_not_given_where_episodes_cannot_loop() -> None:
    # blackjack's hands only move forward: its estimated models have no loop and are solved
    # by sweeps (3e6 dense 213×213 solves would have been 48 min at 1e10 a second)
    from rlcli.cli.common import load, policy
    from rlcli.cli.sweep_options import batch_td_note
    from rlcli.learn.batch import can_loop

    blackjack = load(Path("blackjack"))
    uniform = policy(blackjack, "uniform")
    assert not can_loop(blackjack, uniform)
    assert batch_td_note(3000, 1000, blackjack, uniform) is None
    walk = load(Path("random-walk-19"))
    assert can_loop(walk, policy(walk, "uniform"))


def test_estimate_announces_a_long_batch_td_before_simulating(monkeypatch) -> None:
    # the gambler's capital goes up and down: its models loop; 101 states, 1000 runs × 400
    # episodes = 4e5 solves × 101³ ≈ 4.1e11, about 41 s; the note comes before any learning
    from typer.testing import CliRunner

    from rlcli.cli.app import app
    from rlcli.errors import UsageError
    from rlcli.learn import predict

    def stop(*args, **kwargs):
        raise UsageError("stopped before learning")

    monkeypatch.setattr(predict, "run_prediction", stop)
    args = ["-p", "uniform", "--runs", "1000", "--episodes", "400"]
    result = CliRunner().invoke(
        app, ["estimate", "gamblers-problem", *args, "--method", "td,batch-td"]
    )
    assert result.exit_code == 2
    assert "batch TD solves a linear system of up to 101×101" in result.output
    assert "stopped before learning" in result.output
    result = CliRunner().invoke(
        app, ["estimate", "gamblers-problem", *args, "--method", "td,batch-mc"]
    )
    assert "batch TD solves" not in result.output
    # blackjack's episodes cannot loop: 3e6 solves, no note
    args = ["-p", "uniform", "--runs", "3000", "--episodes", "1000", "--method", "td,batch-td"]
    result = CliRunner().invoke(app, ["estimate", "blackjack", *args])
    assert "batch TD solves" not in result.output and "stopped before learning" in result.output

"""A long simulation is announced before it starts, from the exact expected episode length."""

from __future__ import annotations

import math

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


def test_batch_td_note_counts_one_dense_solve_per_run_and_episode() -> None:
    from rlcli.cli.sweep_options import batch_td_note

    assert batch_td_note(100, 100, 19) is None  # random walk 19: 1e4 × 6859 ≈ 7e7
    note = batch_td_note(3000, 1000, 213)  # blackjack: 3e6 solves × 213³ = 2.9e13
    assert note is not None and "3,000,000 solves" in note and "9.7e+06" in note
    assert "48 min" in note  # 2.899e13 / 1e10 s = 2,899 s
    # 1e4 × 9.66e6 = 9.7e10, about 10 s at 1e10 (measured 10–12 s): no note under 30 s
    assert batch_td_note(100, 100, 213) is None
    assert "39 s" in batch_td_note(400, 100, 213)  # 4e4 × 9.66e6 / 1e10 = 38.6 s


def test_estimate_announces_a_long_batch_td_before_simulating(monkeypatch) -> None:
    # blackjack's one-step episodes are short, so only the solves make it long (no
    # long-run note about steps); the note comes before any learning
    from typer.testing import CliRunner

    from rlcli.cli.app import app
    from rlcli.errors import UsageError
    from rlcli.learn import predict

    def stop(*args, **kwargs):
        raise UsageError("stopped before learning")

    monkeypatch.setattr(predict, "run_prediction", stop)
    args = ["estimate", "blackjack", "-p", "uniform", "--runs", "3000", "--episodes", "1000"]
    result = CliRunner().invoke(app, [*args, "--method", "td,batch-td"])
    assert result.exit_code == 2
    assert "batch TD solves a 213×213 linear system" in result.output
    assert "stopped before learning" in result.output
    result = CliRunner().invoke(app, [*args, "--method", "td,batch-mc"])
    assert "batch TD solves" not in result.output

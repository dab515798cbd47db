"""Explained variance of the critic (A2C, PPO): the formula by hand, and where it is logged."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.train.diagnostics import explained_variance


def test_explained_variance_by_hand() -> None:
    # y = 1 2 3 4, ŷ = 1 2 3 3: y − ŷ = 0 0 0 1, mean 1/4, Var = (3·1/16 + 9/16)/4 = 3/16;
    # Var y = (9 + 1 + 1 + 9)/4 /4 = 5/4;  1 − (3/16)/(5/4) = 1 − 3/20 = 17/20
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert explained_variance(np.array([1.0, 2.0, 3.0, 3.0]), y) == pytest.approx(17 / 20)
    assert explained_variance(y, y) == 1.0  # a perfect critic
    assert explained_variance(np.full(4, 2.5), y) == pytest.approx(0.0)  # the mean: explains 0
    # ŷ = −y: y − ŷ = 2y, Var = 4·Var y → 1 − 4 = −3 (worse than a constant)
    assert explained_variance(-y, y) == pytest.approx(-3.0)
    assert math.isnan(explained_variance(y, np.ones(4)))  # returns that do not vary


def test_ppo_explained_variance_is_that_of_the_rollouts_old_values(monkeypatch) -> None:
    # The statistic PPO logs is 1 − Var[R − V_old]/Var[R] on the rollout's own batch.
    from rlcli.train import ppo, rollout
    from rlcli.train.config import default_config
    from rlcli.train.run import Runner

    seen = []
    original = rollout.rollout_advantages

    def spy(run):
        b = original(run)
        seen.append((b.values.copy(), b.returns.copy()))
        return b

    monkeypatch.setattr(ppo, "rollout_advantages", spy)
    cfg = default_config("ppo", "cartpole").updated(total_steps=512)
    run = Runner("ppo", "cartpole", cfg)
    stats = ppo.ppo_iteration(run)
    v, r = seen[0]
    by_hand = 1 - np.mean((r - v - np.mean(r - v)) ** 2) / np.mean((r - np.mean(r)) ** 2)
    assert stats["explained_variance"] == pytest.approx(by_hand, rel=1e-9)


@pytest.mark.parametrize("algo", ["a2c", "ppo"])
def test_explained_variance_is_in_the_csv_json_and_live_table(algo: str, tmp_path) -> None:
    path = tmp_path / "run.csv"
    base = ["train", algo, "--task", "cartpole", "--steps", "2048", "--seed", "3"]
    result = CliRunner().invoke(app, [*base, "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert " EV " in result.output  # the live table's column
    rows = list(csv.DictReader(path.open()))
    assert all(-10 < float(row["explained_variance"]) <= 1 for row in rows)
    doc = json.loads(CliRunner().invoke(app, [*base, "--json"]).stdout)
    assert [ev for _, ev in doc["explained_variance"]] == [
        float(row["explained_variance"]) for row in rows
    ]

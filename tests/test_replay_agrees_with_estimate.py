"""``replay`` and ``estimate`` implement TD(0), constant-α MC, n-step TD, the offline
λ-return and the trace variants of TD(λ) once each: the same episodes through the
``rlcli.learn`` functions (on an ``Episode``) and through ``rlcli replay`` give the same
values."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.learn.episodes import Episode, discounted_returns
from rlcli.learn.mc import mc_episode
from rlcli.learn.nstep import nstep_episode
from rlcli.learn.steps import Rows
from rlcli.learn.td import td0_episode
from rlcli.learn.td_lambda import (
    offline_lambda_return_episode,
    traces_episode,
    true_online_episode,
)

STATES = ["A", "B", "C", "T"]  # T terminal


def random_episodes(seed: int, count: int) -> list[tuple[list[int], list[int]]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        length = int(rng.integers(1, 7))
        states = [int(s) for s in rng.integers(0, 3, size=length)] + [3]
        rewards = [int(r) for r in rng.integers(-2, 4, size=length)]
        out.append((states, rewards))
    return out


def as_episode(states: list[int], rewards: list[int], gamma: float) -> Episode:
    s = np.array([states])
    r = np.array([rewards], dtype=float)
    T = len(rewards)
    return Episode(
        0,
        s,
        r,
        np.zeros((1, T), dtype=np.int64),
        np.array([T]),
        np.array([False]),
        discounted_returns(r, gamma),
    )


def as_text(episodes) -> str:
    # a trailing reward means "then terminal"
    return "; ".join(
        " ".join(f"{STATES[s]} {r}" for s, r in zip(st[:-1], rw, strict=True))
        for st, rw in episodes
    )


def learn_values(update, episodes, g: float, alpha: float, **kw) -> np.ndarray:
    V = np.zeros((1, 4))
    rows = Rows(np.array([0]), np.array([alpha]), np.zeros((1, 4)))
    for st, rw in episodes:
        update(V, as_episode(st, rw, g), rows, **kw)
    return V[0, :3]


def replay_values(*args: str) -> np.ndarray:
    result = CliRunner().invoke(app, ["replay", *args, "--json"])
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)["values"]
    return np.array([values.get(s, 0.0) for s in STATES[:3]])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_td0_mc_nstep_offline_lambda_agree(seed):
    eps = random_episodes(seed, 6)
    text = as_text(eps)
    g, a = 0.9, 0.25
    common = ["--gamma", "0.9", "--alpha", "1/4"]
    np.testing.assert_allclose(
        replay_values("td", text, *common),
        learn_values(td0_episode, eps, g, a, gamma=g),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        replay_values("mc", text, *common),
        learn_values(mc_episode, eps, g, a, first_visit=False),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        replay_values("mc", text, *common, "--visit", "first"),
        learn_values(mc_episode, eps, g, a, first_visit=True),
        atol=1e-12,
    )
    for n in (1, 2, 3):
        np.testing.assert_allclose(
            replay_values("nstep", text, *common, "--n", str(n)),
            learn_values(nstep_episode, eps, g, a, n=np.array([n]), gamma=g),
            atol=1e-12,
        )
    for lam in ("0", "0.5", "1"):
        np.testing.assert_allclose(
            replay_values("td-lambda", text, *common, "--lambda", lam),
            learn_values(
                offline_lambda_return_episode, eps, g, a, lam=np.array([float(lam)]), gamma=g
            ),
            atol=1e-12,
        )


@pytest.mark.parametrize("seed", [3, 4])
def test_trace_variants_agree(seed):
    eps = random_episodes(seed, 5)
    text = as_text(eps)
    g, a, lam = 0.9, 0.25, 0.8
    common = ["--gamma", "0.9", "--alpha", "1/4", "--lambda", "0.8"]
    for variant, update, kw in [
        ("accumulating", traces_episode, {"replacing": False}),
        ("replacing", traces_episode, {"replacing": True}),
        ("true-online", true_online_episode, {}),
    ]:
        np.testing.assert_allclose(
            replay_values("td-lambda", text, *common, "--variant", variant),
            learn_values(update, eps, g, a, lam=np.array([lam]), gamma=g, **kw),
            atol=1e-12,
            err_msg=variant,
        )

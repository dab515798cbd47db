"""``rlcli train`` through the CLI: JSON keys, reproducibility, --target, outputs, bad input."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["train", *args])


def test_json_keys_and_same_seed_same_curve():
    args = ["ppo", "--task", "bandit", "--steps", "400", "--seed", "5", "--json"]
    a, b = run(*args), run(*args)
    assert a.exit_code == 0, a.output
    doc_a, doc_b = json.loads(a.stdout), json.loads(b.stdout)
    for key in ("algo", "task", "seed", "curve", "solved_at_steps", "wall_seconds"):
        assert key in doc_a
    assert doc_a["algo"] == "ppo" and doc_a["task"] == "bandit" and doc_a["seed"] == 5
    assert json.dumps(doc_a["curve"]) == json.dumps(doc_b["curve"])
    assert doc_a["curve"][-1][0] >= 400
    c = run("ppo", "--task", "bandit", "--steps", "400", "--seed", "6", "--json")
    assert json.loads(c.stdout)["curve"] != doc_a["curve"]


def test_target_not_reached_exits_1_and_reached_exits_0():
    missed = run("a2c", "--task", "bandit", "--steps", "200", "--target", "100", "--json")
    assert missed.exit_code == 1
    assert json.loads(missed.stdout)["solved_at_steps"] is None
    hit = run("a2c", "--task", "bandit", "--steps", "2000", "--target", "-100", "--json")
    assert hit.exit_code == 0
    doc = json.loads(hit.stdout)
    assert doc["solved_at_steps"] == doc["curve"][0][0]


def test_text_output_has_summary_and_curve(tmp_path):
    out_csv = tmp_path / "run.csv"
    res = run(
        "reinforce", "--task", "bandit", "--steps", "300", "--baseline", "--csv", str(out_csv)
    )
    assert res.exit_code == 0, res.output
    assert "reinforce on bandit" in res.stdout
    assert "best arm's mean reward" in res.stdout
    assert "env steps" in res.stdout and "┤" in res.stdout
    rows = list(csv.reader(out_csv.open()))
    assert rows[0][:3] == ["iteration", "env_steps", "mean_return"]
    assert int(rows[-1][1]) >= 300


def test_grpo_and_kl_penalty_run_on_every_small_task():
    for args in (
        ["grpo", "--task", "bandit", "--steps", "2000"],
        ["grpo", "--task", "gridworld", "--steps", "600"],
        ["ppo", "--task", "gridworld", "--kl-penalty", "--steps", "600"],
        ["a2c", "--task", "gridworld", "--problem", "recycling-robot", "--steps", "3000"],
    ):
        res = run(*args, "--json")
        assert res.exit_code == 0, (args, res.output)
        assert json.loads(res.stdout)["curve"], args


@pytest.mark.parametrize(
    "args, message",
    [
        (["ppo", "--task", "bandit", "--steps", "0"], "--steps must be at least 1"),
        (["ppo", "--task", "bandit", "--k", "1"], "at least 2 arms"),
        (["grpo", "--task", "tokens"], "no longer a train task: the language-model story is"),
        (["compare", "--task", "tokens"], "`rlcli lm`"),
        (["ppo", "--task", "atari"], "not one of bandit, gridworld, cartpole"),
        (["a2c", "--task", "gridworld", "--max-episode-steps", "0"], "--max-episode-steps"),
        (["ppo", "--task", "bandit", "--hidden", "64,x"], "--hidden expects widths"),
        (["ppo", "--task", "bandit", "--lr", "-1"], "--lr must be a positive number"),
        (["ppo", "--task", "bandit", "--gamma", "1.5"], "--gamma must be in [0, 1]"),
        (["grpo", "--task", "bandit", "--envs", "10", "-G", "4"], "multiple of --group-size"),
        (["ppo", "--task", "gridworld", "--problem", "no-such-file.yaml"], "no-such-file"),
        (["compare", "--algos", "ppo,dqn"], "unknown"),
        (["compare", "--seeds", "9" * 30], "--seeds must be in 1..1,000"),
        (["compare", "--seeds", "0"], "--seeds must be in 1..1,000"),
    ],
)
def test_bad_input_exits_2_with_message(args, message):
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_plot_without_matplotlib_names_the_extra(tmp_path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        res = run("ppo", "--task", "bandit", "--steps", "200", "--plot", str(tmp_path / "c.png"))
        assert res.exit_code == 2
        assert "pip install 'rlcli[plot]'" in res.output
    else:
        res = run("ppo", "--task", "bandit", "--steps", "200", "--plot", str(tmp_path / "c.png"))
        assert res.exit_code == 0 and (tmp_path / "c.png").stat().st_size > 0


def test_grpo_defaults_to_the_bandit():
    # a group of G pulls from the bandit's one state is GRPO's "G completions of one prompt"
    res = run("grpo", "--steps", "64", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == "bandit" and doc["config"]["group_size"] == 8


def test_compare_table_lists_each_algorithm():
    res = run("compare", "--seeds", "2", "--steps", "300")  # the bandit by default
    assert res.exit_code == 0, res.output
    for algo in ("reinforce", "ppo", "grpo"):
        assert algo in res.stdout
    doc = json.loads(
        run("compare", "--task", "bandit", "--seeds", "2", "--steps", "300", "--json").stdout
    )
    assert [(r["algo"], r["seed"]) for r in doc["results"]] == [
        (a, s) for a in ("reinforce", "ppo", "grpo") for s in (0, 1)
    ]


def test_divergence_is_explained_not_crashed(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text(
        "gamma: 1\nstates: [a, b]\nterminal: [b]\nstart: a\n"
        "transitions:\n  a:\n    go: {next: b, r: 1e308}\n    stay: {next: a, r: 1e308}\n"
    )
    res = run("a2c", "--task", "gridworld", "--problem", str(huge), "--steps", "500")
    assert res.exit_code == 2, res.output
    assert "training diverged" in res.output and "Traceback" not in res.output

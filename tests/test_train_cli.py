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
        ["grpo", "--task", "tokens", "--steps", "2000", "--encoding", "onehot"],
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
        (["grpo", "--task", "tokens", "--max-operand", "0"], "--max-operand must be in 1..99"),
        (["a2c", "--task", "gridworld", "--max-episode-steps", "0"], "--max-episode-steps"),
        (["ppo", "--task", "bandit", "--hidden", "64,x"], "--hidden expects widths"),
        (["ppo", "--task", "bandit", "--lr", "-1"], "--lr must be a positive number"),
        (["ppo", "--task", "bandit", "--gamma", "1.5"], "--gamma must be in [0, 1]"),
        (["grpo", "--task", "tokens", "--envs", "10", "-G", "4"], "multiple of --group-size"),
        (["ppo", "--task", "gridworld", "--problem", "no-such-file.yaml"], "no-such-file"),
        (["compare", "--algos", "ppo,dqn"], "unknown"),
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


def test_compare_table_lists_each_algorithm():
    res = run("compare", "--task", "bandit", "--seeds", "2", "--steps", "300")
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


def test_tokens_greedy_answers_are_judged_by_the_sum():
    res = run("grpo", "--task", "tokens", "--steps", "20000", "--seed", "1", "--json")
    assert res.exit_code in (0, 1), res.output
    doc = json.loads(res.stdout)
    answers = doc["greedy_answers"]
    assert len(answers) == 25  # a, b in 0..4
    right = 0
    for item in answers:
        a, b = (int(x) for x in item["prompt"].rstrip("=").split("+"))
        assert item["correct"] == (item["completion"] == f"{a + b}<eos>"), item
        right += item["completion"] == f"{a + b}<eos>"
    assert right > 0
    # the per-iteration greedy accuracy (LM evaluation's accuracy) ends at the same fraction
    steps, accuracy = doc["greedy_curve"][-1]
    assert steps == doc["env_steps"] and accuracy == pytest.approx(right / 25)


def test_compare_on_tokens_shows_each_seeds_greedy_score():
    args = ("compare", "--task", "tokens", "--seeds", "2", "--steps", "20000", "--algos", "grpo")
    table = run(*args)
    assert table.exit_code == 0, table.output
    doc = json.loads(run(*args, "--json").stdout)
    right = [
        sum(a["completion"] == _sum(a["prompt"]) for a in r["greedy_answers"])
        for r in doc["results"]
    ]
    row = next(line for line in table.stdout.splitlines() if line.strip().startswith("grpo"))
    assert "greedy" in table.stdout
    assert f" {right[0]} {right[1]} " in row


def _sum(prompt: str) -> str:
    a, b = (int(x) for x in prompt.rstrip("=").split("+"))
    return f"{a + b}<eos>"

"""The bundled problems: all valid, all cite a source, and their numbers reproduce the
published values through an independent solver written here (dense linear solve for
v_π, plain value iteration for v*), plus the ``rlcli problems`` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.mdp.read.load import load_mdp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
FILES = sorted(PROBLEMS.glob("*.yaml"))
NAMES = [f.stem for f in FILES]

CITATIONS = {
    "recycling-robot": ("Sutton & Barto", "Example 3.3"),
    "gridworld-4x4": ("Sutton & Barto", "Example 4.1"),
    "gridworld-5x5": ("Sutton & Barto", "Example 3.5"),
    "student-mdp": ("Silver", "Lecture 2"),
    "random-walk-5": ("Sutton & Barto", "Example 6.2"),
    "random-walk-19": ("Sutton & Barto", "7.1"),
    "cliff-walking": ("Sutton & Barto", "Example 6.6"),
    "windy-gridworld": ("Sutton & Barto", "Example 6.5"),
    "frozenlake-4x4": ("Gymnasium", "FrozenLake"),
    "gamblers-problem": ("Sutton & Barto", "Example 4.3"),
    "blackjack": ("Sutton & Barto", "Example 5.1"),
}


def outcome_pairs(mdp) -> np.ndarray:
    return np.repeat(np.arange(len(mdp.pair_action)), np.diff(mdp.out_ptr))


def evaluate(mdp, pi: np.ndarray) -> dict[str, float]:
    """v_π from (I − γ P_π) v = r_π over the non-terminal states (dense, built by hand)."""
    live = [s for s in range(len(mdp.states)) if not mdp.terminal[s]]
    pos = {s: i for i, s in enumerate(live)}
    A = np.eye(len(live))
    b = np.zeros(len(live))
    for s in live:
        for k in range(mdp.pair_ptr[s], mdp.pair_ptr[s + 1]):
            for z in range(mdp.out_ptr[k], mdp.out_ptr[k + 1]):
                p = pi[k] * mdp.out_prob[z]
                b[pos[s]] += p * mdp.out_reward[z]
                nxt = int(mdp.out_next[z])
                if nxt in pos:
                    A[pos[s], pos[nxt]] -= mdp.gamma * p
    v = np.linalg.solve(A, b)
    return {mdp.states[s]: (v[pos[s]] if s in pos else 0.0) for s in range(len(mdp.states))}


def uniform(mdp) -> np.ndarray:
    counts = np.diff(mdp.pair_ptr)
    return np.concatenate([np.full(n, 1.0 / n) for n in counts if n > 0])


def optimal(mdp, tol: float = 1e-12, max_sweeps: int = 100_000) -> dict[str, float]:
    """v* by value iteration: v(s) ← max_a Σ p (r + γ v(s'))."""
    pairs = outcome_pairs(mdp)
    K = len(mdp.pair_action)
    r = np.bincount(pairs, weights=mdp.out_prob * mdp.out_reward, minlength=K)
    live = np.diff(mdp.pair_ptr) > 0
    v = np.zeros(len(mdp.states))
    for _ in range(max_sweeps):
        q = r + mdp.gamma * np.bincount(pairs, weights=mdp.out_prob * v[mdp.out_next], minlength=K)
        new = np.zeros_like(v)
        new[live] = np.maximum.reduceat(q, mdp.pair_ptr[:-1][live])
        if np.max(np.abs(new - v)) < tol:
            v = new
            break
        v = new
    return dict(zip(mdp.states, v, strict=True))


def load(name: str):
    return load_mdp(PROBLEMS / f"{name}.yaml")


# ---- the library as a whole -----------------------------------------------------------


def test_the_ten_problems_are_there() -> None:
    assert set(NAMES) == set(CITATIONS)


def test_every_problem_passes_mdp_check() -> None:
    result = CliRunner().invoke(app, ["mdp", "check", *map(str, FILES), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["valid"] is True and len(doc["files"]) == len(FILES)
    assert all(f["valid"] for f in doc["files"])


@pytest.mark.parametrize("name", NAMES)
def test_description_cites_source(name: str) -> None:
    mdp = load(name)
    for phrase in CITATIONS[name]:
        assert phrase in mdp.description, (name, mdp.description)
    assert mdp.name and mdp.name != name  # a human title, not the file stem


@pytest.mark.parametrize("name", NAMES)
def test_probabilities_sum_to_one_exactly(name: str) -> None:
    mdp = load(name)
    pairs = outcome_pairs(mdp)
    assert np.allclose(np.bincount(pairs, weights=mdp.out_prob), 1)
    _, probs, _ = mdp.exact.rational()  # raises unless every pair sums to exactly 1
    assert all(0 <= p <= 1 for p in probs)
    assert not any(np.diff(mdp.pair_ptr)[mdp.terminal])  # terminal states have no actions
    assert all(np.diff(mdp.pair_ptr)[~mdp.terminal] > 0)


# ---- published values ------------------------------------------------------------------


def test_gridworld_4x4_fig_4_1() -> None:
    mdp = load("gridworld-4x4")
    v = evaluate(mdp, mdp.policies["random"])
    table = [[round(v[f"r{r}c{c}"]) for c in range(4)] for r in range(4)]
    assert table == [
        [0, -14, -20, -22],
        [-14, -18, -20, -20],
        [-20, -20, -18, -14],
        [-22, -20, -14, 0],
    ]
    assert v["r0c1"] == pytest.approx(-14, abs=1e-9)  # exact, not only rounded


def test_gridworld_5x5_fig_3_2_and_3_5() -> None:
    mdp = load("gridworld-5x5")
    v = evaluate(mdp, uniform(mdp))
    table = [[round(v[f"r{r}c{c}"], 1) for c in range(5)] for r in range(5)]
    assert table == [
        [3.3, 8.8, 4.4, 5.3, 1.5],
        [1.5, 3.0, 2.3, 1.9, 0.5],
        [0.1, 0.7, 0.7, 0.4, -0.4],
        [-1.0, -0.4, -0.4, -0.6, -1.2],
        [-1.9, -1.3, -1.2, -1.4, -2.0],
    ]
    vstar = optimal(mdp)
    assert [round(vstar[f"r0c{c}"], 1) for c in range(5)] == [22.0, 24.4, 22.0, 19.4, 17.5]


def test_student_mdp_silver_lecture_2() -> None:
    mdp = load("student-mdp")
    v = evaluate(mdp, mdp.policies["random"])
    got = [round(v[s], 1) for s in ("Facebook", "Class1", "Class2", "Class3")]
    assert got == [-2.3, -1.3, 2.7, 7.4]
    vstar = optimal(mdp)
    assert [vstar[s] for s in ("Facebook", "Class1", "Class2", "Class3")] == pytest.approx(
        [6, 6, 8, 10]
    )


def test_random_walk_5_example_6_2() -> None:
    mdp = load("random-walk-5")
    v = evaluate(mdp, mdp.policies["random"])
    assert [v[s] for s in "ABCDE"] == pytest.approx([i / 6 for i in range(1, 6)], abs=1e-12)
    assert mdp.start[mdp.state_index["C"]] == 1


def test_random_walk_19_section_7_1() -> None:
    mdp = load("random-walk-19")
    v = evaluate(mdp, uniform(mdp))
    expected = [(i - 10) / 10 for i in range(1, 20)]
    assert [v[str(i)] for i in range(1, 20)] == pytest.approx(expected, abs=1e-12)
    assert mdp.start[mdp.state_index["10"]] == 1


def test_recycling_robot_closed_form() -> None:
    mdp = load("recycling-robot")
    # cautious: v_h = 2 + 0.9 (0.8 v_h + 0.2 v_l), v_l = 0.9 v_h  ->  v_h = 1000/59
    v = evaluate(mdp, mdp.policies["cautious"])
    assert v["high"] == pytest.approx(1000 / 59, rel=1e-12)
    assert v["low"] == pytest.approx(900 / 59, rel=1e-12)
    gamma, _, _ = mdp.exact.rational()
    assert gamma == Fraction(9, 10)


def test_gamblers_problem_example_4_3() -> None:
    mdp = load("gamblers-problem")
    for s in (1, 25, 50, 75, 99):
        assert len(mdp.actions_of(mdp.state_index[f"s{s}"])) == min(s, 100 - s)
    vstar = optimal(mdp, tol=1e-13)
    assert vstar["s50"] == pytest.approx(0.4, abs=1e-9)
    assert vstar["s25"] == pytest.approx(0.16, abs=1e-9)  # 0.4 * 0.4 (bold play)
    assert vstar["s75"] == pytest.approx(0.4 + 0.6 * 0.4, abs=1e-9)


def test_cliff_and_windy_optimal_returns() -> None:
    cliff = load("cliff-walking")
    assert optimal(cliff)["r3c0"] == pytest.approx(-13)
    windy = load("windy-gridworld")
    assert optimal(windy)["r3c0"] == pytest.approx(-15)


def test_frozenlake_goal_reachable_with_discount() -> None:
    mdp = load("frozenlake-4x4")
    vstar = optimal(mdp)
    # from the start, a positive but small chance-weighted value; from next to G, higher
    assert 0 < vstar["r0c0"] < vstar["r3c2"] < 1
    assert vstar["r1c1"] == 0  # a hole


# ---- rlcli problems ---------------------------------------------------------------------


def test_problems_list() -> None:
    result = CliRunner().invoke(app, ["problems", "list", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert sorted(p["name"] for p in doc["problems"]) == sorted(NAMES)
    for p in doc["problems"]:
        assert Path(p["path"]).is_file() and p["description"]
    text = CliRunner().invoke(app, ["problems", "list"])
    assert text.exit_code == 0
    for name in NAMES:
        assert name in text.stdout


def test_problems_show_and_path() -> None:
    result = CliRunner().invoke(app, ["problems", "show", "student-mdp", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["text"] == (PROBLEMS / "student-mdp.yaml").read_text()
    result = CliRunner().invoke(app, ["problems", "show", "student-mdp"])
    assert result.exit_code == 0 and "Class3" in result.stdout
    result = CliRunner().invoke(app, ["problems", "path", "cliff-walking"])
    assert result.exit_code == 0
    path = Path(result.stdout.strip())
    assert path.read_text() == (PROBLEMS / "cliff-walking.yaml").read_text()


def test_problems_unknown_name_is_clean_usage_error() -> None:
    for cmd in ("show", "path", "copy"):
        result = CliRunner().invoke(app, ["problems", cmd, "no-such-problem"])
        assert result.exit_code == 2
        assert "no bundled problem named 'no-such-problem'" in result.stderr
        assert "Traceback" not in result.output


def test_problems_copy_refuses_to_overwrite(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["problems", "copy", "recycling-robot", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "recycling-robot.yaml"
    assert target.read_text() == (PROBLEMS / "recycling-robot.yaml").read_text()
    target.write_text("edited")
    result = runner.invoke(app, ["problems", "copy", "recycling-robot", str(tmp_path)])
    assert result.exit_code == 2 and "--force" in result.stderr
    assert target.read_text() == "edited"
    result = runner.invoke(app, ["problems", "copy", "recycling-robot", str(target), "--force"])
    assert result.exit_code == 0
    assert target.read_text() == (PROBLEMS / "recycling-robot.yaml").read_text()


def test_bundled_problem_usable_by_name_as_file() -> None:
    result = CliRunner().invoke(app, ["mdp", "show", "student-mdp", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["states"][0] == "Facebook"


# Regression: problems copy into a missing directory: FileNotFoundError traceback.
def test_problems_copy_missing_dir(tmp_path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rlcli",
            "problems",
            "copy",
            "student-mdp",
            str(tmp_path / "missing" / "x.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_list_shows_the_start_of_each_description() -> None:
    from rlcli.cli.problems import SUMMARY_CHARS, summary

    assert summary("Sutton & Barto (2nd ed.), Example 6.2. Undiscounted.") == (
        "Sutton & Barto (2nd ed.), Example 6.2"
    )
    assert summary("S&B Ex. 5.1, as Gymnasium's: infinite deck") == "S&B Ex. 5.1, as Gymnasium's"
    assert summary("a; b") == "a" and summary("") == ""
    long = summary("word " * 40)
    assert len(long) <= SUMMARY_CHARS and long.endswith("d…")  # cut after a whole word
    listed = CliRunner().invoke(app, ["problems", "list"])
    assert listed.exit_code == 0
    assert "Blackjack-v1" in listed.stdout and "dealer" not in listed.stdout


def test_copy_to_dash_is_standard_output(tmp_path, monkeypatch) -> None:
    # review: `problems copy recycling-robot -` wrote a file named "-"
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["problems", "copy", "recycling-robot", "-"])
    assert res.exit_code == 0, res.output
    assert res.stdout == (PROBLEMS / "recycling-robot.yaml").read_text(encoding="utf-8")
    assert list(tmp_path.iterdir()) == []
    both = CliRunner().invoke(app, ["problems", "copy", "recycling-robot", "-", "--json"])
    assert both.exit_code == 2 and list(tmp_path.iterdir()) == []

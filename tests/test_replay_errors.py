"""Bad experience exits 2 with one clean message naming the episode, the token position and
what was expected (never a traceback); sizes are bounded before anything is allocated."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app

STUDENT = "problems/student-mdp.yaml"


def fails(*args: str) -> str:
    result = CliRunner().invoke(app, ["replay", *args])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["td", "A 0 B 0; 3 1"], ["episode 2", "token 1", "expected a state", "got a number"]),
        (["td", "A 0 0"], ["episode 1", "token 3", "expected the next state", "got a number"]),
        (["td", "A import B"], ["episode 1", "token 3", "expected a reward", "got a name"]),
        (["td", "A 0 B 0; B x"], ["episode 2", "expected a reward after B x"]),
        (["td", "A 1/0 B"], ["episode 1", "token 2", "division by zero"]),
        (["td", "A 0 B 0; B right 1 A"], ["episode 2", "token 2", "one form"]),
        (["sarsa", "A right 1 B", "--alpha", "1"], ["episode 1", "token 4", "next action", "B"]),
        (["td", "A 0 T 1", "--terminal", "T"], ["episode 1", "token 3", "T is terminal"]),
        (["q-learning", "A 0 B 1", "--alpha", "1"], ["no actions", "S A R S"]),
        (["mc", "A 1 B"], ["episode 1", "ends in B", "not terminal"]),
        (["td", "A 1 B", "--alpha", "2"], ["alpha", "not in (0, 1]"]),
        (["td", "A 1 B", "--init", "Z=1"], ["init", "'Z'"]),
    ],
)
def test_bad_inline_experience(args, words):
    message = fails(*args)
    for word in words:
        assert word in message, message


def test_experience_that_disagrees_with_the_mdp():
    assert "token 3: unknown state 'Bogus'" in fails(
        "td", "--mdp", STUDENT, "--episodes", "Class1 -2 Bogus", "--alpha", "1"
    )
    msg = fails(
        "q-learning", "--mdp", STUDENT, "--episodes", "Class1 fly -2 Class2", "--alpha", "1"
    )
    assert "token 2" in msg and "no action 'fly'" in msg
    # Class1 --study--> Facebook is impossible in the student MDP
    msg = fails(
        "q-learning", "--mdp", STUDENT, "--episodes", "Class1 study -2 Facebook", "--alpha", "1"
    )
    assert "probability 0" in msg and "token 4" in msg
    msg = fails("td", "--mdp", STUDENT, "--episodes", "Sleep 0 Class1", "--alpha", "1")
    assert "Sleep is terminal" in msg


def test_file_errors_name_the_line_and_every_problem(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text("gamma: 1\nepisodes:\n  - A 0 B 0\n  - A x 1 1\n  - 2 B\nbogus: 1\n")
    msg = fails("td", str(path), "--alpha", "1")
    assert "exp.yaml:4: episodes[1]: episode 2, token 4" in msg
    assert "exp.yaml:5: episodes[2]: episode 3, token 1" in msg
    assert "exp.yaml:6: bogus: unknown key" in msg


def test_sizes_are_bounded(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("episodes:\n  - " + "A 1 " * 300_000 + "\n")
    assert "limited to" in fails("td", str(big), "--alpha", "1")
    assert "tokens" in fails("td", "--episodes", "; ".join(["A 1 B"] * 140_000), "--alpha", "1")
    assert "at most 100000" in fails(
        "importance-sampling", "--returns", "1," * 200_001, "--ratios", "1"
    )


def test_double_q_needs_a_coin_per_step():
    assert "coin" in fails("double-q", "A l 1 B l 1", "--alpha", "1", "--coins", "1")
    assert "coin" in fails("double-q", "A l 1 B l 1", "--alpha", "1")


def test_same_seed_same_coins():
    a = CliRunner().invoke(
        app, ["replay", "double-q", "A l 1 B l 1 A r 2", "--alpha", "1/2", "--seed", "3", "--json"]
    )
    b = CliRunner().invoke(
        app, ["replay", "double-q", "A l 1 B l 1 A r 2", "--alpha", "1/2", "--seed", "3", "--json"]
    )
    assert a.exit_code == 0 and a.stdout == b.stdout


def test_long_experience_runs_in_floats_not_forever():
    # exact fractions grow with every update: past the exact limit the replay says it switched
    text = " ".join(f"A {i % 3} B {i % 2}" for i in range(200)) + " A 1"  # 401 steps
    result = CliRunner().invoke(
        app, ["replay", "td", text, "--alpha", "1/10", "--gamma", "9/10", "--json"]
    )
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert any("floating point" in n for n in doc["notes"])
    assert "exact" not in doc
    traces = CliRunner().invoke(
        app,
        [
            "replay",
            "td-lambda",
            "A 1 B 0 " * 40 + "A 1",
            "--alpha",
            "1/10",
            "--lambda",
            "1/2",
            "--variant",
            "true-online",
            "--json",
        ],
    )
    assert traces.exit_code == 0
    assert any("floating point" in n for n in json.loads(traces.stdout)["notes"])


@pytest.mark.parametrize(
    ("episode", "names"),
    [
        ("A 0 A' 1", ["A", "A'"]),  # S&B's primes, typed or as U+2032
        ("A 0 A′ 1", ["A", "A′"]),
        ("s-1 -1 s-2 1", ["s-1", "s-2"]),  # a name may hold -, a reward starts with it
        ("é 1 état_2 2", ["é", "état_2"]),
    ],
)
def test_state_names_with_primes_dashes_and_accents(episode, names):
    # review: `replay td "A 0 A' 1"` said token 3 ("A'") was "a number".
    # TD(0), alpha = 1/2, gamma = 1, V0 = 0: the first step's target is R1 + V(S1) = R1 + 0,
    # so V(S0) = R1/2; the second, trailing reward R2 leads to the terminal: V(S1) = R2/2
    result = CliRunner().invoke(app, ["replay", "td", episode, "--alpha", "1/2", "--json"])
    assert result.exit_code == 0, result.output
    r1, r2 = (F(t) for t in episode.split()[1::2])
    assert json.loads(result.stdout)["exact"] == {names[0]: str(r1 / 2), names[1]: str(r2 / 2)}


@pytest.mark.parametrize("token", ["(B)", "B+", "B/2x"])
def test_a_token_that_is_neither_a_name_nor_a_number_is_called_so(token):
    out = fails("td", f"A 0 {token} 1")
    assert f"token 3 ({token!r})" in out and "is not a name" in out and "nor a number" in out
    assert "got a number" not in out


def test_experience_on_standard_input():
    # README: "-" wherever a command takes a FILE. V(A) = 1/2 (0 + V(B)) = 0, then
    # V(B) = 1/2 (1 + 0) = 1/2
    text = "alpha: 1/2\nepisodes:\n  - A 0 B 1\n"
    result = CliRunner().invoke(app, ["replay", "td", "-", "--json"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exact"] == {"A": "0", "B": "1/2"}
    bad = CliRunner().invoke(app, ["replay", "td", "-"], input="episodes:\n  - A 0 B\n  - A 0 0\n")
    assert bad.exit_code == 2 and "<stdin>:3: episodes[1]: episode 2, token 3" in bad.output


def test_json_error_lists_every_problem_of_the_experience_file(tmp_path):
    # review: a non-numeric reward gave "problems": [] though the message had file and line
    ex = tmp_path / "ex.yaml"
    ex.write_text("alpha: 1/2\nepisodes:\n  - A 0 B x\n  - A 0 C\n  - 3 A\n")
    result = CliRunner().invoke(app, ["replay", "td", str(ex), "--json"])
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["error"]["problems"]
    assert [(p["file"], p["line"], p["path"]) for p in problems] == [
        (str(ex), 3, "episodes[0]"),
        (str(ex), 5, "episodes[2]"),
    ]
    assert "token 4 ('x')" in problems[0]["message"] and "token 1 ('3')" in problems[1]["message"]


def test_inline_experience_is_named_as_the_user_gave_it():
    # the positional argument is EXPERIENCE, not the --episodes option the user did not type
    assert fails("td", "A 0 0").startswith("EXPERIENCE: episode 1, token 3")
    assert "--episodes: episode 1, token 3" in fails("td", "--episodes", "A 0 0")

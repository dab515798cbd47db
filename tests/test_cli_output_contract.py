"""The output contract of every command (issue 10 §2 item 12).

With ``--json`` an error still leaves exactly one JSON document on stdout; the human message
goes to stderr. A closed pipe exits 141 without a traceback. RuntimeWarnings never reach
stderr. Control characters in echoed file names are escaped. Lazy command modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import COMMANDS, app
from rlcli.errors import printable

ROBOT = Path(__file__).resolve().parent.parent / "problems" / "recycling-robot.yaml"


def run(args: list[str]):
    return CliRunner().invoke(app, args)


def one_error_document(stdout: str) -> dict:
    doc = json.loads(stdout)  # exactly one document: json.loads rejects trailing data
    assert set(doc) == {"error"}
    assert set(doc["error"]) == {"code", "message", "problems"}
    return doc["error"]


def test_json_error_for_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = run(["mdp", "solve", str(missing), "--json"])
    assert result.exit_code == 2
    error = one_error_document(result.stdout)
    assert error["code"] == 2
    assert error["problems"] == [
        {"file": str(missing), "line": None, "path": "", "message": "no such file"}
    ]
    assert "no such file" in result.stderr  # the human message is still on stderr


def test_json_error_lists_every_problem_of_a_file_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "gamma: 2\nstates: [a]\ntransitions:\n  a:\n    go: {next: a, p: 0.5, r: 0}\n",
        encoding="utf-8",
    )
    result = run(["mdp", "evaluate", str(bad), "-p", "uniform", "--json"])
    assert result.exit_code == 2
    error = one_error_document(result.stdout)
    lines = {(p["line"], p["path"]) for p in error["problems"]}
    assert (1, "gamma") in lines  # gamma = 2 is out of range, on line 1
    assert any(line == 5 for line, _ in lines)  # p sums to 0.5, on line 5
    assert all(p["file"] == str(bad) for p in error["problems"])
    assert "bad.yaml:1: gamma:" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["mdp", "solve", str(ROBOT), "--no-such-option", "--json"],  # click: unknown option
        ["mdp", "evaluate", str(ROBOT), "--json"],  # click: missing -p
        ["estimate", str(ROBOT), "-p", "uniform", "--runs", "x", "--json"],  # click: not an int
        ["mdp", "solve", str(ROBOT), "--set", "nonsense", "--json"],  # library UsageError
        ["derive", "kl", "--samples", "1", "--json"],  # a typer callback's BadParameter
        ["problems", "show", "no-such-problem", "--json"],
        ["train", "reinforce", "--task", "bandit", "--steps", "-5", "--json"],
    ],
)
def test_every_kind_of_usage_error_gives_one_json_document(args: list[str]) -> None:
    result = run(args)
    assert result.exit_code == 2, result.output
    error = one_error_document(result.stdout)
    assert error["code"] == 2 and error["message"]
    assert result.stderr.strip()
    assert "Traceback" not in result.output


def test_without_json_stdout_stays_empty_on_error() -> None:
    result = run(["mdp", "solve", "no-such-file.yaml"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("no-such-file.yaml")


def test_a_command_that_already_wrote_its_document_gets_no_second_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("gamma: 0.9\nstates: [a]\n", encoding="utf-8")
    result = run(["mdp", "check", str(ROBOT), str(bad), "--json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)  # one document: check's own report
    assert doc["valid"] is False and len(doc["files"]) == 2


def test_check_failed_is_exit_1_with_one_document() -> None:
    # --target 1e9 cannot be reached in 200 steps: a failed check, exit 1, the result document.
    result = run(
        ["train", "reinforce", "--task", "bandit", "--steps", "200", "--target", "1e9", "--json"]
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["solved_at_steps"] is None


def test_empty_file_name_is_named_as_such() -> None:
    for args in (["mdp", "check", ""], ["mdp", "solve", ""], ["estimate", "", "-p", "uniform"]):
        result = run(args)
        assert result.exit_code == 2
        assert "file name is empty" in result.stderr
        assert "directory" not in result.stderr


def test_control_characters_in_file_names_are_escaped(tmp_path: Path) -> None:
    name = str(tmp_path / "a\x1b[2Jb\u202e\nc.yaml")
    result = run(["mdp", "check", name])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "a\\x1b[2Jb\\u202e\\nc.yaml" in result.stderr
    assert result.stderr.count("\n") == 1  # the newline in the name does not start a line
    result = run(["mdp", "solve", name, "--json"])
    assert "\x1b" not in result.stdout
    assert "\\x1b" in one_error_document(result.stdout)["message"]


def test_printable_escapes_only_what_a_terminal_would_act_on() -> None:
    assert printable("état ∇θ x²\n") == "état ∇θ x²\n"
    assert printable("a\tb\x07c\x7f") == "a\\tb\\x07c\\x7f"
    assert printable("x\ny", newlines=False) == "x\\ny"


def test_runtime_warnings_never_reach_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    import rlcli.problem_library as library

    real = library.entries

    def noisy_entries():
        np.log(np.zeros(1))  # RuntimeWarning: divide by zero encountered in log
        warnings.warn("overflow", RuntimeWarning, stacklevel=1)
        return real()

    monkeypatch.setattr(library, "entries", noisy_entries)
    monkeypatch.setattr("rlcli.cli.problems.entries", noisy_entries)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # what a user's interpreter does
        result = run(["problems", "list", "--json"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)["problems"]


def _closed_pipe_run(args: list[str]) -> subprocess.CompletedProcess:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write, like `| head -0`
    try:
        return subprocess.run(
            [sys.executable, "-m", "rlcli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["mdp", "show", "gridworld-4x4"],  # rich console output
        ["mdp", "show", "gridworld-4x4", "--json"],  # plain JSON write
    ],
)
def test_closed_pipe_exits_141_quietly(args: list[str]) -> None:
    proc = _closed_pipe_run(args)
    assert proc.returncode == 141
    assert proc.stderr == ""


LAZY = """
import sys
from rlcli.cli.app import app
try:
    app({args!r})
except SystemExit as exc:
    assert exc.code == 0, exc.code
print("LOADED:" + ",".join(sorted(m for m in sys.modules if m.startswith(("rlcli.cli.", "sympy",
      "scipy", "pygments", "rich.markdown")))))
"""


def _loaded(args: list[str]) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", LAZY.format(args=args)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.rsplit("LOADED:", 1)[1].strip().split(","))


def test_a_command_imports_only_its_own_module() -> None:
    loaded = _loaded(["estimate", "--help"])
    assert "rlcli.cli.estimate" in loaded
    assert not loaded & {"rlcli.cli.train", "rlcli.cli.derive", "rlcli.cli.problems"}
    assert not {m for m in loaded if m.split(".")[0] in ("sympy", "scipy", "pygments")}


def test_root_help_lists_every_command_without_heavy_imports() -> None:
    loaded = _loaded(["--help"])
    assert {f"rlcli.cli.{name}" for name in ("estimate", "derive", "train")} <= loaded
    assert not {m for m in loaded if m.split(".")[0] in ("sympy", "scipy", "pygments")}
    assert "rich.markdown" not in loaded


def test_help_documents_the_contract() -> None:
    text = run(["--help"]).stdout
    for name in COMMANDS:
        assert name in text
    assert "141" in text and '"error"' in text


def test_json_documents_small_indented_large_one_line_per_key() -> None:
    import numpy as np

    from rlcli.render.jsonout import PRETTY_LIMIT, dumps

    small = {"values": {"A": 0.5, "B": np.float64(-1.25)}, "iterations": np.int64(3)}
    text = dumps(small)
    assert text == json.dumps({"values": {"A": 0.5, "B": -1.25}, "iterations": 3}, indent=2)
    n = PRETTY_LIMIT // 10  # about 20 characters per state: over the limit
    large = {
        "values": {f"s{i}": i / 3 for i in range(n)},
        "q": {f"s{i}": {"a": np.float64(i / 7)} for i in range(n)},
        "trace": [],
        "bound": float("nan"),  # not JSON: becomes null, as in small documents
    }
    text = dumps(large)
    assert len(text) > PRETTY_LIMIT
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and len(lines) == 2 + len(large)
    assert [line.split(":")[0].strip() for line in lines[1:-1]] == [f'"{k}"' for k in large]
    back = json.loads(text)
    assert back["values"]["s5"] == 5 / 3 and back["q"]["s7"] == {"a": 1.0}
    assert back["bound"] is None and back["trace"] == []
    assert json.loads(dumps([float("inf"), 1])) == [None, 1]

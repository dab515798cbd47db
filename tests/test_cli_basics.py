"""The root command: --version, -h, ``python -m rlcli``, a light ``--help`` (no sympy or
scipy imported), and the documented JSON shape of ``rlcli mdp show``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlcli import __version__
from rlcli.cli.app import app

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
GROUPS = ("mdp", "problems", "derive", "train")


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"rlcli {__version__}"
    assert __version__.count(".") == 2


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_the_command_groups(flag: str) -> None:
    result = CliRunner().invoke(app, [flag])
    assert result.exit_code == 0
    for group in GROUPS:
        assert group in result.stdout


@pytest.mark.parametrize("group", ["mdp", "problems"])
def test_group_help(group: str) -> None:
    result = CliRunner().invoke(app, [group, "-h"])
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_unknown_command_is_usage_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_python_dash_m_rlcli_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rlcli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    for group in GROUPS:
        assert group in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "rlcli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.strip() == f"rlcli {__version__}"


CHECK_IMPORTS = """
import sys
from rlcli.cli.app import app
try:
    app(["--help"])
except SystemExit as exc:
    assert exc.code == 0, exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sympy", "scipy", "matplotlib"))
print("HEAVY:" + ",".join(heavy))
"""


def test_help_imports_neither_sympy_nor_scipy() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_help_importtime_has_no_heavy_modules() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rlcli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "rlcli.cli.app" in imported  # the import log was really captured
    assert not {m for m in imported if m.split(".")[0] in ("sympy", "scipy")}


def test_mdp_show_json_shape() -> None:
    result = CliRunner().invoke(
        app, ["mdp", "show", str(PROBLEMS / "recycling-robot.yaml"), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert {"name", "description", "gamma", "parameters", "states", "terminal", "actions",
            "start", "transitions", "policies"} <= set(doc)  # fmt: skip
    assert doc["gamma"] == 0.9
    assert doc["parameters"] == {"alpha": 0.8, "beta": 0.6, "r_search": 2.0, "r_wait": 1.0}
    assert doc["states"] == ["high", "low"] and doc["terminal"] == []
    assert doc["start"] == {"high": 1.0}
    assert set(doc["actions"]) == {"search", "wait", "recharge"}
    assert doc["transitions"]["low"]["search"] == [
        {"next": "low", "p": 0.6, "r": 2.0},
        {"next": "high", "p": pytest.approx(0.4), "r": -3.0},
    ]
    assert doc["transitions"]["high"]["wait"] == [{"next": "high", "p": 1.0, "r": 1.0}]
    assert doc["policies"]["cautious"] == {"high": "search", "low": "recharge"}
    assert doc["policies"]["coin"]["high"] == {"search": 0.5, "wait": 0.5}


def test_mdp_show_json_grid() -> None:
    result = CliRunner().invoke(
        app, ["mdp", "show", str(PROBLEMS / "cliff-walking.yaml"), "--json"]
    )
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["grid"]["shape"] == [4, 12]
    assert doc["grid"]["cells"]["r3c11"] == [3, 11]
    assert doc["terminal"] == ["r3c11"]
    assert len(doc["states"]) == 38


def test_mdp_show_text() -> None:
    result = CliRunner().invoke(app, ["mdp", "show", str(PROBLEMS / "student-mdp.yaml")])
    assert result.exit_code == 0
    for word in ("Student MDP", "Facebook", "Class3", "pub", "Sleep"):
        assert word in result.stdout


def test_mdp_show_100_state_grid_is_readable(tmp_path) -> None:
    rows = [" ".join("." * 10) for _ in range(9)] + [" ".join("." * 9 + "G")]
    path = tmp_path / "g10.yaml"
    path.write_text("gamma: 1\ngrid:\n  map: |\n" + "".join(f"    {r}\n" for r in rows))
    result = CliRunner().invoke(app, ["mdp", "show", str(path)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "100 (1 terminal)" in result.stdout
    assert any(ln.split()[:1] == ["9"] and ln.split()[-1] == "G" for ln in lines)  # the map
    assert "196 more outcomes (use --all" in result.stdout  # 396 outcomes, 200 shown
    assert len(lines) < 300
    full = CliRunner().invoke(app, ["mdp", "show", str(path), "--all"])
    assert full.exit_code == 0 and "more outcomes" not in full.stdout
    assert "r9c8" in full.stdout


def test_main_shortens_openblas_spin_wait_unless_the_user_set_it(monkeypatch) -> None:
    import os

    import rlcli.cli.app as app_module

    monkeypatch.setattr(app_module, "app", lambda: None)  # the command itself is not run
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    app_module.main()
    assert os.environ["OPENBLAS_THREAD_TIMEOUT"] == "20"
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "28")
    app_module.main()
    assert os.environ["OPENBLAS_THREAD_TIMEOUT"] == "28"


@pytest.mark.parametrize(("option", "value"), [("--seed", "٣"), ("--runs", "２"), ("--seed", "³")])
def test_integer_options_refuse_non_ascii_digits(option: str, value: str) -> None:
    # Python's int() reads Arabic-Indic and full-width digits; a seed typed so is a mistake
    # (typer >= 0.29 converts options with pydantic, which refuses them: keep it so)
    result = CliRunner().invoke(
        app, ["estimate", "random-walk-5", "-p", "uniform", "--method", "td", option, value]
    )
    assert result.exit_code == 2
    assert option in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("group", ["mdp", "problems", "derive", "train", "calc", "lm"])
def test_command_groups_offer_no_completion_install_of_their_own(group: str) -> None:
    result = CliRunner().invoke(app, [group, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout
    assert "--install-completion" not in result.stdout
    assert CliRunner().invoke(app, [group, "--install-completion"]).exit_code == 2


JSON_RUN_IMPORTS = """
import sys
from rlcli.cli.app import app
try:
    app(["estimate", "random-walk-5", "-p", "uniform", "--method", "td,mc,batch-td,batch-mc",
         "--init", "0.5,batch=-1", "--runs", "3", "--episodes", "4", "--json"])
except SystemExit as exc:
    assert exc.code == 0, exc.code
print("LOADED:" + ",".join(sorted(m for m in ("rich", "numpy.ma", "scipy", "sympy")
                                    if m in sys.modules)))
"""


def test_estimate_json_loads_neither_rich_nor_numpy_ma() -> None:
    # --json needs no rich console or table (≈ 0.03 CPU-s) and no numpy.ma (≈ 0.01, loaded
    # by np.intersect1d); printing the tables still uses rich
    proc = subprocess.run(
        [sys.executable, "-c", JSON_RUN_IMPORTS], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert '"results"' in proc.stdout  # the run really happened
    assert proc.stdout.strip().splitlines()[-1] == "LOADED:"

"""The files ``--csv`` and ``--plot`` name: a render writer's error names its field (``csv``,
``plot``), the command line the option the user typed; exit 2, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import FieldError

# /proc takes no new files, not even from root: a folder that exists and cannot be written
UNWRITABLE = Path("/proc/rlcli-test")
needs_proc = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
runner = CliRunner()

WALK = ["estimate", "random-walk-5", "-p", "uniform", "--runs", "2", "--episodes", "3"]
CONTROL = ["control", "student-mdp", "--runs", "1", "--episodes", "3"]
TRAIN = ["train", "reinforce", "--task", "bandit", "--steps", "64", "-q"]


@needs_proc
def test_the_learning_writers_name_their_field_not_a_flag():
    import numpy as np

    from rlcli.render import learning

    with pytest.raises(FieldError) as info:
        learning.write_csv(UNWRITABLE.with_suffix(".csv"), ["a"], [[1]])
    assert info.value.field == "csv" and "--" not in str(info.value)
    assert str(info.value).startswith(f"csv {UNWRITABLE}.csv: cannot write (")
    series = [learning.Series("td", np.arange(3), np.ones(3))]
    with pytest.raises(FieldError) as info:
        learning.write_png(UNWRITABLE.with_suffix(".png"), series, "x", "y", "t")
    assert info.value.field == "plot" and "--" not in str(info.value)


def test_pyplot_without_matplotlib_names_the_field(monkeypatch):
    from rlcli.render.plot import pyplot

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    with pytest.raises(FieldError) as info:
        pyplot()
    assert info.value.field == "plot"
    assert str(info.value) == "plot: needs matplotlib: pip install 'rlcli[plot]'"


@needs_proc
@pytest.mark.parametrize(
    ("command", "option", "suffix"),
    [
        (WALK, "--csv", ".csv"),
        (WALK, "--plot", ".png"),
        (CONTROL, "--csv", ".csv"),
        (CONTROL, "--plot", ".png"),
        (TRAIN, "--plot", ".png"),
        (["train", "compare", "--task", "bandit", "--algos", "reinforce", "--seeds", "1",
          "--steps", "64"], "--plot", ".png"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_written_is_named_by_its_option(command, option, suffix):
    path = UNWRITABLE.with_suffix(suffix)
    result = runner.invoke(app, [*command, option, str(path)])
    assert result.exit_code == 2, result.output
    assert f"error: {option} {path}: cannot write (" in result.stderr
    assert "Traceback" not in result.output

"""`rlcli derive` refuses inputs that used to hang or crash (found in review): exit 2 with a
message naming the option, quickly, no traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--family", "gaussian", "--f", "((((x+1)**64)**64)**64)"], "degree"),
        (["--family", "gaussian", "--f", "(x+1)**64*(x-1)**64*(x+2)**64"], "degree"),
        (["--family", "gaussian", "--f", "1e999999*x"], "float range"),
        (["--family", "gaussian", "--at", "sigma=-1", "--samples", "100"], "positive"),
        (["--family", "gaussian", "--at", "sigma=0", "--samples", "100"], "positive"),
        (["--family", "bernoulli", "--at", "p=2"], "(0, 1)"),
        (["--family", "gaussian", "--at", "mu=nan"], "finite"),
        (["--family", "gaussian", "--samples", "1"], "2 samples"),
    ],
)
def test_bad_derive_inputs_exit_2(args: list[str], words: str) -> None:
    result = CliRunner().invoke(app, ["derive", "log-derivative", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output

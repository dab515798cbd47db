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


def test_closed_form_expectation_step_is_checked_independently() -> None:
    # Review finding: the "expectation in closed form" ✓ compared the closed form with the
    # very moment table it came from. Now it is checked by numeric quadrature, so a wrong
    # moment table (E[x²] = μ² + σ² + 1) must show that step as not verified.
    import dataclasses

    from rlcli.derive import log_derivative as ld
    from rlcli.derive.families import family

    good = family("gaussian")
    x = good.x
    right = ld.derive(good, x**2)
    assert right.all_verified
    wrong_moment = lambda n: good.moment(n) + (1 if n == 2 else 0)  # noqa: E731
    bad = dataclasses.replace(good, moment=wrong_moment)
    result = ld.derive(bad, x**2)
    closed = [s for s in result.steps if s.reason == "the expectation in closed form"]
    assert len(closed) == 1 and closed[0].verified is False
    assert not result.all_verified

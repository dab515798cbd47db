"""`rlcli derive` refuses inputs that used to hang or crash (found in review): exit 2 with a
message naming the option, quickly, no traceback."""

from __future__ import annotations

from functools import partial

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.derive import families
from rlcli.derive.importance_sampling import parse_dist
from rlcli.derive.parse import parse_expr
from rlcli.errors import FieldError


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


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (partial(parse_expr, "x +", {}, "f"), "f"),
        (partial(families.family, "nope"), "family"),
        (partial(families.user_family, "theta", "x", "theta", "1,0"), "support"),
        (partial(families.user_family, "x", "x", "x", "0,1"), "param"),
        (partial(parse_dist, "normal(0,-1)", "p"), "p"),
    ],
)
def test_library_errors_name_fields_not_options(call, field: str) -> None:
    """Issue 11: the library names the field; only the CLI knows it as an option."""
    with pytest.raises(FieldError) as caught:
        call()
    assert caught.value.field == field
    assert "--" not in str(caught.value)


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["log-derivative", "--family", "gaussian", "--f", "x +"], "--f 'x +': "),
        (["log-derivative", "--family", "nope"], "--family: unknown family"),
        (["log-derivative", "--family", "gaussian", "--at", "zz=1"], "--at: gaussian has no"),
        (["log-derivative", "--density", "theta", "--support", "1,0"], "--support '1,0': "),
        (["kl", "--p", "normal(0,-1)"], "--p 'normal(0,-1)': sigma must be > 0"),
    ],
)
def test_cli_names_the_option_of_the_field(args: list[str], start: str) -> None:
    result = CliRunner().invoke(app, ["derive", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {start}"), result.stderr


BAD_EXPRESSIONS = ["log(0)", "sqrt(-1)*x", "", "nan", "log(-1)*x", "1/(x-x)", "   "]


def _cli(*args: str):
    from typer.testing import CliRunner

    from rlcli.cli.app import app

    return CliRunner().invoke(app, ["derive", *args])


@pytest.mark.parametrize("bad", BAD_EXPRESSIONS)
@pytest.mark.parametrize(
    "where",
    [
        ["log-derivative", "--family", "gaussian", "--f"],
        ["log-derivative", "--family", "bernoulli", "--f"],
        ["importance-sampling", "--f"],
        ["log-derivative", "--support", "0,inf", "--density"],
        ["importance-sampling", "--p"],
        ["importance-sampling", "--q"],
        ["kl", "--p"],
    ],
)
def test_non_real_or_non_finite_expressions_exit_2(where: list[str], bad: str) -> None:
    if where[-1] in ("--p", "--q"):
        bad = f"normal({bad or ' '}, 1)"
    result = _cli(*where, bad)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert where[-1] in result.output


def test_f_not_real_on_the_support_exits_2() -> None:
    result = _cli("log-derivative", "--family", "gaussian", "--f", "sqrt(x)")
    assert result.exit_code == 2, result.output
    assert "real" in result.output and "Traceback" not in result.output

"""Fuzzing every command (issue 10): hostile option values, inline policies, ``--set``,
derive expressions and small generated MDP files.

Every case must end with exit 0, 1 or 2, within a bounded time, without a traceback, and with
``--json`` stdout must hold exactly one JSON document (a result or an error document).
Hypothesis runs derandomized (a fixed seed), in-process through typer's CliRunner; a few
cases also run as real subprocesses.

The options of each command are read from the command itself, so an option added later is
fuzzed too. Size options get small valid values or hostile ones (never a valid large size
that would legitimately run long); a huge size must be refused, not attempted.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rlcli.cli.app import COMMANDS, _load_command, _wants_json, app
from rlcli.derive.parse import parse_expr
from rlcli.derive.timelimit import TimeLimitExceeded, time_limit
from rlcli.errors import UsageError

CASE_SECONDS = 30.0  # a case running longer than this is a hang (most take milliseconds)


def fuzz(max_examples: int) -> settings:
    """Derandomized (same cases every run), no per-example deadline (CASE_SECONDS instead)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


WORK = Path(tempfile.mkdtemp(prefix="rlcli-fuzz-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)

# ---- hostile values -------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "-1",
    "0",
    "-0",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-1e309",
    "1e999999999",
    "9" * 30,
    "0_1",
    "1_000",
    "٣",  # Arabic-Indic three: int() accepts it
    "١٠",
    "²",
    "0x10",
    "1/0",
    "0/0",
    "1/3",
    "1e-320",
    "  2  ",
    "2,",
    ",,",
    "a=1",
    "=",
    "é",
    "\x1b[2J",
    "\u202e",
    "💥",
    "[1]",
    "{a: 1}",
    "--",
]
SMALL = ["0", "1", "2", "3", "0.5", "0.1", "1/2"]
# options whose value is a size: only small or hostile values (a valid huge size would run long
# legitimately; a huge value that is accepted shows up as a hang against CASE_SECONDS)
SIZE_OPTIONS = {
    "--steps",
    "--episodes",
    "--runs",
    "--samples",
    "--sweeps",
    "--max-steps",
    "--envs",
    "--n-steps",
    "--epochs",
    "--group-size",
    "--seeds",
    "--arms",
    "--k",
    "--hidden",
    "--max-episode-steps",
    "--window",
    "--minibatches",
    "--horizon",
    "--n",
}
# written files: only inside WORK, never over a user file (nor into the working directory)
FILE_OPTIONS = {"--csv", "--plot", "--worksheet", "--solutions", "--dir", "-o", "--output"}

value_st = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(SMALL),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
)
size_st = st.one_of(
    st.sampled_from([*HOSTILE, *SMALL, "9" * 30, "10000000000", "-5", "4"]),
    st.integers(-3, 4).map(str),
)


def _leaves() -> dict[str, Any]:
    """Every leaf command by its path ("mdp solve"), read from the application itself."""
    leaves: dict[str, Any] = {}

    def walk(cmd: Any, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            leaves[" ".join(path)] = cmd

    for name in COMMANDS:
        walk(_load_command(name), [name])
    return leaves


LEAVES = _leaves()

TINY_MDP = WORK / "tiny.yaml"
TINY_MDP.write_text(
    "gamma: 0.9\nparameters: {a: 1/2}\nstates: [s, t]\nterminal: [t]\nstart: s\n"
    "transitions:\n  s:\n    go: [{next: s, p: a, r: 1}, {next: t, p: 1 - a, r: 0}]\n"
    "    stay: {next: s, r: -1}\npolicies:\n  careful: {s: go}\n",
    encoding="utf-8",
)
MDP = str(TINY_MDP)

# the arguments that get each command past its required ones, cheaply
BASE: dict[str, list[str]] = {
    "mdp check": [MDP],
    "mdp show": [MDP],
    "mdp evaluate": [MDP, "-p", "uniform"],
    "mdp solve": [MDP],
    "mdp equations": [MDP, "-p", "uniform"],
    "estimate": [MDP, "-p", "uniform", "--episodes", "3", "--runs", "2"],
    "control": [MDP, "--episodes", "3", "--runs", "2"],
    "train compare": ["--task", "bandit", "--steps", "64", "--seeds", "1"],
    "problems show": ["student-mdp"],
    "problems path": ["student-mdp"],
    "problems copy": ["student-mdp", str(WORK / "copies")],
}
for _algo in ("reinforce", "a2c", "ppo", "grpo"):
    BASE[f"train {_algo}"] = ["--task", "bandit", "--steps", "64", "--quiet"]
DERIVE = sorted(p for p in LEAVES if p.startswith("derive "))
# lm commands train a transformer for minutes by default (pipeline writes ./lm-run); their bad
# inputs are tested in tests/test_lm_cli.py. Only the ones that never train are fuzzed here.
TRAINS_A_MODEL = {"lm pretrain", "lm reward-model", "lm rl", "lm pipeline", "lm over-optimisation",
                  "lm micro", "lm eval"}  # fmt: skip
FAST = sorted(p for p in LEAVES if p not in DERIVE and p not in TRAINS_A_MODEL)  # derive: below


def _options(path: str) -> list[tuple[str, bool]]:
    """(option name, is a flag) for each option of ``path`` except --help."""
    cmd = LEAVES[path]
    return [
        (p.opts[-1] if p.opts[-1].startswith("--") else p.opts[0], bool(getattr(p, "is_flag", 0)))
        for p in cmd.params
        if p.param_type_name == "option" and p.name != "help"
    ]


def invoke(args: list[str]) -> Any:
    """Run one case in-process; check the contract every case must keep."""
    try:
        with time_limit(CASE_SECONDS, clock="wall"):
            result = CliRunner().invoke(app, args)
    except TimeLimitExceeded:
        pytest.fail(f"ran past {CASE_SECONDS:g} s: rlcli {' '.join(map(repr, args))}")
    where = f"rlcli {' '.join(map(repr, args))}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{where} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), f"{where}: exit {result.exit_code}\n{result.output}"
    assert "Traceback" not in result.output, f"{where}\n{result.output}"
    if _wants_json(args):  # --json among the options: not after a "--" that ends them
        try:
            json.loads(result.stdout)  # exactly one document: trailing text is an error
        except ValueError as exc:
            raise AssertionError(
                f"{where}: stdout is not one JSON document:\n{result.stdout}"
            ) from exc
    return result


@st.composite
def command_line(draw: Any, paths: list[str]) -> list[str]:
    path = draw(st.sampled_from(paths))
    args = [*path.split(), *BASE.get(path, [])]
    options = _options(path)
    for name, is_flag in draw(st.lists(st.sampled_from(options), max_size=3)):
        if name in ("--force",):
            continue
        if is_flag:
            args.append(name)
        elif name in FILE_OPTIONS:
            out = draw(st.sampled_from(["out.csv", "out.png", "out.txt", "out.md"]))
            args += [name, str(WORK / out)]
        elif name in SIZE_OPTIONS:
            args += [name, draw(size_st)]
        else:
            args += [name, draw(value_st)]
    if draw(st.booleans()):
        args.append("--json")
    return args


@fuzz(1500)
@given(command_line(FAST))
def test_every_command_with_hostile_options(args: list[str]) -> None:
    result = invoke(args)
    event(f"{args[0]} exit {result.exit_code}")


# ---- inline policies and --set -----------------------------------------------------------

policy_st = st.one_of(
    st.sampled_from(
        [
            "uniform",
            "careful",
            "s=go",
            "s=stay",
            "s=go:0.5|stay:0.5",
            "s=go:1/3|stay:2/3",
            "s=go:0.7|stay:0.7",
            "s=go:nan|stay:1",
            "s=go:-1|stay:2",
            "s=fly",
            "q=go",
            "s=",
            "=go",
            "s=go,s=stay",
            "s=go|",
            "s=go:1e999",
            "t=go",
            "",
            "random",
        ]
    ),
    st.text(alphabet="st=go:|,.0123456789/ay", max_size=16),
)
set_st = st.one_of(
    st.sampled_from(["a=0.3", "a=1", "a=0", "a=2", "a=-1", "a=nan", "a=inf", "a=1/0", "a=", "=1"]),
    st.builds(lambda n, v: f"{n}={v}", st.sampled_from(["a", "b", "gamma", "é"]), value_st),
)


@fuzz(500)
@given(
    st.sampled_from(["mdp evaluate", "mdp equations", "estimate"]),
    policy_st,
    st.lists(set_st, max_size=2),
    st.booleans(),
)
def test_inline_policies_and_overrides(path: str, policy: str, sets: list[str], js: bool) -> None:
    args = [*path.split(), *BASE[path]]
    args = [a if a != "uniform" else policy for a in args]
    for item in sets:
        args += ["--set", item]
    invoke(args + ["--json"] * js)


# ---- small generated MDP files ------------------------------------------------------------

name_st = st.sampled_from(["s", "t", "u", "gamma", "1", "", "é", "a b", "x" * 60])
number_st = st.one_of(
    st.sampled_from(["1", "0", "1/2", "0.5", "1 - a", "a", "2", "-1", "nan", ".inf", "1e999"]),
    st.sampled_from(HOSTILE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
)


@st.composite
def mdp_document(draw: Any) -> str:
    states = draw(st.lists(name_st, min_size=0, max_size=3))
    actions = draw(st.lists(st.sampled_from(["go", "stay", "", "1"]), min_size=1, max_size=2))
    transitions: dict[Any, Any] = {}
    for s in states:
        transitions[s] = {}
        for a in actions:
            outcomes = [
                {
                    "next": draw(st.one_of(st.sampled_from(states or ["s"]), name_st)),
                    "p": draw(number_st),
                    "r": draw(number_st),
                }
                for _ in range(draw(st.integers(1, 2)))
            ]
            transitions[s][a] = outcomes if len(outcomes) > 1 else outcomes[0]
    doc: dict[str, Any] = {
        "gamma": draw(number_st),
        "states": states,
        "transitions": transitions,
    }
    if draw(st.booleans()):
        doc["parameters"] = {"a": draw(number_st)}
    if draw(st.booleans()) and states:
        doc["terminal"] = [draw(st.sampled_from(states))]
    if draw(st.booleans()) and states:
        doc["start"] = draw(st.sampled_from(states))
    if draw(st.booleans()) and states:
        doc["policies"] = {"pi": {s: actions[0] for s in states}}
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    cut = draw(st.integers(0, len(text)))
    mutation = draw(st.sampled_from(["none", "none", "truncate", "insert", "tab"]))
    if mutation == "truncate":
        text = text[:cut]
    elif mutation == "insert":
        text = (
            text[:cut]
            + draw(st.sampled_from(["{", "]", ":", "- ", "&a *a", "\x00", "\t"]))
            + text[cut:]
        )
    elif mutation == "tab":
        text = text.replace("  ", "\t", 1)
    return text


MDP_COMMANDS = [
    ["mdp", "check"],
    ["mdp", "show"],
    ["mdp", "solve"],
    ["mdp", "solve", "--exact"],
    ["mdp", "evaluate", "-p", "uniform"],
    ["mdp", "evaluate", "-p", "uniform", "--method", "iterative", "--sweeps", "3"],
    ["mdp", "equations", "--optimal"],
    ["estimate", "-p", "uniform", "--episodes", "2", "--runs", "2", "--max-steps", "50"],
    ["control", "--episodes", "2", "--runs", "2", "--max-steps", "50"],
]


@fuzz(600)
@given(mdp_document(), st.sampled_from(MDP_COMMANDS), st.booleans())
def test_generated_mdp_files(text: str, command: list[str], js: bool) -> None:
    path = WORK / "generated.yaml"
    path.write_text(text, encoding="utf-8")
    split = 2 if command[0] == "mdp" else 1  # the file goes after the command's name
    invoke([*command[:split], str(path), *command[split:], *["--json"] * js])


# ---- derive: expressions (parser in-process) and the commands (sympy: fewer cases) ----------

expr_st = st.lists(
    st.sampled_from(
        [
            "x",
            "exp(",
            "log(",
            "sin(",
            "sqrt(",
            "abs(",
            "(",
            ")",
            ")",
            "**",
            "*",
            "+",
            "-",
            "/",
            "2",
            "64",
            "0.5",
            "1e300",
            "1e999999999",
            "e",
            "pi",
            "theta",
            "^",
            "9" * 50,
            "0",
            ",",
            "gamma",
            "import",
            "__",
            "٣",
        ]
    ),
    max_size=12,
).map("".join)


@fuzz(3000)
@given(expr_st)
def test_derive_expressions_parse_or_are_refused(text: str) -> None:
    import sympy as sp

    x = sp.Symbol("x", real=True)
    try:
        with time_limit(CASE_SECONDS, clock="wall"):
            parse_expr(text, {"x": x}, "f")
    except UsageError:
        pass
    except TimeLimitExceeded:
        pytest.fail(f"parsing {text!r} ran past {CASE_SECONDS:g} s")


@fuzz(40)
@given(command_line(DERIVE))
def test_derive_commands_with_hostile_options(args: list[str]) -> None:
    invoke(args)


@fuzz(12)
@given(
    st.sampled_from(["x", "x**2", "sin(x)", "exp(x)", "abs(x)", "x**3 - x", "1/x", "log(x)"]),
    st.sampled_from(["gaussian", "bernoulli", "poisson", "exponential", "categorical"]),
)
def test_derive_log_derivative_with_generated_f(f: str, family: str) -> None:
    invoke(["derive", "log-derivative", "--family", family, "--f", f, "--json"])


# ---- a few real processes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["mdp", "solve", MDP, "--set", "a=nan", "--json"],
        ["estimate", MDP, "-p", "s=go:0.5|stay:0.5", "--runs", "٣", "--episodes", "2", "--json"],
        ["derive", "kl", "--p", "normal(0,1e999999999)", "--json"],
        ["train", "ppo", "--task", "bandit", "--steps", "9" * 30, "--json"],
    ],
)
def test_real_processes(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rlcli", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    json.loads(proc.stdout)

"""Hostile and extreme inputs to the MDP reader (issue 10 §2-§7, §13): each one once hung,
ate memory or ended in a traceback; each must now end in an ``MDPFileError`` /
``UsageError`` (exit 2 in the CLI) that says what is wrong and where."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import pytest

from rlcli.errors import MDPFileError, UsageError
from rlcli.mdp.policy import resolve_policy
from rlcli.mdp.read import source
from rlcli.mdp.read.expr import MAX_BITS, ExprError, literal, parse, to_float
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.read.report import SUGGESTION_BUDGET
from rlcli.mdp.read.source import MAX_JSON_BYTES, MAX_YAML_CHARS

ROBOT = Path(__file__).parent.parent / "problems" / "recycling-robot.yaml"
ONE = "gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a, r: %s}}\n"
PARAM = "gamma: 1\nparameters:\n  alpha: 1/2\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n"
TWO = "gamma: 1\nstates: [a, b]\ntransitions:\n  a: {go: {r: 0, next: {a: %s, b: 0}}}\n"
TWO += "  b: {go: {next: b}}\n"


def problems(text: str, **kw) -> list[tuple[int | None, str, str]]:
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.yaml", **kw)
    return [(p.line, p.path, p.message) for p in info.value.problems]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rlcli", *args], capture_output=True, text=True, timeout=120
    )


# ---- §2 huge exponent literals: refused before 10**999999999 is computed --------------


def test_literal_is_exact_and_matches_fraction() -> None:
    for text in ["12", "0.9", "1e-3", "1.5E2", ".5", "5.", "007.10", "2.5e+3", "0e-9"]:
        assert literal(text) == Fraction(text), text
    assert literal("0e99999999999") == 0  # Fraction() would compute 10**99999999999


@pytest.mark.parametrize(
    "text",
    [
        ONE % "'1e999999999'",  # r
        TWO % "'1e-999999999'",  # p
        "gamma: '1e999999999'\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n",
        PARAM.replace("1/2", "'2e999999999 - 1'"),  # a parameter
    ],
)
def test_huge_exponent_in_the_file_is_refused(text: str) -> None:
    found = problems(text)
    assert len(found) == 1 and "exponent" in found[0][2] and "6 digits" in found[0][2]


def test_huge_exponent_in_an_override_and_an_inline_policy() -> None:
    with pytest.raises(UsageError, match="exponent"):
        loads_mdp(PARAM, "m.yaml", overrides={"alpha": "1e999999999"})
    with pytest.raises(UsageError, match="exponent"):
        resolve_policy(load_mdp(ROBOT), "high=search:1e-999999999|wait:1,low=wait")


def test_a_literal_over_the_bit_limit_says_the_size_it_needs() -> None:
    # 1e5000 = 10**5000 needs 5000 * log2(10) = 16609.6 bits, so 16610 (+1 digit: 16613)
    with pytest.raises(ExprError, match=rf"1e5000 needs about 1661\d bits \(limit {MAX_BITS}\)"):
        parse("1e5000")


# ---- §3 numbers beyond the float range ---------------------------------------------------


def test_to_float_of_a_number_with_more_than_4300_digits() -> None:
    # str(10**5000) raises ValueError (Python's digit limit): the message must not need it
    with pytest.raises(ExprError, match=r"about 10\*\*5000"):
        to_float(10**5000)
    with pytest.raises(ExprError, match=r"about 10\*\*4999"):
        to_float(Fraction(10**5000, 10))


def test_r_1e5000_and_set_1e5000() -> None:
    assert "exact number too large" in problems(ONE % "'1e5000'")[0][2]
    with pytest.raises(UsageError, match="exact number too large"):
        loads_mdp(PARAM, "m.yaml", overrides={"alpha": "1e5000"})


def test_a_product_of_120_large_factors() -> None:
    # 2**1365 * 2**1365 * 2**1365 = 2**4095 has 4096 bits (accepted); times a fourth
    # factor, 2**5460 has 5461 bits: over the limit
    found = problems(ONE % repr("*".join(["2**1365"] * 120)))
    assert [(line, path) for line, path, _ in found] == [(4, "transitions.a.go.r")]
    assert "5461 bits" in found[0][2] and "round to a decimal" in found[0][2]


# ---- §4 parameters that multiply each other ----------------------------------------------


def test_parameters_squaring_each_other_stop_at_the_bit_limit() -> None:
    # a0 = (2**1000+1)/2**1000: numerator and denominator of 1001 bits; a_k = a0**(2**k)
    # has a numerator of 2**k * 1000 + 1 bits: a2 has 4001 (accepted), a3 has 8001.
    params = "  a0: (2**1000+1)/2**1000\n" + "".join(
        f"  a{k}: a{k - 1}*a{k - 1}\n" for k in range(1, 7)
    )
    text = f"gamma: 1\nparameters:\n{params}states: [a]\n"
    text += "transitions:\n  a: {go: {next: a, r: a6}}\n"
    found = problems(text)
    # reported once, where it happens: the uses by a4..a6 and r do not repeat it
    assert [(line, path) for line, path, _ in found] == [(6, "parameters.a3")]
    assert "8001 bits" in found[0][2] and f"limit {MAX_BITS}" in found[0][2]


def test_the_largest_accepted_exact_number_loads() -> None:
    # numerator and denominator of exactly MAX_BITS bits are accepted, exactly
    # every intermediate stays within MAX_BITS bits too (2**MAX_BITS itself would not)
    text = ONE % repr(f"((2**{MAX_BITS - 1} - 1)*2 + 1)/(2**{MAX_BITS - 1} + 1)")
    mdp = loads_mdp(text, "m.yaml")
    _, _, rewards = mdp.exact.rational()
    assert rewards == [Fraction(2**MAX_BITS - 1, 2 ** (MAX_BITS - 1) + 1)]


# ---- §5 long sums, many unknown names ----------------------------------------------------


def test_a_sum_of_1000_ones_is_refused_not_a_recursion_error() -> None:
    found = problems(ONE % repr("+".join(["1"] * 1000)))
    assert found[0][:2] == (4, "transitions.a.go.r") and "operators deep" in found[0][2]


def test_a_sum_of_200_ones_is_accepted() -> None:
    assert loads_mdp(ONE % repr("+".join(["1"] * 201)), "m.yaml").out_reward[0] == 201


def test_did_you_mean_hints_are_on_a_budget() -> None:
    n_states, n_unknown = 1000, 3000
    states = [f"s{i}" for i in range(n_states)]
    lines = ["gamma: 1", f"states: [{', '.join(states)}]", "transitions:"]
    lines += [f"  s{i}: {{go: {{next: x{i % n_unknown}}}}}" for i in range(n_states)]
    lines += [f"  t{i}: {{go: {{next: s0}}}}" for i in range(n_unknown - n_states)]
    found = problems("\n".join(lines) + "\n")
    assert len(found) == n_unknown  # every unknown name is still reported
    hinted = sum("did you mean" in message for _, _, message in found)
    assert 1 <= hinted <= SUGGESTION_BUDGET // n_states


# ---- §6 files that are not plain files, or too large -------------------------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_devices_are_refused() -> None:
    for device in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(MDPFileError, match="not a regular file"):
            load_mdp(device)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_without_a_writer_is_a_clean_error_without_blocking(tmp_path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(MDPFileError, match="empty"):
        load_mdp(fifo)


def _pipe_with(data: bytes, repeat: int = 1) -> tuple[Path, int, threading.Thread, list[int]]:
    """A pipe's reading end as a path (and as our descriptor, to close after the reader's
    own), a thread writing ``data`` into it ``repeat`` times (until the pipe is closed),
    and the count of bytes it wrote."""
    read_fd, write_fd = os.pipe()
    written = [0]

    def write() -> None:
        with contextlib.suppress(BrokenPipeError), os.fdopen(write_fd, "wb", buffering=0) as f:
            for _ in range(repeat):
                written[0] += f.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return Path(f"/dev/fd/{read_fd}"), read_fd, writer, written


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_a_pipe_is_read_like_a_file() -> None:
    path, read_fd, writer, _ = _pipe_with(ROBOT.read_bytes())
    mdp = load_mdp(path)
    os.close(read_fd)
    writer.join(10)
    assert mdp.n_states == 2 and mdp.n_outcomes == load_mdp(ROBOT).n_outcomes


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_a_pipe_is_read_only_up_to_the_size_limit(monkeypatch) -> None:
    monkeypatch.setattr(source, "MAX_JSON_BYTES", 10_000)
    # a comment line of up to 100 MB: a reader without a bound would take all of it
    path, read_fd, writer, written = _pipe_with(b"#" * 4096, repeat=25_000)
    with pytest.raises(MDPFileError, match="limit"):
        load_mdp(path)
    os.close(read_fd)
    writer.join(10)
    assert not writer.is_alive() and written[0] < 1_000_000  # stopped by the closed pipe


def test_standard_input_is_read_for_dash_or_dev_stdin() -> None:
    for name in ("-", "/dev/stdin"):
        proc = subprocess.run(
            [sys.executable, "-m", "rlcli", "mdp", "check", name, "--json"],
            input=ROBOT.read_text(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        assert report["valid"] and report["files"][0]["states"] == 2


def test_an_over_long_file_name_is_a_clean_error(tmp_path) -> None:
    name = str(tmp_path / ("a" * 300 + ".yaml"))
    with pytest.raises(MDPFileError, match="too long"):
        load_mdp(name)
    proc = run_cli("mdp", "check", name)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "too long" in proc.stderr


def test_a_yaml_file_over_the_limit_is_refused_before_reading(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("gamma: 1\n" + ("#" * 99 + "\n") * (MAX_YAML_CHARS // 100 + 1))
    with pytest.raises(MDPFileError, match=r"limit for YAML.*write large models as JSON"):
        load_mdp(path)
    with pytest.raises(MDPFileError, match="limit for YAML"):  # text given directly
        loads_mdp(path.read_text(), "big.yaml")


def test_a_json_file_over_the_limit_is_refused_before_reading(tmp_path) -> None:
    path = tmp_path / "big.json"
    with open(path, "wb") as f:  # a sparse file: no disk space, st_size over the limit
        f.truncate(MAX_JSON_BYTES + 1)
    with pytest.raises(MDPFileError, match="limit for an MDP file"):
        load_mdp(path)


def test_a_large_invalid_json_is_not_reread_as_yaml() -> None:
    # JSON problems get their lines from a YAML re-read, which is bounded like any YAML
    body = ",".join(f'"{i}": {{"go": {{"next": "{i}"}}}}' for i in range(60_000))
    text = f'{{"gamma": 2, "transitions": {{{body}}}}}'
    assert len(text) > MAX_YAML_CHARS
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.json", json_format=True)
    assert [(p.line, p.path) for p in info.value.problems] == [(None, "gamma")]


# ---- §7 lone surrogates in JSON ------------------------------------------------------------


def test_a_lone_surrogate_is_refused_with_line_and_field() -> None:
    text = (
        '{"gamma": 1, "name": "x\\ud800y",\n"states": ["a", "\\ud83d\\ude00"],\n'
        '"transitions": {"a": {"go": {"next": "a"}},\n'
        '"\\ud83d\\ude00": {"\\udc00": {"next": "a"}}}}'
    )
    with pytest.raises(MDPFileError) as info:
        loads_mdp(text, "m.json", json_format=True)
    found = [(p.line, p.path) for p in info.value.problems]
    assert found == [(1, "name"), (4, "transitions.\U0001f600.\\udc00")]
    str(info.value).encode("utf-8")  # the message itself is printable


def test_surrogate_pairs_and_escaped_backslashes_are_fine() -> None:
    text = (
        '{"gamma": 1, "name": "\\ud83d\\ude00 \\\\ud800", "states": ["a"],'
        ' "transitions": {"a": {"go": {"next": "a"}}}}'
    )
    assert loads_mdp(text, "m.json", json_format=True).name == "\U0001f600 \\ud800"


# ---- §13 minor ----------------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["'١٢'", "'１'", "'1٢'"])
def test_unicode_digits_are_not_numbers(digits: str) -> None:
    assert "unexpected character" in problems(ONE % digits)[0][2]


def test_gamma_just_above_1_is_shown_with_its_digits() -> None:
    found = problems("gamma: 1.0000000001\nstates: [a]\ntransitions:\n  a: {go: {next: a}}\n")
    assert found == [(1, "gamma", "must be in [0, 1], got 1.0000000001")]


def test_probability_just_above_1_is_shown_with_its_digits() -> None:
    found = problems(TWO % "1.000001")
    assert (4, "transitions.a.go.next.a", "probability 1.000001 is above 1") in found


def test_an_invalid_parameter_is_reported_once() -> None:
    text = "gamma: g\nparameters:\n  g: 1/0\n  h: 2*g\nstates: [a]\ntransitions:\n"
    text += "  a: {go: {next: a, r: g + h}}\n"
    assert problems(text) == [(3, "parameters.g", "division by zero")]


def test_a_use_of_an_invalid_parameter_does_not_fail_the_sum_check() -> None:
    # without the outcome p: g, the others sum to 1/2: that is not a second problem
    text = "gamma: 1\nparameters:\n  g: 1/0\nstates: [a, b]\ntransitions:\n"
    text += "  a: {go: [{next: a, p: g, r: 0}, {next: b, p: 1/2, r: 0}]}\n  b: {go: {next: b}}\n"
    assert problems(text) == [(3, "parameters.g", "division by zero")]


def test_control_character_in_yaml_has_line_and_column() -> None:
    found = problems('gamma: 1\nname: "a\x01b"\n')
    assert found[0][0] == 2 and "column 9" in found[0][2]


def test_a_byte_order_mark_is_accepted_in_json_and_yaml(tmp_path) -> None:
    body = '{"gamma": 1, "states": ["a"], "transitions": {"a": {"go": {"next": "a"}}}}'
    for name in ("m.json", "m.yaml"):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + body.encode())
        assert load_mdp(path).states == ("a",)
    assert loads_mdp("\ufeff" + body, "m.json", json_format=True).states == ("a",)


# ---- issue 11: the library names the field, the CLI the flag ------------------------------


def test_override_errors_name_the_parameter_and_the_cli_adds_the_flag(tmp_path) -> None:
    with pytest.raises(UsageError) as info:
        loads_mdp(ROBOT.read_text(), "m.yaml", overrides={"alpha": "1/0"})
    assert "--set" not in str(info.value) and "alpha=1/0: division by zero" in str(info.value)
    proc = run_cli("mdp", "solve", str(ROBOT), "--set", "alpha=1/0")
    assert proc.returncode == 2 and "--set alpha=1/0: division by zero" in proc.stderr

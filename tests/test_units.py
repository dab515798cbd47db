"""``rlcli.units.memory_size``: sizes in the unit that keeps them short, 3 significant digits.

Expected texts are worked by hand in the comments (1 KB = 1024 bytes, the memory convention).
``stated_bytes`` reads a size back from a message, for the refusal tests of other files.
"""

from __future__ import annotations

import re

import pytest

from rlcli.units import UNITS, memory_size

SIZE = re.compile(r"about ([\d,.]+) (bytes|[KMGTPEZY]B)\b")


def stated_bytes(message: str) -> tuple[float, float]:
    """The size a message states after "about", in bytes, and half its last digit's place in
    bytes (the rounding error 3 significant digits allow)."""
    found = SIZE.search(message)
    assert found, f"no size in {message!r}"
    number, unit = found.group(1).replace(",", ""), found.group(2)
    scale = 1024.0 ** UNITS.index(unit)
    decimals = len(number.partition(".")[2])
    return float(number) * scale, 0.5 * 10.0**-decimals * scale


@pytest.mark.parametrize(
    ("nbytes", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "0.977 KB"),  # 1000/1024 = 0.9766: 999 bytes is the most written in bytes
        (1024, "1.00 KB"),
        (1536, "1.50 KB"),  # 1.5 · 1024
        (4 * 1024**3, "4.00 GB"),  # the limit of rlcli estimate
        (1023.9 * 1024**2, "1.00 GB"),  # 0.99990 GB rounds up to 1.00, not "1,020 MB"
        (999.5 * 1024**2, "0.976 GB"),  # 999.5 MB would round to 1,000 MB: a unit up
        (12.345 * 1024**4, "12.3 TB"),
        (123.45 * 1024**5, "123 PB"),
        (9.996 * 1024**3, "10.0 GB"),  # 9.996 rounds to 10.0: three digits, one decimal
        # the old text of this refusal: 2,980,232,384.8 GB = 2,980,232,384.8 / 1024³ EB
        (2_980_232_384.8 * 1024**3, "2.78 EB"),
        (1.2345e4 * 1024**8, "12,300 YB"),  # past the last unit the number grows
        (float("inf"), "an unbounded amount"),
        (10**400, "over 10³⁰⁸ bytes"),
    ],
)
def test_memory_size_picks_the_unit_and_three_significant_digits(nbytes, text):
    assert memory_size(nbytes) == text


@pytest.mark.parametrize("nbytes", [1.0e3, 7.77e6, 4.4e9, 5.55e12, 1.0e15, 3.2e18, 2.0e21, 9e24])
def test_memory_size_reads_back_within_its_rounding(nbytes):
    stated, error = stated_bytes(f"about {memory_size(nbytes)}")
    assert abs(stated - nbytes) <= error * (1 + 1e-12)
    assert float(memory_size(nbytes).split()[0].replace(",", "")) < 1000


@pytest.mark.parametrize("nbytes", [-1.0, float("nan")])
def test_memory_size_refuses_what_is_no_size(nbytes):
    with pytest.raises(ValueError, match="a size in bytes"):
        memory_size(nbytes)

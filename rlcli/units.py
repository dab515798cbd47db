"""Quantities written for people: a number of bytes in the unit that keeps it short."""

from __future__ import annotations

import math
import sys

# Memory is counted in powers of 1024 and named KB, MB, GB, ... (the JEDEC convention for
# memory: a "16 GB" laptop holds 16 · 1024³ bytes), so a limit of 4 · 1024³ bytes reads "4.00 GB".
UNITS = ("bytes", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
STEP = 1024


def memory_size(nbytes: float) -> str:
    """``nbytes`` with 3 significant digits in the first unit where that is below 1000:
    ``memory_size(3.2e18) == "2.78 EB"``, ``memory_size(4 * 1024**3) == "4.00 GB"``,
    ``memory_size(1000 * 1024**2) == "0.977 GB"``.

    Beyond the last unit (YB) the number grows in that unit ("12,300 YB"); an infinite size
    is "an unbounded amount", an integer beyond the float range "over 10³⁰⁸ bytes".
    """
    if nbytes < 0 or nbytes != nbytes:  # NaN; also ints beyond the float range compare
        raise ValueError(f"a size in bytes must be a number ≥ 0, got {nbytes}")
    if nbytes > sys.float_info.max:  # infinity, or an int too large for a float
        return "an unbounded amount" if isinstance(nbytes, float) else "over 10³⁰⁸ bytes"
    power, value = 0, float(nbytes)
    while power < len(UNITS) - 1 and _rounded(value) >= 1000:
        power, value = power + 1, value / STEP
    if power == 0:
        return f"{value:,.0f} byte{'' if round(value) == 1 else 's'}"
    return f"{_significant(value)} {UNITS[power]}"


def _rounded(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant digits."""
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _significant(value: float, digits: int = 3) -> str:
    """``value`` > 0 rounded to ``digits`` significant digits and written without an exponent,
    trailing zeros kept: 0.977, 1.00, 12.3, 123, 12,300."""
    rounded = _rounded(value, digits)
    decimals = max(digits - 1 - math.floor(math.log10(rounded)), 0)
    return f"{rounded:,.{decimals}f}"

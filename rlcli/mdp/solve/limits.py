"""Size limits of the solvers, checked before any work starts, and the error that names
the input field at fault (the CLI maps fields such as ``sweeps`` to its flags).

Each limit says what the request would have needed, so a user can judge it.
"""

from __future__ import annotations

import math

from rlcli.errors import UsageError

MAX_SWEEPS = 1_000_000  # float sweeps of evaluation or value iteration
SWEEP_WORK_LIMIT = 5 * 10**9  # sweeps × outcomes: about a minute of NumPy work
TRACE_VALUE_LIMIT = 5_000_000  # sweeps × states kept in a trace (≈ 40 MB as floats)
EXACT_STATE_LIMIT = 250  # non-terminal states for rational elimination (a 15×15 slippery grid: 1 s)
EXACT_SWEEP_WORK_LIMIT = 2_000_000  # sweeps × outcomes in rational sweeps
EXACT_DIGIT_LIMIT = 4_000  # digits of a numerator or denominator (Python prints ≤ 4,300)
SYMBOLIC_STATE_LIMIT = 20  # rational functions grow fast with the number of states
SYMBOLIC_SECONDS = 15.0  # CPU seconds for one closed form (as ``rlcli derive``'s hard limit)


class FieldError(UsageError):
    """A request that cannot be served, attributed to the input ``field`` that asked for it;
    ``droppable``: leaving that setting out avoids the problem (a hint to give)."""

    def __init__(self, field: str, message: str, droppable: bool = False):
        self.field = field
        self.detail = message
        self.droppable = droppable
        super().__init__(f"{field}: {message}")


def check_sweeps(
    sweeps: int, n_states: int, n_outcomes: int, trace: bool, n_pairs: int = 0,
    trace_field: str = "trace",
) -> None:  # fmt: skip
    """Refuse sweep counts whose time or trace memory is out of reach, before starting.

    A trace keeps, per sweep, a value per state and, when ``n_pairs`` is given, a number
    per state-action pair (Q, the greedy ties): both count toward ``TRACE_VALUE_LIMIT``.
    ``trace_field`` names the setting to blame (``sweeps`` when the trace is not optional).
    """
    if sweeps > MAX_SWEEPS:
        raise FieldError("sweeps", f"{sweeps:,} sweeps exceed the limit of {MAX_SWEEPS:,}")
    work = sweeps * max(n_outcomes, 1)
    if work > SWEEP_WORK_LIMIT:
        raise FieldError(
            "sweeps",
            f"{sweeps:,} sweeps over {n_outcomes:,} outcomes would need {work:.2g} backups "
            f"(limit {SWEEP_WORK_LIMIT:.2g})",
        )
    kept = n_states + n_pairs
    if trace and sweeps * kept > TRACE_VALUE_LIMIT:
        need = sweeps * kept
        per = f"{n_states:,} states" + (f" + {n_pairs:,} state-action pairs" if n_pairs else "")
        raise FieldError(
            trace_field,
            f"a trace of {sweeps:,} sweeps × ({per}) holds {need:,} values "
            f"(about {need * 8 / 1e6:,.0f} MB in memory, more as JSON); the limit is "
            f"{TRACE_VALUE_LIMIT:,} values: ask for fewer sweeps",
        )


def check_exact_size(n_live: int, what: str = "exact") -> None:
    """Rational elimination on more than ``EXACT_STATE_LIMIT`` states: refuse up front."""
    if n_live > EXACT_STATE_LIMIT:
        raise FieldError(
            what,
            f"rational arithmetic is limited to {EXACT_STATE_LIMIT} non-terminal states (this "
            f"MDP has {n_live}): the fractions of an elimination grow with the fill-in and "
            "can take minutes; use floating point instead",
            droppable=True,
        )


def check_exact_sweeps(sweeps: int, n_outcomes: int) -> None:
    """Rational sweeps cost a big-number operation per outcome: bound sweeps × outcomes."""
    work = sweeps * max(n_outcomes, 1)
    if work > EXACT_SWEEP_WORK_LIMIT:
        raise FieldError(
            "exact",
            f"{sweeps:,} sweeps in rational arithmetic over {n_outcomes:,} outcomes need "
            f"{work:,} fraction operations (limit {EXACT_SWEEP_WORK_LIMIT:,}); use floating "
            "point, or fewer sweeps",
            droppable=True,
        )


def check_digits(x: object, sweep: int) -> None:
    """A fraction with more than ``EXACT_DIGIT_LIMIT`` digits cannot be printed: stop."""
    num, den = getattr(x, "numerator", 0), getattr(x, "denominator", 1)
    bits = max(abs(num).bit_length(), den.bit_length())
    if bits * math.log10(2) > EXACT_DIGIT_LIMIT:
        raise FieldError(
            "exact",
            f"after {sweep} sweep(s) the exact values have more than {EXACT_DIGIT_LIMIT:,} "
            "digits; use floating point, or fewer sweeps",
            droppable=True,
        )

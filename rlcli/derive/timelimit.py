"""Wall-clock limits for sympy calls that can run for seconds (``integrate``, ``simplify``).

Each :func:`attempt` has its own limit; a closed-form :func:`search` inside :func:`budget`
(one per derivation, set by the CLI) also gets no more than what is left of that budget, so
a derivation whose integrals are hard gives up on them instead of running long.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """Raised inside a computation that ran past its limit.

    A ``BaseException`` so that sympy's internal ``except Exception`` blocks do not swallow it.
    """


_ALARMS: list[float] = []  # monotonic deadlines of the enclosing time_limit()s, innermost last


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body after ``seconds`` (SIGALRM; main thread on Unix only).

    Limits nest: an inner limit never outlasts an outer one, and the outer limit is re-armed
    when the inner one ends (a limit that has passed meanwhile fires at once).
    Elsewhere (a worker thread, Windows) the body runs without a limit; callers only put
    bounded work under it there.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise TimeLimitExceeded

    deadline = time.monotonic() + seconds
    if _ALARMS:
        deadline = min(deadline, _ALARMS[-1])
    _ALARMS.append(deadline)
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 1e-6))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _ALARMS.pop()
        signal.signal(signal.SIGALRM, previous)
        if _ALARMS:  # re-arm the enclosing limit
            signal.setitimer(signal.ITIMER_REAL, max(_ALARMS[-1] - time.monotonic(), 1e-6))


_DEADLINES: list[float] = []  # innermost budget last


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """One overall budget: every :func:`attempt` inside ends by ``seconds`` from now."""
    _DEADLINES.append(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINES.pop()


def attempt(func, seconds: float, *args, **kwargs):
    """``func(*args, **kwargs)``, or ``None`` if it took longer than ``seconds``.

    If an enclosing :func:`time_limit` ran out too, its :class:`TimeLimitExceeded` propagates.
    """
    try:
        with time_limit(seconds):
            return func(*args, **kwargs)
    except TimeLimitExceeded:
        if _ALARMS and _ALARMS[-1] <= time.monotonic():
            raise
        return None


def search(func, seconds: float, *args, **kwargs):
    """:func:`attempt` for a closed-form search (``integrate``, ``summation``): also no
    longer than what is left of the enclosing :func:`budget`; ``None`` when it is spent."""
    if _DEADLINES:
        seconds = min(seconds, _DEADLINES[-1] - time.monotonic())
        if seconds <= 0.005:
            return None
    return attempt(func, seconds, *args, **kwargs)

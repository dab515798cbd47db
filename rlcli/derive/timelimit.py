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


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body after ``seconds`` (SIGALRM; main thread on Unix only).

    Elsewhere (a worker thread, Windows) the body runs without a limit; callers only put
    bounded work under it there.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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
    """``func(*args, **kwargs)``, or ``None`` if it took longer than ``seconds``."""
    try:
        with time_limit(seconds):
            return func(*args, **kwargs)
    except TimeLimitExceeded:
        return None


def search(func, seconds: float, *args, **kwargs):
    """:func:`attempt` for a closed-form search (``integrate``, ``summation``): also no
    longer than what is left of the enclosing :func:`budget`; ``None`` when it is spent."""
    if _DEADLINES:
        seconds = min(seconds, _DEADLINES[-1] - time.monotonic())
        if seconds <= 0.005:
            return None
    return attempt(func, seconds, *args, **kwargs)

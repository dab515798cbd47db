"""A wall-clock limit for sympy calls that can run for seconds (``integrate``, ``simplify``)."""

from __future__ import annotations

import signal
import threading
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


def attempt(func, seconds: float, *args, **kwargs):
    """``func(*args, **kwargs)``, or ``None`` if it took longer than ``seconds``."""
    try:
        with time_limit(seconds):
            return func(*args, **kwargs)
    except TimeLimitExceeded:
        return None

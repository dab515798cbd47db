"""Time limits for sympy calls that can run for seconds (``integrate``, ``simplify``).

Each :func:`attempt` has its own limit; a closed-form :func:`search` inside :func:`budget`
(one per derivation, set by the CLI) also gets no more than what is left of that budget, so
a derivation whose integrals are hard gives up on them instead of running long.

Attempts and budgets count this process's CPU time (``ITIMER_PROF``), not wall-clock time:
a machine busy with other work then gives the same derivation, byte for byte, only later.
:func:`time_limit` with ``clock="wall"`` limits wall-clock time (``ITIMER_REAL``) instead.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class TimeLimitExceeded(BaseException):
    """Raised inside a computation that ran past its limit.

    A ``BaseException`` so that sympy's internal ``except Exception`` blocks do not swallow it.
    """


_CLOCKS: dict[str, tuple[int, int, Callable[[], float]]] = {
    # clock: (timer, its signal, the matching time source)
    "cpu": (getattr(signal, "ITIMER_PROF", 0), getattr(signal, "SIGPROF", 0), time.process_time),
    "wall": (getattr(signal, "ITIMER_REAL", 0), getattr(signal, "SIGALRM", 0), time.monotonic),
}
_ALARMS: dict[str, list[float]] = {"cpu": [], "wall": []}  # deadlines of enclosing limits


@contextmanager
def time_limit(seconds: float, clock: str = "cpu") -> Iterator[None]:
    """Interrupt the body after ``seconds`` of CPU time (or wall-clock time: ``clock="wall"``).

    Limits on one clock nest: an inner limit never outlasts an outer one, and the outer one is
    re-armed when the inner one ends (a limit that has passed meanwhile fires at once).
    Unix main thread only; elsewhere (a worker thread, Windows) the body runs without a
    limit, and callers only put bounded work under it there.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return
    timer, signum, now = _CLOCKS[clock]
    alarms = _ALARMS[clock]

    def _raise(signum: int, frame: FrameType | None) -> None:
        if _in_finalizer(frame):  # let it finish; fire again as soon as it has
            signal.setitimer(timer, FINALIZER_RETRY)
            return
        # fire again soon: an exception raised inside a finalizer not seen as one (a weakref
        # callback; sympy's caches use them) is swallowed (see _quiet_unraisable), and the
        # body would then run without a limit
        signal.setitimer(timer, 0.05)
        raise TimeLimitExceeded

    deadline = now() + seconds
    if alarms:
        deadline = min(deadline, alarms[-1])
    alarms.append(deadline)
    previous = signal.signal(signum, _raise)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_unraisable(previous_hook)
    signal.setitimer(timer, max(deadline - now(), 1e-6))
    try:
        yield
    finally:
        signal.setitimer(timer, 0)
        alarms.pop()
        signal.signal(signum, previous)
        sys.unraisablehook = previous_hook
        if alarms:  # re-arm the enclosing limit
            signal.setitimer(timer, max(alarms[-1] - now(), 1e-6))


FINALIZER_RETRY = 0.001  # seconds


def _in_finalizer(frame: FrameType | None) -> bool:
    """Whether the interrupted code runs inside a ``__del__`` method or a
    ``weakref.finalize`` callback: an exception raised there would only be printed as
    "Exception ignored in ..." and would leave the finalizer half done."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or code.co_filename == weakref.__file__:
            return True
        frame = frame.f_back
    return False


def _quiet_unraisable(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """``sys.unraisablehook`` that drops a :class:`TimeLimitExceeded` raised inside a
    finalizer the frames did not show (a weakref callback): the alarm fires again shortly,
    outside it. Anything else goes to ``hook``."""

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, TimeLimitExceeded):
            hook(unraisable)

    return quiet


_DEADLINES: list[float] = []  # innermost budget last (CPU time)


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """One overall budget: every :func:`search` inside ends by ``seconds`` of CPU from now."""
    _DEADLINES.append(time.process_time() + seconds)
    try:
        yield
    finally:
        _DEADLINES.pop()


def attempt(func, seconds: float, *args, **kwargs):
    """``func(*args, **kwargs)``, or ``None`` if it took more than ``seconds`` of CPU time.

    If an enclosing :func:`time_limit` ran out too, its :class:`TimeLimitExceeded` propagates.
    """
    enclosing = _ALARMS["cpu"][-1] if _ALARMS["cpu"] else math.inf
    own = time.process_time() + seconds
    try:
        with time_limit(seconds):
            return func(*args, **kwargs)
    except TimeLimitExceeded:
        if enclosing <= own:  # the enclosing limit was the one that fired
            raise
        return None


def search(func, seconds: float, *args, **kwargs):
    """:func:`attempt` for a closed-form search (``integrate``, ``summation``): also no
    longer than what is left of the enclosing :func:`budget`; ``None`` when it is spent."""
    if not _DEADLINES:
        return attempt(func, seconds, *args, **kwargs)
    left = _DEADLINES[-1] - time.process_time()
    if left <= 0:
        return None
    result = attempt(func, min(seconds, left), *args, **kwargs)
    if result is None and left <= seconds:  # cut by the budget: it is spent
        _DEADLINES[-1] = -math.inf  # (a CPU timer may fire a tick before the deadline)
    return result

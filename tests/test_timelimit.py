"""The CPU-time alarm of ``rlcli derive`` (rlcli/derive/timelimit.py) and finalizers: it never
interrupts a ``__del__``, and an alarm inside a weakref callback is not reported as an
"Exception ignored in ..." (pytest's PytestUnraisableExceptionWarning); the limit still ends
the body."""

from __future__ import annotations

import signal
import sys
import time
import weakref

import pytest

from rlcli.derive.timelimit import TimeLimitExceeded, time_limit

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_finalizer_is_never_interrupted(monkeypatch) -> None:
    reported: list = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    started, finished = [0], [0]

    class SlowFinalizer:
        def __del__(self) -> None:
            started[0] += 1
            _spin(0.002)  # two thirds of the loop's time: most alarms land in here
            finished[0] += 1

    for _ in range(10):  # without the fix, 9 runs in 10 interrupt a finalizer
        with pytest.raises(TimeLimitExceeded), time_limit(0.02):
            while True:
                SlowFinalizer()  # finalized at once
                _spin(0.001)
    assert started[0] == finished[0] > 0
    assert reported == []


def test_an_alarm_inside_a_weakref_callback_is_not_reported(monkeypatch) -> None:
    reported: list = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    class Node:
        pass

    for _ in range(10):
        with pytest.raises(TimeLimitExceeded), time_limit(0.02):
            while True:
                node = Node()
                ref = weakref.ref(node, lambda _: _spin(0.002))
                del node  # the callback runs now
                _spin(0.001)
    assert ref() is None
    assert reported == []


def test_other_unraisable_exceptions_still_reach_the_hook(monkeypatch) -> None:
    reported: list = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    class Broken:
        def __del__(self) -> None:
            raise ValueError("a real bug")

    with time_limit(5):
        Broken()
    assert [type(r.exc_value) for r in reported] == [ValueError]
    assert sys.unraisablehook == reported.append  # restored after the limit

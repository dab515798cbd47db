"""Every practice topic: the topic families, and the exercise of a topic for a seed.

A family is a module with ``TOPICS`` and ``draw(topic, rng)`` (see ``exercise.py``). The
exercise of (topic, seed) is the first hand-sized draw from the stream
``default_rng([seed, i])``, i the topic's position in its family's ``TOPICS``: it does not
depend on which other families there are or their order.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from importlib import import_module
from types import ModuleType

from rlcli.practice.exercise import Exercise

FAMILIES = (
    "rlcli.practice.mdp_topics",
    "rlcli.practice.replay_topics",
    "rlcli.practice.calc_topics",
)
MAX_TRIES = 2000


@cache
def _families() -> dict[str, ModuleType]:
    """topic → its family module (imported on first use)."""
    out: dict[str, ModuleType] = {}
    for name in FAMILIES:
        family = import_module(name)
        for topic in family.TOPICS:
            if topic in out:  # pragma: no cover - a programming error, caught by the tests
                raise ValueError(f"topic {topic!r} is in {out[topic].__name__} and {name}")
            out[topic] = family
    return out


def topics() -> dict[str, str]:
    """Every topic → what it asks, family by family."""
    return {t: f.TOPICS[t] for t, f in _families().items()}


def generate(topic: str, seed: int) -> Exercise:
    """The exercise of ``topic`` for ``seed`` (KeyError for an unknown topic)."""
    import numpy as np

    family = _families()[topic]
    rng = np.random.default_rng([seed, list(family.TOPICS).index(topic)])
    for _ in range(MAX_TRIES):
        ex = family.draw(topic, rng)
        if ex is not None:
            return replace(ex, seed=seed)
    raise RuntimeError(f"no hand-sized {topic} exercise in {MAX_TRIES} draws")  # pragma: no cover

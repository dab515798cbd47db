"""Gymnasium, imported only when asked for, and ``gymnasium.make`` with clear errors."""

from __future__ import annotations

import difflib
from types import ModuleType
from typing import Any

from rlcli.errors import UsageError

INSTALL_HINT = "pip install 'rlcli[gym]' (or pip install gymnasium)"


def gymnasium() -> ModuleType:
    """The ``gymnasium`` module, or a ``UsageError`` saying how to install it."""
    try:
        import gymnasium as gym
    except ImportError:
        raise UsageError(f"this needs Gymnasium, which is not installed: {INSTALL_HINT}") from None
    return gym


def env_spec(env_id: str) -> Any:
    """The registered ``EnvSpec`` of ``env_id``; an unknown id is a ``UsageError`` with a
    suggestion from the registry."""
    gym = gymnasium()
    try:
        return gym.spec(env_id)
    except gym.error.Error:
        close = difflib.get_close_matches(env_id, list(gym.envs.registry), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        raise UsageError(
            f"unknown Gymnasium environment id {env_id!r}{hint}; "
            '`python -c "import gymnasium; gymnasium.pprint_registry()"` lists them'
        ) from None


def make(env_id: str, kwargs: dict[str, Any]) -> Any:
    """``gymnasium.make(env_id, **kwargs)``; a constructor that rejects the arguments becomes
    a ``UsageError`` naming them (Gymnasium's own message is kept, after ours)."""
    gym = gymnasium()
    env_spec(env_id)
    try:
        return gym.make(env_id, **kwargs)
    except Exception as exc:  # a third-party constructor: any exception is a bad argument
        given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) or "no arguments"
        raise UsageError(
            f"{env_id} could not be made with {given}: {type(exc).__name__}: {exc}"
        ) from None

"""Vectorised toy tasks with Gymnasium's API: ``reset(seed=...)`` and ``step`` → obs, reward,
terminated, truncated, info. See ``vector.py`` for the shared conventions."""

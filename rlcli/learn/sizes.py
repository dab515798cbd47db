"""Memory a simulation will hold, estimated before anything is allocated.

Every learner keeps per run a value table and its curve (one number per episode), and
episodes are generated for many runs at once; ``runs`` or ``episodes`` of 10⁸ would ask for
tens of gigabytes. The estimate counts the arrays that grow with runs × episodes (and
runs × states, runs × episode length) and is refused above ``MAX_BYTES``.
"""

from __future__ import annotations

from rlcli.learn.errors import SettingError
from rlcli.units import memory_size

MAX_BYTES = 4 * 1024**3
EPISODE_BYTES_PER_STEP = 64  # states, pairs, outcomes, rewards, returns of one step, copies


def prediction_bytes(
    learners: int, largest_family: int, runs: int, episodes: int, n_states: int,
    mean_length: float, max_steps: int, batch_td: bool = False, curves_per_learner: int = 1,
) -> float:  # fmt: skip
    """Bytes of ``rlcli estimate``: every learner's curves (RMS, and the error state's value
    with one: runs × (episodes + 1) each), the largest family's values (its learners × runs ×
    states, × states again for batch TD's model), and one chunk of episodes (at least
    ``runs`` rows × the mean length)."""
    curves = 8.0 * learners * curves_per_learner * runs * (episodes + 1)
    tables = 8.0 * largest_family * runs * n_states * (4 + (2 * n_states if batch_td else 0))
    from rlcli.learn.episodes import ROWS_PER_CHUNK

    length = min(mean_length, max_steps) + 1
    episode_rows = max(runs, min(ROWS_PER_CHUNK, runs * episodes))
    return curves + tables + EPISODE_BYTES_PER_STEP * episode_rows * length


def control_bytes(learners: int, runs: int, episodes: int, n_pairs: int, tables: int = 1,
                  mc_learners: int = 0, max_steps: int = 0) -> float:  # fmt: skip
    """Bytes of ``rlcli control``: every learner's returns and lengths (runs × episodes)
    and action values (tables × runs × pairs); Monte Carlo learners also keep one episode
    per run, at worst ``max_steps`` long, and their return sums and counts."""
    per_run = 16.0 * episodes + 8.0 * tables * (n_pairs + 1)
    mc = mc_learners * runs * (EPISODE_BYTES_PER_STEP * max_steps + 16.0 * n_pairs)
    return learners * runs * per_run + mc


def check_memory(needed: float, runs: int, episodes: int, learners: int,
                 episode_steps: bool = False) -> None:  # fmt: skip
    """Refuse a simulation that would hold more than ``MAX_BYTES``, saying what it needs
    (``episode_steps``: whole episodes are kept, so ``max_steps`` counts too)."""
    if needed > MAX_BYTES:
        raise SettingError(
            "the simulation would hold about {size} ({n_runs:,d} runs × {n_episodes:,d} "
            "episodes × {learners:,d} learners); at most {limit}: lower {runs} or "
            "{episodes}"
            + (" (or {max_steps}: Monte Carlo keeps whole episodes)" if episode_steps else ""),
            size=memory_size(needed),
            n_runs=runs,
            n_episodes=episodes,
            learners=learners,
            limit=memory_size(MAX_BYTES),
        )

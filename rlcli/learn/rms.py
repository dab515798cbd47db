"""Error of learned values against the exact V_π: RMS over the non-terminal states."""

from __future__ import annotations

import numpy as np

from rlcli.learn.visits import Written


def rms_error(V: np.ndarray, v_true: np.ndarray, terminal: np.ndarray) -> np.ndarray:
    """(B,) √(mean_{s non-terminal} (V_b(s) − v_π(s))²) for each row of V (B, S)."""
    live = ~terminal
    return np.sqrt(np.mean((V[:, live] - v_true[live]) ** 2, axis=1))


def mean_and_stderr(per_run: np.ndarray) -> tuple[float, float]:
    """Mean over runs and its standard error s/√R (0 for a single run)."""
    R = len(per_run)
    mean = float(np.mean(per_run))
    se = float(np.std(per_run, ddof=1) / np.sqrt(R)) if R > 1 else 0.0
    return mean, se


BLOCK_ELEMENTS = 1 << 21  # (episodes × touched values) held at once by the function below


def errors_after_each_episode(
    V_start: np.ndarray, written: Written, count: int, v_true: np.ndarray,
    terminal: np.ndarray, watch: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
    """``rms_error`` of every row after each of ``count`` episodes, (count, B), from the values
    at the start (B, S) and what the updates wrote; with ``watch``, also V_b(watch) after each
    episode, (count, B).

    A value holds until its key's next update. For each touched key c, entry c of a lookup
    table holds its starting value and entry C + u what update u wrote; the running maximum
    over episodes of "the last entry written to c" then points at c's value after each
    episode. Untouched values contribute a constant. Blocks of episodes bound the memory.
    """
    B, S = V_start.shape
    live = ~terminal
    cols, col = np.unique(written.key, return_inverse=True)
    C = len(cols)
    untouched = np.where(live, V_start - v_true, 0.0).reshape(-1) ** 2
    untouched[cols] = 0.0
    base = untouched.reshape(B, S).sum(axis=1)
    sse = np.repeat(base[None, :], count, axis=0)
    watched = np.repeat(V_start[None, :, watch], count, axis=0) if watch is not None else None
    if not C:
        return np.sqrt(sse / live.sum()), watched
    value = np.concatenate((V_start.reshape(-1)[cols], written.value))
    state = np.concatenate((cols, written.key)) % S
    error = np.where(live[state], value - v_true[state], 0.0) ** 2
    rows_with, starts = np.unique(cols // S, return_index=True)
    if watch is not None:
        watch_keys = np.arange(B) * S + watch
        at = np.minimum(np.searchsorted(cols, watch_keys), C - 1)
        seen = cols[at] == watch_keys
    entry = np.arange(C, dtype=np.int32)  # the entry holding each key's current value
    step = max(1, BLOCK_ELEMENTS // C)
    ends = np.searchsorted(written.episode, np.arange(0, count + step, step))
    for i, e0 in enumerate(range(0, count, step)):
        e1, lo, hi = min(count, e0 + step), ends[i], ends[i + 1]
        last = np.empty((e1 - e0, C), dtype=np.int32)
        last[:] = entry
        np.maximum.at(last, (written.episode[lo:hi] - e0, col[lo:hi]),
                      np.arange(C + lo, C + hi, dtype=np.int32))  # fmt: skip
        np.maximum.accumulate(last, axis=0, out=last)
        entry = last[-1]
        sse[e0:e1, rows_with] += np.add.reduceat(error[last], starts, axis=1)
        if watch is not None:
            watched[e0:e1, seen] = value[last[:, at[seen]]]
    return np.sqrt(sse / live.sum()), watched

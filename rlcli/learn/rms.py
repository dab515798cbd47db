"""Error of learned values against the exact V_π: RMS over the non-terminal states."""

from __future__ import annotations

import numpy as np

from rlcli.learn.visits import Written, stable_argsort


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

    A value holds until its key's next update, so each touched key's squared error is
    piecewise constant over the episodes: one segment from the start, one from each episode
    with an update (its last update in that episode). The segments are laid out densely
    (``np.repeat``) and summed per episode. Untouched values contribute a constant. Blocks
    of episodes bound the memory.
    """
    B, S = V_start.shape
    live = ~terminal
    cols, col = written.keys, written.column
    C = len(cols)
    untouched = np.where(live, V_start - v_true, 0.0).reshape(-1) ** 2
    untouched[cols] = 0.0
    sse = np.repeat(untouched.reshape(B, S).sum(axis=1)[None, :], count, axis=0)
    watched = np.repeat(V_start[None, :, watch], count, axis=0) if watch is not None else None
    if not C:
        return np.sqrt(sse / live.sum()), watched
    # lookup table: entry c is key c's starting value, entry C + u what update u wrote
    value = np.concatenate((V_start.reshape(-1)[cols], written.value))
    state = np.concatenate((cols, cols[col])) % S
    error = np.where(live[state], value - v_true[state], 0.0) ** 2
    rows_with, starts = np.unique(cols // S, return_index=True)
    row_ends = np.r_[starts[1:], C]
    if watch is not None:
        at = np.searchsorted(cols, np.arange(B) * S + watch)
        seen = at < C
        seen[seen] = cols[at[seen]] == np.arange(B)[seen] * S + watch
    entry = np.arange(C)  # the entry holding each key's value at the start of the block
    step = max(1, BLOCK_ELEMENTS // C)
    ends = np.searchsorted(written.episode, np.arange(0, count + step, step))
    for i, e0 in enumerate(range(0, count, step)):
        n = min(count, e0 + step) - e0
        u = np.arange(ends[i], ends[i + 1])
        u = u[stable_argsort(col[u])]  # by key, in time order within a key
        c, e = col[u], written.episode[u] - e0
        last = np.r_[(c[1:] != c[:-1]) | (e[1:] != e[:-1]), True]  # of its key in its episode
        seg_col = np.concatenate((np.arange(C), c[last]))
        seg_start = np.concatenate((np.zeros(C, dtype=e.dtype), e[last]))
        seg_entry = np.concatenate((entry, C + u[last]))
        order = stable_argsort(seg_col)  # by key, then start
        seg_col, seg_start, seg_entry = seg_col[order], seg_start[order], seg_entry[order]
        key_ends = np.r_[seg_col[1:] != seg_col[:-1], True]
        length = np.where(key_ends, n, np.r_[seg_start[1:], 0]) - seg_start
        errors = np.repeat(error[seg_entry], length).reshape(C, n)  # (key, episode)
        for row, a, b in zip(rows_with, starts, row_ends, strict=True):  # keys of each row
            sse[e0 : e0 + n, row] += errors[a:b].sum(axis=0)
        if watch is not None:
            values = np.repeat(value[seg_entry], length).reshape(C, n)
            watched[e0 : e0 + n, seen] = values[at[seen]].T
        entry = seg_entry[key_ends]
    return np.sqrt(sse / live.sum()), watched

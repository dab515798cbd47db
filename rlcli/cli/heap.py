"""Keeping freed memory in the process while a large MDP file is read and solved.

By default glibc's malloc gives freed memory back to the kernel: it trims the top of the
heap and unmaps every block of 128 KB to 32 MB it had mapped on its own. Reading and solving
a 100,000-state file makes and frees millions of small objects and dozens of arrays of
tens of MB, so the same memory is given back and page-faulted in again over and over: 1.5 to
2.5 s of kernel time in a run of 6 to 9 s (docs/benchmarks.md). Raising the two thresholds
(``mallopt`` M_TRIM_THRESHOLD and M_MMAP_THRESHOLD) keeps freed memory for the next
allocation instead, for about 10 % more peak memory. It is a setting of the C library for
the rest of the process, so only the CLI makes it, and only before reading a large file.
"""

from __future__ import annotations

import os
from pathlib import Path

LARGE_FILE = 32 * 2**20  # bytes; smaller files load in well under a second either way
KEEP = 2**30  # bytes: give memory back only above this much free at the top of the heap
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory (trim and mmap thresholds of 1 GiB);
    returns whether it did. Does nothing on other C libraries (macOS, musl, Windows)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
    except (AttributeError, ValueError, OSError):  # no confstr, or not glibc
        return False
    import ctypes

    mallopt = ctypes.CDLL(None).mallopt
    return all(mallopt(option, KEEP) == 1 for option in (M_TRIM_THRESHOLD, M_MMAP_THRESHOLD))


def prepare_for(path: Path) -> None:
    """``keep_freed_memory`` if ``path`` is a regular file of at least ``LARGE_FILE`` bytes."""
    try:
        large = path.is_file() and path.stat().st_size >= LARGE_FILE
    except OSError:  # unreadable: the loader reports it
        return
    if large:
        keep_freed_memory()

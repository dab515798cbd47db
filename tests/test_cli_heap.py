"""The CLI's malloc setting for large MDP files (rlcli/cli/heap.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rlcli.cli import heap


def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError, OSError):
        return False


@pytest.mark.skipif(not _glibc(), reason="mallopt is glibc's")
def test_glibc_accepts_both_thresholds() -> None:
    assert heap.keep_freed_memory() is True


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_glibc(name: str) -> str:
        raise ValueError(f"unrecognized configuration name {name}")

    monkeypatch.setattr(os, "confstr", not_glibc)
    assert heap.keep_freed_memory() is False
    monkeypatch.setattr(os, "confstr", lambda name: None)  # a C library without the name
    assert heap.keep_freed_memory() is False


def test_only_large_regular_files_change_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(heap, "keep_freed_memory", lambda: calls.append(True) or True)
    monkeypatch.setattr(heap, "LARGE_FILE", 100)
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text("x" * 99)
    large.write_text("x" * 100)
    heap.prepare_for(small)
    heap.prepare_for(tmp_path / "missing.json")
    heap.prepare_for(tmp_path)  # a folder: the loader reports it
    heap.prepare_for(Path("/dev/stdin"))
    assert calls == []
    heap.prepare_for(large)
    assert calls == [True]

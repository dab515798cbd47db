"""Figures written to files with matplotlib, the optional ``plot`` extra, shared by ``train``
and ``lm`` (``--plot``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlcli.errors import UsageError


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or a UsageError naming the install."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'rlcli[plot]'") from None
    return plt


def save_figure(fig: Any, path: Path) -> None:
    """Lay out ``fig`` (from ``pyplot()``), write it to ``path`` at 120 dpi and close it; a
    write error as a UsageError."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        plt.close(fig)

"""Figures written to files with matplotlib, the optional ``plot`` extra, shared by ``train``
and ``lm`` (``--plot``).

Errors are ``FieldError``s on the field ``plot`` (the file); the command line names its option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlcli.errors import FieldError


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or a FieldError naming the install."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FieldError("plot", "needs matplotlib: pip install 'rlcli[plot]'") from None
    return plt


def save_figure(fig: Any, path: Path) -> None:
    """Lay out ``fig`` (from ``pyplot()``), write it to ``path`` at 120 dpi and close it; a
    write error as a FieldError on ``plot``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise FieldError("plot", f"cannot write ({exc.strerror})", str(path)) from None
    except ValueError as exc:  # matplotlib: an unsupported file type
        raise FieldError("plot", str(exc), str(path)) from None
    finally:
        plt.close(fig)

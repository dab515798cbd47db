"""The bundled exercise library: the YAML files in ``problems/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlcli.errors import UsageError

SUFFIXES = (".yaml", ".yml", ".json")


def problems_dir() -> Path:
    """Where the bundled problems are: inside the installed package, else the source tree."""
    packaged = Path(__file__).parent / "problems"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "problems"


@dataclass(frozen=True)
class Entry:
    name: str  # file stem, e.g. "recycling-robot"
    path: Path
    title: str
    description: str


def entries() -> list[Entry]:
    """Every bundled problem, sorted by name, with the title and description from its file."""
    import yaml

    result = []
    for path in sorted(problems_dir().iterdir()):
        if path.suffix not in SUFFIXES:
            continue
        header = _header(path.read_text(encoding="utf-8"))
        data = yaml.safe_load(header) or {}
        result.append(
            Entry(
                name=path.stem,
                path=path,
                title=str(data.get("name", path.stem)),
                description=" ".join(str(data.get("description", "")).split()),
            )
        )
    return result


def _header(text: str) -> str:
    """The top-level ``name:`` and ``description:`` block of a YAML file (cheap to parse)."""
    lines = []
    keep = False
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keep = line.startswith(("name:", "description:"))
        if keep:
            lines.append(line)
    return "\n".join(lines)


def find(name: str) -> Entry:
    """A bundled problem by name (file stem, with or without suffix)."""
    stem = Path(name).stem if Path(name).suffix in SUFFIXES else name
    for entry in entries():
        if entry.name == stem:
            return entry
    known = ", ".join(e.name for e in entries())
    raise UsageError(f"no bundled problem named {name!r}; known: {known}")

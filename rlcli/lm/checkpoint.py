"""Checkpoints: one ``.npz`` of parameter arrays plus its JSON header (read with
``allow_pickle=False``), refused with a clear message when it is corrupt, from another format
version, of another kind (a reward model where a policy belongs) or inconsistent with its config.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rlcli.errors import UsageError
from rlcli.lm.model import ModelConfig, Params, param_shapes
from rlcli.lm.tokenizer import Tokenizer

FORMAT = "rlcli-lm"
VERSION = 1
KINDS = ("policy", "reward-model")


@dataclass
class Checkpoint:
    """A model with everything needed to use it: its shape, vocabulary and what it is."""

    kind: str
    config: ModelConfig
    vocab: list[str]
    params: Params
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(self.vocab)


def header(ck: Checkpoint) -> dict[str, Any]:
    """The JSON header stored in the file."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": ck.kind,
        "config": ck.config.as_dict(),
        "vocab": ck.vocab,
        "info": ck.info,
    }


def save(path: Path, ck: Checkpoint) -> None:
    """Write ``path`` (.npz): the header as JSON text under ``__header__``, then the arrays."""
    arrays = {f"param/{k}": v for k, v in ck.params.items()}
    with open(path, "wb") as f:
        np.savez(f, __header__=np.array(json.dumps(header(ck))), **arrays)


def load(path: Path, kind: str | None = None) -> Checkpoint:
    """Read a checkpoint; ``kind`` ('policy' or 'reward-model') is the one the caller needs."""
    where = str(path)
    if not path.is_file():
        raise UsageError(f"{where}: no such checkpoint file")
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise UsageError(f"{where}: {exc.strerror or exc}") from None
    if magic[:2] != b"PK":  # a .npz is a zip archive; np.load would try a pickle or text
        raise UsageError(
            f"{where}: not a checkpoint (an rlcli lm .npz file, as pretrain/rl -o write)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            files = dict(data.items())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise UsageError(f"{where}: not a readable .npz checkpoint ({exc})") from None
    if "__header__" not in files:
        raise UsageError(f"{where}: no __header__: not an rlcli lm checkpoint")
    try:
        head = json.loads(str(files["__header__"]))
        if head.get("format") != FORMAT:
            raise UsageError(f"{where}: format {head.get('format')!r}, expected {FORMAT!r}")
        if head.get("version") != VERSION:
            raise UsageError(
                f"{where}: checkpoint version {head.get('version')}, this rlcli reads {VERSION}"
            )
        cfg = ModelConfig(**head["config"])
        vocab = list(head["vocab"])
        ck_kind = head["kind"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise UsageError(f"{where}: header: unreadable ({exc!r})") from None
    if ck_kind not in KINDS:
        raise UsageError(f"{where}: kind: {ck_kind!r} is not one of {', '.join(KINDS)}")
    if kind is not None and ck_kind != kind:
        raise UsageError(f"{where}: this checkpoint is a {ck_kind}, but a {kind} is needed here")
    if len(vocab) != cfg.vocab_size:
        raise UsageError(
            f"{where}: config.vocab_size: {cfg.vocab_size}, but the vocabulary has {len(vocab)}"
        )
    params: Params = {}
    for name, shape in param_shapes(cfg).items():
        arr = files.get(f"param/{name}")
        if arr is None:
            raise UsageError(f"{where}: param/{name}: missing (config {cfg.as_dict()})")
        if arr.shape != shape:
            raise UsageError(
                f"{where}: param/{name}: shape {arr.shape}, but the config needs {shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise UsageError(f"{where}: param/{name}: contains NaN or infinity")
        params[name] = arr
    extra = sorted(k for k in files if k.startswith("param/") and k[6:] not in params)
    if extra:
        raise UsageError(f"{where}: {extra[0]}: not a parameter of this config")
    return Checkpoint(ck_kind, cfg, vocab, params, dict(head.get("info", {})))

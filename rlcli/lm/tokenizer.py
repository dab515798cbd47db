"""A word-level tokenizer: words, punctuation and ``####`` are tokens, every digit is its own
token (so numbers are spelled digit by digit, as character-level models do).

Token 0 is padding, token 1 end-of-sequence. The vocabulary is stored in checkpoints, so a
model always decodes with the vocabulary it was trained with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from rlcli.errors import UsageError

PAD, EOS = "<pad>", "<eos>"
TOKEN_RE = re.compile(r"####|\d|[A-Za-z]+|[^\sA-Za-z\d]")
NO_SPACE_BEFORE = {".", ",", "?", "!"}


class Tokenizer:
    """Maps text to token ids and back; ``vocab[0]`` is ``<pad>``, ``vocab[1]`` is ``<eos>``."""

    def __init__(self, vocab: Sequence[str]):
        if list(vocab[:2]) != [PAD, EOS] or len(set(vocab)) != len(vocab):
            raise UsageError("a vocabulary starts with <pad>, <eos> and has no repeated tokens")
        self.vocab = list(vocab)
        self.ids = {t: i for i, t in enumerate(self.vocab)}
        self.pad, self.eos = 0, 1

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Tokenizer:
        """The sorted set of tokens in ``texts``, after ``<pad>`` and ``<eos>``."""
        words = sorted({t for text in texts for t in TOKEN_RE.findall(text)})
        return cls([PAD, EOS, *words])

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, what: str = "prompt") -> list[int]:
        """Token ids of ``text``; a word outside the vocabulary is an error naming its position."""
        ids = []
        pos = 0
        for match in TOKEN_RE.finditer(text):
            gap = text[pos : match.start()]
            if gap.strip():
                raise UsageError(f"{what}: unreadable text {gap.strip()!r} at character {pos + 1}")
            token = match.group()
            if token not in self.ids:
                raise UsageError(
                    f"{what}: {token!r} at character {match.start() + 1} is not in the model's "
                    f"vocabulary ({len(self.vocab) - 2} words, digits and signs)"
                )
            ids.append(self.ids[token])
            pos = match.end()
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids`` up to the first ``<eos>`` (padding skipped): digits join into
        numbers, punctuation sticks to the word before it."""
        out = ""
        prev = ""
        for i in ids:
            i = int(i)
            if i == self.eos:
                break
            if i == self.pad:
                continue
            tok = self.vocab[i]
            glue = (tok.isdigit() and prev.isdigit()) or tok in NO_SPACE_BEFORE or not out
            out += tok if glue else " " + tok
            prev = tok
        return out

    def pad_left(self, seqs: Sequence[Sequence[int]], length: int) -> np.ndarray:
        """(B, length) ids, rows right-aligned after padding (prompts end where answers start)."""
        arr = np.full((len(seqs), length), self.pad, dtype=np.int64)
        for r, s in enumerate(seqs):
            if len(s) > length:
                raise UsageError(f"a prompt of {len(s)} tokens is longer than {length}")
            arr[r, length - len(s) :] = s
        return arr

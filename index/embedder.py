"""The embedder interface, and a deterministic fake for tests.

An embedder turns a batch of texts into L2-normalized float32 vectors. Questions and passages are
encoded differently (e5 models prefix ``query: `` / ``passage: ``), so ``encode`` takes ``query``.
The real implementation, backed by sentence-transformers, lives in ``encoder.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


class Embedder(Protocol):
    name: str  # identifies the model in the embedding cache
    dim: int
    max_tokens: int  # longest input the model reads; longer passages must be split

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """Return one L2-normalized float32 row per text."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of model tokens ``text`` takes (without prompt and special tokens)."""
        ...


class FakeEmbedder:
    """Bag-of-words hashing embedder: deterministic, instant, and good enough to rank by overlap.

    Each lower-cased word (and its 5-character prefix, a crude stemmer) adds a fixed random
    direction, so texts sharing words are similar and unrelated texts are close to orthogonal.
    """

    def __init__(self, dim: int = 64, max_tokens: int = 128, name: str = "fake-bow") -> None:
        self.dim = dim
        self.max_tokens = max_tokens
        self.name = f"{name}-{dim}"
        self.calls: list[tuple[int, bool]] = []  # (batch size, query) per encode call

    def _direction(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        self.calls.append((len(texts), query))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[i] += self._direction(word) + 0.5 * self._direction(word[:5])
            norm = float(np.linalg.norm(out[i]))
            if norm == 0.0:
                out[i] = self._direction("\0empty")
                norm = float(np.linalg.norm(out[i]))
            out[i] /= norm
        return out

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text))

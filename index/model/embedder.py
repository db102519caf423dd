"""The embedder interface.

An embedder turns a batch of texts into L2-normalized float32 vectors. Questions and passages are
encoded differently (e5 models prefix ``query: `` / ``passage: ``), so ``encode`` takes ``query``.
The real implementation, backed by sentence-transformers, lives in ``encoder.py``; the tests use
a deterministic fake (``tests/support/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


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

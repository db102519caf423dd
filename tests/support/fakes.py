"""The test doubles: a deterministic embedder, one a test can stop inside an encode call, a clock.

``FakeEmbedder`` ranks by word overlap and needs no model files. ``GatedEmbedder`` holds a rebuild
(or a question) at a known point without sleeping: the encode thread sets ``entered`` and waits
until the test sets ``release``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


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


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, able to stop (until released) or fail inside an encode call."""

    def __init__(self, timeout: float = 120.0) -> None:
        super().__init__()
        self.hold_documents = False  # document (passage, sentence) encodings wait at the gate
        self.hold_queries = False  # question encodings wait at the gate
        self.fail_documents = False  # document encodings raise
        self.documents_allowed: int | None = None  # document encode calls that succeed before they raise
        self.documents: list[str] = []  # every document text encoded, in order
        self.fail_queries = ""  # question encodings raise RuntimeError with this text (when set)
        self.entered = threading.Event()  # an encode call is waiting at the gate
        self.release = threading.Event()  # the test opens the gate
        self.timeout = timeout  # a safety net: a test that never opens the gate fails, not hangs

    def arm(self) -> None:
        """Close the gate for the next document encodings."""
        self.release.clear()
        self.entered.clear()
        self.hold_documents = True

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if (self.hold_queries if query else self.hold_documents) and not self.release.is_set():
            self.entered.set()
            if not self.release.wait(self.timeout):
                raise TimeoutError("the test never opened the gate")
        if not query and self.documents_allowed is not None:
            if self.documents_allowed <= 0:
                raise RuntimeError("the encoder crashed")
            self.documents_allowed -= 1
        if self.fail_documents and not query:
            raise RuntimeError("the encoder crashed")
        if not query:
            self.documents.extend(texts)
        if self.fail_queries and query:
            raise RuntimeError(self.fail_queries)
        return super().encode(texts, query=query)


class Clock:
    """A clock the test sets by hand (``clock.now = ...``), for the limiter, caches and tokens."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

"""A fake embedder that a test can stop inside an encode call, or make fail.

Tests use it to hold a rebuild (or a question) at a known point without sleeping: the encode
thread sets ``entered`` and waits until the test sets ``release``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from index import FakeEmbedder


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, able to stop (until released) or fail inside an encode call."""

    def __init__(self, timeout: float = 120.0) -> None:
        super().__init__()
        self.hold_documents = False  # document (passage, sentence) encodings wait at the gate
        self.hold_queries = False  # question encodings wait at the gate
        self.fail_documents = False  # document encodings raise
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
        if self.fail_documents and not query:
            raise RuntimeError("the encoder crashed")
        return super().encode(texts, query=query)

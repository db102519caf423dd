"""Pinned passages and gap groups: the two places where an admin's judgement meets the question vectors.

A **pin** says "questions like this one are answered by that passage". It names the passage by its
document and the hash of its text, not by its row id, so it survives rebuilds for as long as that
text is in the index, and quietly stops applying when the text is gone. A question is answered
from a pin when its vector is within ``PIN_SIMILARITY`` (cosine) of the pinned question's.

**Gaps**: the questions the index could not answer, grouped by meaning: each question joins the
first group whose first question is within ``GAP_SIMILARITY`` of it, else starts a group; groups
largest first. Both thresholds are set by hand, not fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PIN_SIMILARITY = 0.92
GAP_SIMILARITY = 0.85


@dataclass(frozen=True)
class Pin:
    id: int
    question: str
    doc_id: str
    text_sha256: str  # of the pinned passage's text


def closest_pin(query: np.ndarray, pins: Sequence[Pin], vectors: np.ndarray) -> Pin | None:
    """The pin whose question is nearest ``query``, if it is near enough."""
    if not pins:
        return None
    scores = vectors @ query
    best = int(np.argmax(scores))
    return pins[best] if float(scores[best]) >= PIN_SIMILARITY else None


def group(vectors: np.ndarray, similarity: float = GAP_SIMILARITY) -> list[list[int]]:
    """Indices of ``vectors`` (unit length) grouped by meaning, largest group first (ties: first seen)."""
    groups: list[list[int]] = []
    heads: list[np.ndarray] = []
    for index, vector in enumerate(vectors):
        scores = [float(head @ vector) for head in heads]
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] >= similarity:
            groups[best].append(index)
        else:
            groups.append([index])
            heads.append(vector)
    return sorted(groups, key=lambda g: (-len(g), g[0]))

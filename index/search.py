"""The query path: question -> candidates (dense, keyword) -> fused ranking -> scored hits.

Pure, synchronous functions over a loaded ``Generation``; ``Engine.ask`` calls them in order:

1. ``guess_language`` / ``use_keywords``: keyword search only helps German questions (the story is
   German; stems of an English question match nothing useful and only add noise).
2. ``dense``: the FAISS top ``N_DENSE`` by cosine (vectors are normalized).
3. keyword: ``Store.keyword`` (FTS5 bm25 over stems), top ``N_KEYWORD``.
4. ``rank``: ``rrf`` fusion of both lists, each candidate's cosine calibrated into a score, and
   its best sentence (argmax of question . sentence vectors) as the highlight.
5. ``answered``: the top hit's score reaches the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .generation import Generation
from .language import guess_language
from .models import Document, Hit, Passage

N_DENSE = 30
N_KEYWORD = 30
RRF_K = 60

# Calibration of cosine similarity into a relevance score in [0, 1] (linear, clipped). For
# multilingual-e5 (whose cosines are compressed into a high band), ~0.75 is an unrelated text
# and ~0.90 a passage that answers the question: 0.75 -> 0.0, 0.90 -> 1.0.
COSINE_UNRELATED = 0.75
COSINE_ANSWERS = 0.90

__all__ = ["Ranked", "answered", "calibrate", "dense", "guess_language", "hit", "rank", "rrf",
           "use_keywords"]


@dataclass(frozen=True)
class Ranked:
    """A candidate passage in final order, before its text is read."""

    passage_id: int
    score: float  # calibrated, in [0, 1]
    sentence: int  # index of the best sentence within the passage


def use_keywords(language: str) -> bool:
    return language == "de"


def calibrate(cosine: float) -> float:
    span = COSINE_ANSWERS - COSINE_UNRELATED
    return float(min(1.0, max(0.0, (cosine - COSINE_UNRELATED) / span)))


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to its items; best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def dense(generation: Generation, query: np.ndarray, n: int = N_DENSE) -> list[tuple[int, float]]:
    """Nearest passages by cosine, best first."""
    return generation.vectors.search(query, n)[0]


def rank(generation: Generation, query: np.ndarray, dense_hits: Sequence[tuple[int, float]],
         keyword_ids: Sequence[int]) -> list[Ranked]:
    """Fuse the candidate lists; score each candidate and pick its best sentence."""
    if keyword_ids:
        order = [pid for pid, _ in rrf([[pid for pid, _ in dense_hits], keyword_ids])]
    else:
        order = [pid for pid, _ in dense_hits]
    cosines = dict(dense_hits)
    missing = [pid for pid in order if pid not in cosines]
    if missing:
        for pid, vector in zip(missing, generation.vectors.vectors(missing), strict=True):
            cosines[pid] = float(vector @ query)
    ranked = []
    for pid in order:
        sentences = generation.sentence_vectors(pid)
        best = int(np.argmax(sentences @ query)) if len(sentences) else 0
        ranked.append(Ranked(pid, calibrate(cosines[pid]), best))
    return ranked


def answered(ranking: Sequence[Ranked], threshold: float) -> bool:
    """Whether the best passage is relevant enough to be presented as the answer."""
    return bool(ranking) and ranking[0].score >= threshold


def hit(ranked: Ranked, passage: Passage, document: Document) -> Hit:
    sentences = passage.sentences or ((0, len(passage.text)),)
    highlight = sentences[min(ranked.sentence, len(sentences) - 1)]
    return Hit(
        passage_id=passage.id, doc_id=passage.doc_id, title=document.title, source=document.source,
        url=document.url, paragraph=passage.paragraph, text=passage.text, score=ranked.score,
        highlight=highlight,
    )

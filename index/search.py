"""The query path: question -> candidates (dense, keyword) -> fused ranking -> scored hits.

Pure, synchronous functions over a loaded ``Generation``; ``Engine.ask`` calls them in order:

1. ``guess_language`` / ``use_keywords``: keyword search only helps German questions (the story is
   German; stems of an English question match nothing useful and only add noise).
2. ``dense``: the FAISS top ``N_DENSE`` by cosine (vectors are normalized).
3. keyword: ``Store.keyword`` (FTS5 bm25 over stems), top ``N_KEYWORD``.
4. ``rank``: each candidate's relevance from its passage vector and its best sentence's vector,
   a small bonus by keyword rank, the relevance calibrated into a score (``ranking.py`` holds the
   formulas and the figures behind them), and the best sentence as the highlight.
5. ``answered``: the top hit's score reaches the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .generation import Generation
from .language import guess_language
from .models import Document, Hit, Passage
from .ranking import calibrate, order, relevance

N_DENSE = 30
N_KEYWORD = 30
RRF_K = 60

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
         keyword_ids: Sequence[int], language: str | None = None) -> list[Ranked]:
    """Score the candidates of both lists, best first, each with its best sentence.

    ``language`` is the question's guessed language: a question in none of the documents'
    languages is scored with the cross-lingual lift (``ranking.calibrate``); None: no lift.
    """
    cosines = dict(dense_hits)
    candidates = list(cosines) + [pid for pid in dict.fromkeys(keyword_ids) if pid not in cosines]
    missing = [pid for pid in candidates if pid not in cosines]
    if missing:
        for pid, vector in zip(missing, generation.vectors.vectors(missing), strict=True):
            cosines[pid] = float(vector @ query)
    relevances: dict[int, float] = {}
    best: dict[int, int] = {}
    for pid in candidates:
        sentences = [float(c) for c in generation.sentence_vectors(pid) @ query]
        best[pid] = int(np.argmax(sentences)) if sentences else 0
        relevances[pid] = relevance(cosines[pid], sentences)
    cross = language is not None and language not in {d.language for d in generation.documents}
    return [Ranked(pid, calibrate(relevances[pid], cross), best[pid])
            for pid in order(relevances, keyword_ids)]


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

"""The query path: question -> candidates (dense, keyword) -> fused ranking -> scored hits.

Pure, synchronous functions over a loaded ``Generation``; ``Engine.ask`` calls them in order:

1. ``guess_language`` / ``use_keywords``: keyword search only helps German questions (the story is
   German; stems of an English question match nothing useful and only add noise).
2. ``dense``: the FAISS top ``N_DENSE`` by cosine (vectors are normalized).
3. keyword: ``Store.keyword`` (FTS5 bm25 over stems), top ``N_KEYWORD``.
4. ``rank``: each candidate's relevance from its passage vector and its best sentence's vector,
   a small bonus by keyword rank, the relevance calibrated into a score (``ranking.py`` holds the
   formulas and the figures behind them), and the best sentence as the highlight.
5. ``confidence``: the top passage's best sentence and its lead over the best passage of
   another paragraph (paragraphs of the first ``LEAD_DEPTH`` candidates are read for that);
   ``answered``: the confidence reaches the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import ranking as scoring
from .generation import Generation
from .language import guess_language
from .models import Document, Hit, Passage
from .ranking import calibrate, order, relevance, totals

N_DENSE = 30
N_KEYWORD = 30
LEAD_DEPTH = 5  # candidates whose paragraph is read to find the runner-up of another paragraph

__all__ = ["Ranked", "answered", "calibrate", "confidence", "dense", "guess_language", "hit", "rank",
           "use_keywords"]


@dataclass(frozen=True)
class Ranked:
    """A candidate passage in final order, before its text is read."""

    passage_id: int
    score: float  # calibrated, in [0, 1]
    sentence: int  # index of the best sentence within the passage
    total: float = 0.0  # the ordering value: relevance plus keyword bonus, in cosine units
    sentence_cosine: float = 0.0  # the best sentence's cosine with the question
    cross_lingual: bool = False  # the question is in none of the documents' languages


def use_keywords(language: str) -> bool:
    return language == "de"


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
    best_cosine: dict[int, float] = {}
    for pid in candidates:
        sentences = [float(c) for c in generation.sentence_vectors(pid) @ query]
        best[pid] = int(np.argmax(sentences)) if sentences else 0
        best_cosine[pid] = sentences[best[pid]] if sentences else cosines[pid]
        relevances[pid] = relevance(cosines[pid], sentences)
    cross = language is not None and language not in {d.language for d in generation.documents}
    total = totals(relevances, keyword_ids)
    return [Ranked(pid, calibrate(relevances[pid], cross), best[pid], total[pid], best_cosine[pid], cross)
            for pid in order(total)]


def confidence(
    ranking: Sequence[Ranked], paragraph_of: Mapping[int, tuple[str, int]], hubs: HubReference | None = None
) -> float:
    """How surely the top passage answers (``ranking.confidence``), in [0, 1].

    ``paragraph_of`` maps passage ids to (document, paragraph) for at least the first
    ``LEAD_DEPTH`` candidates: the runner-up is the best candidate from another paragraph (windows of
    one paragraph do not compete); a candidate whose paragraph is unknown counts as another one.
    With no runner-up the lead is 0.
    """
    if not ranking:
        return 0.0
    top = ranking[0]
    where = paragraph_of.get(top.passage_id)
    runner = next((r for r in ranking[1:] if where is None or paragraph_of.get(r.passage_id) != where), None)
    lead = top.total - runner.total if runner is not None else 0.0
    hub = hubs.of(top) if hubs is not None else 0.0
    return scoring.confidence(top.sentence_cosine, lead, top.cross_lingual, hub)


class HubReference:
    """The content-free reference questions' vectors and one generation's median hubness: made
    once per generation, used by ``confidence`` to discount hub sentences."""

    def __init__(self, generation: Generation, references: np.ndarray) -> None:
        self.generation = generation
        self.references = references
        self.baseline = scoring.hub_baseline(generation.sentences, references)

    def of(self, ranked: Ranked) -> float:
        """The hubness of a ranked passage's best sentence (0 if it has no sentence vectors)."""
        vectors = self.generation.sentence_vectors(ranked.passage_id)
        if len(vectors) == 0:
            return 0.0
        sentence = vectors[min(ranked.sentence, len(vectors) - 1)]
        return scoring.hubness(sentence, self.references, self.baseline)


def answered(value: float, threshold: float) -> bool:
    """Whether the top passage is sure enough to be presented as the answer."""
    return value >= threshold


def hit(ranked: Ranked, passage: Passage, document: Document) -> Hit:
    sentences = passage.sentences or ((0, len(passage.text)),)
    highlight = sentences[min(ranked.sentence, len(sentences) - 1)]
    return Hit(
        passage_id=passage.id, doc_id=passage.doc_id, title=document.title, source=document.source,
        url=document.url, paragraph=passage.paragraph, text=passage.text, score=ranked.score,
        highlight=highlight,
    )

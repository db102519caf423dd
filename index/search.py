"""The query path: question -> candidates (dense, keyword) -> ranked passages with their evidence.

Pure, synchronous functions over a loaded ``Generation`` (``Engine.ask`` runs ``ranked`` in one
worker-thread hop; ``python -m index fit`` and ``eval`` run the same functions on parts of XQuAD):

1. ``guess_language`` / ``use_keywords``: keyword search only helps German questions (the story is
   German; stems of an English question match nothing useful and only add noise).
2. ``dense``: the FAISS top ``N_DENSE`` by cosine (vectors are normalized), or an exact search
   within given passages.
3. keyword: ``Store.keyword`` (FTS5 bm25 over stems), top ``N_KEYWORD``.
4. ``rank``: each candidate's relevance from its passage vector and its best sentence's vector,
   a small bonus by keyword rank, boilerplate put behind content unless the question names the
   document's source, the relevance calibrated into a score (``ranking.py`` holds the formulas and
   the figures behind them), and the best sentence as the highlight.
5. ``runner_up``: the best candidate of another paragraph, whose distance to the top passage is
   part of the evidence ``judge.py`` weighs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .generation import Generation
from .language import guess_language, words
from .models import Document, Hit, Passage
from .ranking import calibrate, order, relevance, totals

N_DENSE = 30
N_KEYWORD = 30
BOILERPLATE_PENALTY = 0.03  # cosine units a boilerplate passage falls behind content (set by hand)

__all__ = ["Ranked", "dense", "guess_language", "hit", "rank", "runner_up", "use_keywords"]


@dataclass(frozen=True)
class Ranked:
    """A candidate passage in final order, before its text is read."""

    passage_id: int
    score: float  # calibrated, in [0, 1]
    sentence: int  # index of the best sentence within the passage
    total: float = 0.0  # the ordering value: relevance plus keyword bonus, in cosine units
    sentence_cosine: float = 0.0  # the best sentence's cosine with the question
    cross_lingual: bool = False  # the question is in none of the documents' languages
    passage_cosine: float = 0.0  # the whole passage's cosine with the question
    boilerplate: bool = False


def use_keywords(language: str) -> bool:
    return language == "de"


def dense(generation: Generation, query: np.ndarray, n: int = N_DENSE,
          within: Sequence[int] | None = None) -> list[tuple[int, float]]:
    """Nearest passages by cosine, best first; ``within``: an exact search among those ids only."""
    if within is None:
        return generation.vectors.search(query, n)[0]
    ids = list(within)
    cosines = generation.vectors.vectors(ids) @ query
    best = np.argsort(-cosines, kind="stable")[:n]
    return [(ids[i], float(cosines[i])) for i in best]


def names_source(question: str, documents: Sequence[Document]) -> bool:
    """True if the question names a document's source (then its boilerplate is what it asks about)."""
    asked = set(words(question))
    return any(name in asked for doc in documents for name in words(doc.source) if len(name) >= 3)


def rank(generation: Generation, query: np.ndarray, dense_hits: Sequence[tuple[int, float]],
         keyword_ids: Sequence[int], language: str | None = None, *, about_source: bool = False,
         ) -> list[Ranked]:
    """Score the candidates of both lists, best first, each with its best sentence.

    ``language`` is the question's guessed language: a question in none of the documents'
    languages is scored with the cross-lingual lift (``ranking.calibrate``); None: no lift.
    Boilerplate passages lose ``BOILERPLATE_PENALTY`` unless ``about_source``.
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
    flagged = {pid for pid in candidates if generation.is_boilerplate(pid)}
    indexes, sentence_cosines, has = generation.best_sentences(candidates, query)
    for pid, index, cosine, found in zip(candidates, indexes.tolist(), sentence_cosines.tolist(),
                                         has.tolist(), strict=True):
        best[pid] = index
        best_cosine[pid] = cosine if found else cosines[pid]
        relevances[pid] = relevance(cosines[pid], (cosine,) if found else ())
    cross = language is not None and language not in {d.language for d in generation.documents}
    total = demote(totals(relevances, keyword_ids), flagged, about_source)
    return [Ranked(pid, calibrate(relevances[pid], cross), best[pid], total[pid], best_cosine[pid], cross,
                   cosines[pid], pid in flagged)
            for pid in order(total)]


def ranked(generation: Generation, query: np.ndarray, keyword_ids: Sequence[int], language: str | None,
           about_source: bool = False, within: Sequence[int] | None = None) -> list[Ranked]:
    """``dense`` then ``rank``: the whole CPU part of a question, for one worker-thread hop."""
    hits = dense(generation, query, within=within)
    if within is not None:
        allowed = set(within)
        keyword_ids = [pid for pid in keyword_ids if pid in allowed]
    return rank(generation, query, hits, keyword_ids, language, about_source=about_source)


def top_evidence(ranking: Sequence[Ranked], generation: Generation,
                 ) -> tuple[float, float, float, np.ndarray | None] | None:
    """(sentence cosine, passage cosine, total, best sentence vector) of the top passage."""
    if not ranking:
        return None
    top = ranking[0]
    vectors = generation.sentence_vectors(top.passage_id)
    vector = vectors[min(top.sentence, len(vectors) - 1)] if len(vectors) else None
    return top.sentence_cosine, top.passage_cosine, top.total, vector


def runner_evidence(runner: Ranked | None) -> tuple[float, float] | None:
    """(sentence cosine, total) of the runner-up of another paragraph."""
    return None if runner is None else (runner.sentence_cosine, runner.total)


def lead_words(generation: Generation, passage_id: int) -> set[str]:
    """The words of the title and the lead of the document a passage belongs to."""
    place = generation.place(passage_id)
    if place is None:
        return set()
    document = generation.by_id[place[0]]
    return set(words(document.title)) | generation.lead_words(document.id)


def demote(total: dict[int, float], boilerplate: set[int], about_source: bool) -> dict[int, float]:
    """The ordering values with boilerplate passages ``BOILERPLATE_PENALTY`` behind content, unless
    the question is about the source (then they compete as they are)."""
    if about_source:
        return total
    return {pid: value - BOILERPLATE_PENALTY * (pid in boilerplate) for pid, value in total.items()}


def runner_up(ranking: Sequence[Ranked], generation: Generation) -> Ranked | None:
    """The best candidate after the first from another paragraph (windows of one paragraph do not
    compete); a candidate whose place is unknown counts as another paragraph."""
    if not ranking:
        return None
    where = generation.place(ranking[0].passage_id)
    for candidate in ranking[1:]:
        if where is None or generation.place(candidate.passage_id) != where:
            return candidate
    return None


def hit(ranked: Ranked, passage: Passage, document: Document) -> Hit:
    sentences = passage.sentences or ((0, len(passage.text)),)
    highlight = sentences[min(ranked.sentence, len(sentences) - 1)]
    return Hit(
        passage_id=passage.id, doc_id=passage.doc_id, title=document.title, source=document.source,
        url=document.url, paragraph=passage.paragraph, text=passage.text, score=ranked.score,
        highlight=highlight, page=passage.page, on_page=passage.on_page, section=passage.section,
    )

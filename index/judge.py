"""The answering judgement: is a message a question about the documents at all, and if so, does the
top passage answer it? Four outcomes:

- ``small_talk``: greetings, thanks, jokes, the weather … (the bot says what it does instead);
- ``answer``: the top passage answers (or, for a question about the whole story, its lead does);
- ``unsure``: the evidence is middling: the closest passages are shown as candidates;
- ``not_found``: the documents clearly do not cover it.

Both decisions are logistic regressions over a few measured features (``Evidence``), fitted by
``python -m index fit`` on XQuAD by article (``fit.py``) and shipped as ``scorer.json`` beside this
file with the thresholds chosen on the training articles. Nothing here is set by hand but the
feature definitions.

Features of the answer model: the best sentence's cosine and the passage's, the lead of the top
passage over the best one of another paragraph (in ranking units) and the gap between their best
sentences, the best sentence's hubness (how much closer it is to content-free questions than the
corpus's median sentence: generic sentences win questions they do not answer), whether the question
is in none of the documents' languages, and the share of the question's content words the top
passage contains. Features of the small-talk model: the closeness to the small-talk references
(``phrases.SMALL_TALK``), the best sentence's cosine, and the share of the question's content words
the corpus knows at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import phrases
from .language import STOPWORDS, cased_words, stem_words, words
from .ranking import hubness

SCORER_FILE = Path(__file__).with_name("scorer.json")
ANSWER_FEATURES = ("sentence_cosine", "passage_cosine", "lead", "sentence_gap", "hubness", "cross_lingual",
                   "overlap")
SMALL_TALK_FEATURES = ("small_talk", "sentence_cosine", "known_share")
_STOP = STOPWORDS["de"] | STOPWORDS["en"] | phrases.WHO_WHAT


@dataclass(frozen=True)
class Evidence:
    """What the judgement weighs for one question and its ranking."""

    sentence_cosine: float = 0.0
    passage_cosine: float = 0.0
    lead: float = 0.0
    sentence_gap: float = 0.0
    hubness: float = 0.0
    cross_lingual: float = 0.0
    overlap: float = 0.0
    small_talk: float = 0.0
    whole_story: float = 0.0
    known_share: float = 0.0
    specificity: float = 0.0  # the best sentence's cosine less the question's mean one to small talk
    background: float = 0.0  # the question's mean cosine to the small-talk references

    def vector(self, names: Sequence[str]) -> np.ndarray:
        return np.array([getattr(self, name) for name in names], dtype=np.float64)


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic regression over standardized features."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, evidence: Evidence) -> float:
        x = (evidence.vector(self.features) - np.array(self.mean)) / np.array(self.scale)
        z = float(x @ np.array(self.weights)) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def _logistic(data: dict[str, Any]) -> Logistic:
    return Logistic(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                    tuple(data["weights"]), float(data["bias"]))


@dataclass(frozen=True)
class Scorer:
    """Both models and the thresholds chosen when they were fitted."""

    answer: Logistic
    small_talk: Logistic
    answer_at: float  # answer probability from which the top passage is presented as the answer
    unsure_at: float  # from which the closest passages are shown as candidates ("unsure")
    small_talk_at: float  # small-talk probability from which a message gets the small-talk reply
    whole_story_at: float  # closeness to ``phrases.WHOLE_STORY`` from which the lead is the answer
    fitted: str = ""  # what it was fitted on, and how

    @classmethod
    def load(cls, path: Path = SCORER_FILE) -> Scorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        models = {key: _logistic(data[key]) for key in ("answer", "small_talk")}
        return cls(models["answer"], models["small_talk"], data["answer_at"], data["unsure_at"],
                   data["small_talk_at"], data["whole_story_at"], data.get("fitted", ""))

    def dumps(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n"

    def decide(self, evidence: Evidence, *, who_is: bool = False, general: bool = True,
               answer_at: float | None = None, follow_up: bool = False, boilerplate: bool = False,
               distinctive: bool = False) -> tuple[str, float, bool]:
        """(outcome, confidence, whole story) for a question's evidence; ``general``: the question
        has no content words beyond those of the whole-story references and the document's lead
        (``is_general``); ``answer_at`` replaces the fitted threshold (``[index] threshold``).
        A follow-up read with the question before it (``follow_up``) asks about that question's
        subject: it is neither small talk nor a question about the whole story. A ``boilerplate``
        top passage ("Branchen: Top-Story, Tagesnachrichten") for a question that names neither
        the source nor the text itself, and is no closer to the passage than to a small-talk
        reference, is near it for being generic, not for answering: at most "not sure" ("What
        should I cook tonight?"). A question that shares a word with the top passage alone
        (``distinctive``, ``names_only_this``) is never "not in the story": the passage is about
        what it names ("Was sagen die Staatsanwälte?"), so at least "not sure"."""
        story = (general and evidence.whole_story >= self.whole_story_at
                 and evidence.whole_story > evidence.small_talk)
        if (who_is or story) and not follow_up:
            return "answer", 1.0, True
        if self.small_talk.probability(evidence) >= self.small_talk_at and not follow_up:
            return "small_talk", 0.0, False
        confidence = self.answer.probability(evidence)
        at = self.answer_at if answer_at is None else answer_at
        if confidence >= at and not (boilerplate and evidence.sentence_cosine <= evidence.small_talk):
            return "answer", confidence, False
        unsure = confidence >= min(self.unsure_at, at) or distinctive
        return ("unsure" if unsure else "not_found"), confidence, False


def content_words(text: str) -> list[str]:
    """The words of a question that carry its content: no stopwords, question words or short ones."""
    return [w for w in words(text) if len(w) >= 3 and w not in _STOP and not w.isdigit()]


def stems(tokens: Sequence[str]) -> set[str]:
    """German and English Snowball stems of ``tokens`` (the documents' stems are either)."""
    return set(stem_words(list(tokens), "de")) | set(stem_words(list(tokens), "en"))


@lru_cache(maxsize=8192)
def word_stems(word: str) -> frozenset[str]:
    """``stems([word])``, remembered: a question's words recur, and so do the passages'."""
    return frozenset(stems([word]))


@lru_cache(maxsize=1024)
def text_stems(text: str) -> frozenset[str]:
    """The stems of every word of a text (a passage: the same few are the top one again and again)."""
    return frozenset(stems(words(text)))


def names_only_this(counts: Mapping[str, int], passage_text: str) -> bool:
    """True if the passage holds a stem of the question that no other passage holds (``counts``:
    the question's stems, each with the number of passages holding it, ``Store.lookups``)."""
    unique = {stem for stem, count in counts.items() if count == 1}
    return bool(unique and passage_text) and not text_stems(passage_text).isdisjoint(unique)


def share_known(question_words: Sequence[str], known: Collection[str]) -> float:
    """Share of the question's content words whose stem is in ``known``."""
    if not question_words:
        return 0.0
    known = known if isinstance(known, set | frozenset) else set(known)
    hits = sum(1 for w in question_words if not word_stems(w).isdisjoint(known))
    return hits / len(question_words)


_GENERAL_WORDS = frozenset(w for text in phrases.WHOLE_STORY for w in words(text))


def is_general(question: str, known: Collection[str], language: str = "de") -> bool:
    """True if a question names nothing specific: it asks no who, where, when, which or how
    (``phrases.SPECIFIC``), and each of its content words is a word of the whole-story references
    or one the corpus does not know (words about the text itself: "Bericht", "gist"). A name
    (``inner_names``) is specific even when the corpus spells it otherwise ("Tell me about Russia"
    of a German story that says "Russland")."""
    if any(token in phrases.SPECIFIC for token in words(question)):
        return False
    if inner_names(question, language) - _GENERAL_WORDS:
        return False
    known = known if isinstance(known, set | frozenset) else set(known)
    return all(w in _GENERAL_WORDS or word_stems(w).isdisjoint(known) for w in content_words(question))


def inner_names(question: str, language: str) -> set[str]:
    """The names of a question: its content words written with a capital after its first word,
    lower-cased. German writes every noun so, so there are none in a German question, nor Latin-
    script ones in a question of unknown language (``""``: it may be German without stopwords);
    Cyrillic or Greek capitals mark names in any question."""
    if language == "de":
        return set()
    content = set(content_words(question))
    return {word.lower() for word in cased_words(question)[1:]
            if word[:1].isupper() and word.lower() in content and (language or not _latin(word))}


def _latin(word: str) -> bool:
    return all(ord(char) < 0x250 for char in word)  # Basic Latin to Latin Extended-B


def asks_who_is(question: str, lead_words: Collection[str]) -> bool:
    """A short "who is / what is <name>" question about names of a document's title or lead."""
    tokens = words(question)
    rest = [t for t in tokens if t not in phrases.WHO_WHAT]
    return (bool(tokens) and tokens[0] in phrases.WHO_WHAT and 1 <= len(rest) <= 3 and len(tokens) <= 6
            and all(t in lead_words for t in rest))


@dataclass(frozen=True)
class References:
    """The vectors of the reference messages, encoded once per model."""

    hubs: np.ndarray  # ranking.REFERENCE_QUESTIONS
    small_talk: np.ndarray  # phrases.SMALL_TALK
    whole_story: np.ndarray  # phrases.WHOLE_STORY


def closeness(query: np.ndarray, references: np.ndarray, exclude_self: bool = False) -> float:
    """The largest cosine to a reference (with ``exclude_self``, ignoring an identical one)."""
    if len(references) == 0:
        return 0.0
    cosines = references @ query
    if exclude_self:
        cosines = cosines[cosines < 0.9999]
    return float(cosines.max()) if len(cosines) else 0.0


def evidence(
    query: np.ndarray,
    question_words: Sequence[str],
    top: tuple[float, float, float, np.ndarray | None] | None,
    runner: tuple[float, float] | None,
    cross_lingual: bool,
    top_text: str,
    known: Collection[str],
    references: References,
    hub_baseline: float,
    *,
    exclude_self: bool = False,
) -> Evidence:
    """The evidence for one ranking.

    ``top``: (sentence cosine, passage cosine, total, best sentence vector) of the top passage;
    ``runner``: (sentence cosine, total) of the best passage of another paragraph; ``known``: the
    corpus's stems among the question's; ``exclude_self`` (fitting on the references themselves)
    ignores a reference identical to the question.
    """
    small_talk = closeness(query, references.small_talk, exclude_self)
    whole_story = closeness(query, references.whole_story, exclude_self)
    known_share = share_known(question_words, known)
    background = float(np.mean(references.small_talk @ query)) if len(references.small_talk) else 0.0
    if top is None:
        return Evidence(small_talk=small_talk, whole_story=whole_story, known_share=known_share,
                        background=background)
    sentence, passage, total, vector = top
    lead = total - runner[1] if runner else 0.0
    gap = sentence - runner[0] if runner else 0.0
    hub = hubness(vector, references.hubs, hub_baseline) if vector is not None else 0.0
    overlap = share_known(question_words, text_stems(top_text)) if top_text else 0.0
    return Evidence(sentence, passage, lead, gap, hub, float(cross_lingual), overlap, small_talk,
                    whole_story, known_share, sentence - background, background)

"""Words for keyword search: tokenizing, Snowball stemming (PyStemmer), stopwords, language guess.

Passages are stemmed with their document's language and stored stemmed in FTS5; a question is
stemmed likewise, and its MATCH expression is built from quoted stems only, so no user text is
ever read as FTS5 query syntax.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import Stemmer

_WORD = re.compile(r"\w+", re.UNICODE)

STEMMERS = {"de": "german", "en": "english"}
SURE_CHARS = 200  # below this, a document's language is guessed from its stopwords
SURE_PROBABILITY = 0.8

STOPWORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        """aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei bin
        bis bist da damit dann das dass daß dem den denn der des dessen die dies diese diesem diesen
        dieser dieses doch dort du durch ein eine einem einen einer eines er es etwas euch für gegen
        gewesen hab habe haben hat hatte hätte ich ihm ihn ihnen ihr ihre im in ist ja jede jedem
        jeden jeder jedes kann kein keine können man mein mich mir mit muss nach nicht nichts noch
        nun nur ob oder ohne sehr sein seine sich sie sind so soll sollte sondern über um und uns
        unser unter viel vom von vor war waren warum was weil welche welchem welchen welcher welches
        wenn wer werden wie wieso wieviel wir wird wo wollen worden wurde wurden zu zum zur zwar
        zwischen gibt hier heute wem wen wann woher wohin""".split()
    ),
    "en": frozenset(
        """a about after all also am an and any are as at be because been before being but by can
        could did do does doing done for from had has have having he her here him his how i if in
        into is it its just me more most my no nor not now of off on once only or other our out
        over own same she should so some such than that the their them then there these they this
        those through to too under until up very was we were what when where which while who whom
        why will with would you your yours tell know say said""".split()
    ),
}


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    name = STEMMERS.get(language)
    return Stemmer.Stemmer(name) if name else None


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``."""
    return _WORD.findall(text.lower())


def cased_words(text: str) -> list[str]:
    """The word tokens of ``text`` as written."""
    return _WORD.findall(text)


def stem_words(tokens: list[str], language: str) -> list[str]:
    """Snowball stems of ``tokens`` in ``language`` (unchanged for a language without a stemmer)."""
    stemmer = _stemmer(language)
    return list(stemmer.stemWords(tokens)) if stemmer else list(tokens)


def stemmed_text(text: str, language: str) -> str:
    """The text as it is stored in the keyword index: stems separated by spaces."""
    return " ".join(stem_words(words(text), language))


def guess_language(text: str, *, sure: bool = False) -> str:
    """``"de"`` or ``"en"`` by a stopword vote over the first 20,000 characters, ``""`` when the
    vote is tied or empty. With ``sure`` (a whole document) the winner needs at least 3 votes and
    more than twice the other's."""
    tokens = words(text[:20_000])
    de = sum(t in STOPWORDS["de"] for t in tokens)
    en = sum(t in STOPWORDS["en"] for t in tokens)
    best, other = max(de, en), min(de, en)
    if best == other or (sure and (best < 3 or best <= 2 * other)):
        return ""
    return "de" if de > en else "en"


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # a second to load: only when needed

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def document_language(text: str) -> str:
    """The ISO 639-1 code of a document's language (py3langid, 97 languages), ``""`` if unsure.
    Short texts, where character statistics mislead, go by the stopword vote instead."""
    sample = text[:20_000]
    if len(sample) < SURE_CHARS:
        return guess_language(sample, sure=True)
    code, probability = _identifier().classify(sample)
    return str(code) if probability >= SURE_PROBABILITY and len(code) == 2 else ""


def match_expression(text: str, language: str) -> str | None:
    """A safe FTS5 MATCH expression: the quoted stems of the non-stopwords, OR-joined.

    Returns None when nothing searchable is left (then keyword search is skipped).
    """
    stop = STOPWORDS.get(language, frozenset())
    tokens = [t for t in words(text) if t not in stop]
    stems: list[str] = []
    for stem in stem_words(tokens, language):
        if stem and stem not in stems:
            stems.append(stem)
    if not stems:
        return None
    return " OR ".join('"' + s.replace('"', '""') + '"' for s in stems)

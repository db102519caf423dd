"""Follow-up questions: a short question that leans on the one before, read in its light.

"Wo wurde Durov festgenommen?" then "Und wann kam er wieder frei?": the second names nobody and
nothing; alone it finds whatever mentions a release. ``leans_on`` recognises such a question by
its form (it opens with "und" / "and" / "what about", points back with a pronoun or "dort" /
"there", has no content word of its own, or is a bare question of at most three words that asks
about one thing: "An welchem Tag?", "How many offences?"), never by what it is about, so a question
that stands on its own is never read as a follow-up. Small talk never is either: a message said to
the bot ("Wie geht es dir?"), a greeting or thanks, or one about the here and now ("Regnet es
morgen?", "Is it late already?"), whose "es" / "it" is the weather or the time; nor is a
question about the text itself ("What's the gist of this piece?"). A follow-up is
searched twice, alone and joined to the previous question, and ``prefer`` keeps the joined
reading only when it answers better: a better outcome, or the same outcome with more confidence.
No weights are fitted here; the word lists are German and English by hand.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .judge import content_words
from .language import words
from .models import Answer

MAX_WORDS = 9  # a follow-up is short: longer questions say what they ask about
OPENERS = frozenset(
    """und aber also oder auch noch sonst and but so or also what how about""".split()
)  # "what" / "how" only as the start of "what about" / "how about"
OPENING_PAIRS = frozenset({("what", "about"), ("how", "about"), ("und", "was"), ("und", "wie"),
                           ("und", "wann"), ("und", "wo"), ("und", "wer"), ("und", "warum")})
POINTERS = frozenset(
    """er sie ihn ihm es dort da dabei dadurch damals dazu darauf daraus darin darunter daneben
    dazwischen dagegen dafür danach davor deshalb darüber daran davon dorthin he she him it they them
    there then that this those these""".split()
)  # not possessives: "seine Erklärung" / "his statement" is said of someone the question names
LOOSE = frozenset(
    """genau besonders außerdem noch sonst eigentlich wirklich dann exactly especially else also
    really then well many much against""".split()
)  # words that carry no content in a follow-up ("Wo besonders?", "Where exactly?")
BARE_WORDS = 3  # "An welchem Tag?": a question word and the one thing asked about
ASKING = frozenset(
    """wann wo wer wen wem wessen was wie warum wieso weshalb wozu woher wohin welche welcher welches
    welchen welchem when where who whom whose what which why how""".split()
)
ADDRESSING = frozenset("du dich dir dein deine euch you your yours".split())  # said to the bot: small talk
SMALL_TALK = frozenset(
    """hi hello hallo hey moin servus tschüss bye ciao danke thanks thank today tonight tomorrow
    weekend heute morgen wochenende spät late weather wetter rain regen regnet snow schnee""".split()
)  # greetings, thanks, and the here and now ("Regnet es morgen?", "Is it late?"): its "es" / "it"
# stands for the weather or the time, not for what the previous question was about
THE_TEXT = frozenset(
    """article artikel story piece text texte news noticia meldung nachricht nachrichten""".split()
)  # "What's the gist of this piece?": "this" is the text itself, not the previous subject
PERSONAL = frozenset("er sie ihn ihm es he she him it they them".split())  # replaced by the name
# German "das" / "dies" stands for something said before when no noun follows it: nouns are
# capitalised, so "Was macht das für Kriminelle leichter?" points back, "das Unternehmen" does not;
# nor does an article before an inflected adjective and its noun ("das stationäre Programm") or a
# relative pronoun after a comma ("…, das die Universität betreibt")
_DEMONSTRATIVE = re.compile(
    r"(?<!,)(?<!, )\b(?:das|dies|dieses)\b"
    r"(?!\s+(?!(?:über|unter|hinter|neben|zwischen|wegen|gegen|oder|aber)\s)"  # prepositions that
    r"[a-zäöüß]+(?:e|en|er|es|em)\s+[A-ZÄÖÜ])"  # end like adjectives; not: article, adjective, noun
    r"(?=\s*(?:[^\w\s]|$)|\s+[a-zäöüß])")
_PERSONAL = re.compile(r"\b(?:" + "|".join(sorted(PERSONAL)) + r")\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-ZÄÖÜ][\w-]*\w")
_RANK = {"answer": 3, "unsure": 2, "not_found": 1, "small_talk": 0}


def leans_on(question: str) -> bool:
    """True if ``question`` reads as a follow-up to the one before it."""
    tokens = words(question)
    if not tokens or len(tokens) > 2 * MAX_WORDS or (ADDRESSING | SMALL_TALK | THE_TEXT) & set(tokens):
        return False  # said to the bot, about the here and now, or about the text itself
    opens = tokens[0] in OPENERS and (tokens[0] not in ("what", "how") or tuple(tokens[:2]) in OPENING_PAIRS)
    if opens:  # "Und …" / "And …" continues, however long
        return True
    if len(tokens) > MAX_WORDS:
        return False
    return (any(t in POINTERS for t in tokens) or bool(_DEMONSTRATIVE.search(question))
            or not own_words(question) or bare(question))


def about_the_text(question: str) -> bool:
    """True if ``question`` names the text itself ("Who wrote this article?")."""
    return not THE_TEXT.isdisjoint(words(question))


def bare(question: str) -> bool:
    """True for a bare question: at most ``BARE_WORDS`` words, a question mark, a question word and
    at most one content word, not said to the bot ("An welchem Tag?", "Against which threat?")."""
    tokens = words(question)
    own = [w for w in content_words(question) if w not in LOOSE]
    return (0 < len(tokens) <= BARE_WORDS and question.rstrip().endswith("?") and len(own) <= 1
            and any(t in ASKING for t in tokens) and not ADDRESSING & set(tokens))


def names(text: str) -> list[str]:
    """The capitalised words of ``text`` after its first word: who or what it names."""
    found = _NAME.findall(text)
    return list(dict.fromkeys(w for i, w in enumerate(found) if i or not text.lstrip().startswith(w)))


def readings(previous: str, question: str) -> list[str]:
    """The follow-up read with the question before it: its pronouns replaced by the names the
    previous question used ("Was hat er gesagt?" -> "Was hat Durov gesagt?"), and the follow-up
    with the previous question's content words added (for "Und wann?", which has no pronoun)."""
    out = []
    named = names(previous)
    if named and any(t in PERSONAL for t in words(question)):
        swap = " ".join(named)
        out.append(_PERSONAL.sub(lambda m: swap, question.strip()))
    about = " ".join(dict.fromkeys(content_words(previous)))
    if about:
        out.append(f"{question.strip()} ({about})")
    return out


def own_words(question: str) -> list[str]:
    """The content words a question brings itself, beyond pointers and filler."""
    return [w for w in content_words(question) if w not in LOOSE and w not in POINTERS]


def _rank(answer: Answer) -> int:
    # a follow-up leans on something said before: read as "the whole story" it was misread
    return _RANK["not_found"] if answer.whole_story else _RANK.get(answer.outcome, 0)


def prefer(reading: Answer, best: Answer) -> bool:
    """True if ``reading`` answers better than ``best`` so far: a better outcome, or the same
    outcome (one that shows passages) with more confidence."""
    a, b = _rank(reading), _rank(best)
    if a != b:
        return a > b
    return a >= _RANK["unsure"] and reading.confidence > best.confidence


def near_previous(answer: Answer, previous_passage: int | None, alone: Answer) -> Answer:
    """When the follow-up alone is weak (not an answer) and the previous answer's passage is among
    the best reading's candidates, that passage comes first: a follow-up most often asks about the
    same place. A reading that was sure of another passage becomes "not sure" then, showing both."""
    if previous_passage is None or _rank(alone) == _RANK["answer"]:
        return answer
    ids = [h.passage_id for h in answer.hits]
    if previous_passage not in ids[1:]:
        return answer
    at = ids.index(previous_passage)
    hits = (answer.hits[at], *answer.hits[:at], *answer.hits[at + 1 :])
    return replace(answer, hits=hits, outcome="unsure", answered=False)

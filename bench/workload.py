"""What the benchmark asks and indexes: the story's question set, and synthetic German-like text.

Synthetic documents are made of the story's own words, drawn with the story's word frequencies into
sentences of 8-18 words, two to four sentences per paragraph (one passage each); one word in five is
a German-style compound of two of the story's nouns ("Telegramplattform"), which gives the text a
long tail of rare words as real corpora have. German in vocabulary and shape, not in meaning: good
for sizes, timings and keyword search, not for quality.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORY_DIR = ROOT / "corpus"
QUESTIONS = ROOT / "tests" / "data" / "story_questions.jsonl"
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
PARAGRAPHS_PER_DOCUMENT = 500
COMPOUND_SHARE = 0.2


def questions(path: Path = QUESTIONS) -> list[tuple[str, str]]:
    """(question, language) pairs: the story's answerable and off-topic questions, in file order."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append((str(item["question"]), str(item.get("lang", "en"))))
    return out


def vocabulary(folder: Path = STORY_DIR) -> Counter[str]:
    """Word frequencies of the story's text files."""
    counts: Counter[str] = Counter()
    for path in sorted(folder.glob("*.txt")):
        counts.update(_WORD.findall(path.read_text(encoding="utf-8")))
    return counts


class TextMaker:
    """Deterministic German-like sentences and paragraphs from a word-frequency table."""

    def __init__(self, counts: Counter[str], seed: int = 7) -> None:
        self._words = list(counts)
        self._weights = [float(c) for c in counts.values()]
        self._nouns = [w for w in counts if w[:1].isupper() and len(w) > 3] or self._words
        self._rng = random.Random(seed)

    def _word(self) -> str:
        if self._rng.random() < COMPOUND_SHARE:
            first, second = self._rng.choice(self._nouns), self._rng.choice(self._nouns)
            return first + second.lower()
        return self._rng.choices(self._words, self._weights)[0]

    def sentence(self) -> str:
        text = " ".join(self._word() for _ in range(self._rng.randint(8, 18)))
        return text[0].upper() + text[1:] + self._rng.choice(".....?!")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self._rng.randint(2, 4)))

    def question(self) -> str:
        words = [self._word() for _ in range(self._rng.randint(4, 9))]
        return " ".join(words).capitalize() + "?"


def write_corpus(folder: Path, passages: int, seed: int = 7) -> int:
    """Write synthetic documents holding ``passages`` paragraphs into ``folder``; returns the count
    of documents. Existing synthetic files there are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("synthetic-*"):
        old.unlink()
    maker = TextMaker(vocabulary(), seed)
    documents = 0
    for start in range(0, passages, PARAGRAPHS_PER_DOCUMENT):
        count = min(PARAGRAPHS_PER_DOCUMENT, passages - start)
        text = "\n\n".join(maker.paragraph() for _ in range(count))
        name = f"synthetic-{documents + 1:05d}"
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
        (folder / f"{name}.toml").write_text(
            f'title = "Synthetischer Text {documents + 1}"\nsource = "benchmark"\nlanguage = "de"\n',
            encoding="utf-8",
        )
        documents += 1
    return documents

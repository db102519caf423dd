"""Passages: sentence splitting (German rules) and paragraph / sentence-window chunking."""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.fakes import FakeEmbedder

from index import chunking
from index.chunking import Chunk, chunk_text, paragraph_spans, split_sentences
from index.documents import load_document

STORY = Path(__file__).resolve().parent.parent / "corpus" / "durov-telegram.de.txt"


def words(text: str) -> int:
    return len(text.split())


def sentences_of(text: str, language: str = "de") -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, language)]


def check_chunks(text: str, chunks: list[Chunk], count: Callable[[str], int], limit: int) -> None:
    """Offsets point into ``text``, every chunk fits, and no word of ``text`` is lost."""
    for chunk in chunks:
        assert text[chunk.start : chunk.start + len(chunk.text)] == chunk.text
        assert count(chunk.text) <= limit
        assert chunk.sentences and chunk.sentences[0][0] == 0 and chunk.sentences[-1][1] == len(chunk.text)
        for s, e in chunk.sentences:
            sentence = text[chunk.start + s : chunk.start + e]
            assert sentence == chunk.text[s:e] and sentence == sentence.strip() and sentence
    covered = bytearray(len(text))
    for chunk in chunks:
        for s, e in chunk.sentences:
            covered[chunk.start + s : chunk.start + e] = b"\x01" * (e - s)
    assert [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]] == []


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "de",
            "Das gilt z. B. für Obst. Dr. Müller kam am 3. Oktober an. Es gibt u. a. Äpfel bzw. Birnen.",
            [
                "Das gilt z. B. für Obst.",
                "Dr. Müller kam am 3. Oktober an.",
                "Es gibt u. a. Äpfel bzw. Birnen.",
            ],
        ),
        (
            "de",
            "Der Preis stieg um 3,5 Prozent auf 6.500 Euro. Danach fiel er.",
            ["Der Preis stieg um 3,5 Prozent auf 6.500 Euro.", "Danach fiel er."],
        ),
        (
            "de",
            "Er sagte: „Das ist gut. Wir bleiben.“ Dann ging er.",
            ["Er sagte: „Das ist gut. Wir bleiben.“", "Dann ging er."],
        ),
        (
            "de",
            "Siehe https://example.com/a.b?c=1&d=2. Oder schreib an info@example.de! Ende.",
            ["Siehe https://example.com/a.b?c=1&d=2.", "Oder schreib an info@example.de!", "Ende."],
        ),
        ("de", "  Nur ein Satz ohne Punkt  ", ["Nur ein Satz ohne Punkt"]),
        (
            "en",
            "Mr. Smith arrived at 3 p.m. today. He left.",
            ["Mr. Smith arrived at 3 p.m. today.", "He left."],
        ),
    ],
)
def test_split_sentences_handles_german_abbreviations_numbers_quotes(
    language: str, text: str, expected: list[str]
) -> None:
    assert sentences_of(text, language) == expected


def test_split_sentences_unsupported_language_falls_back() -> None:
    assert sentences_of("Ceci est une phrase. Une autre.", "pt-BR") == ["Ceci est une phrase.", "Une autre."]
    assert split_sentences("   \n ") == []


def test_story_sentences_keep_numbers_and_quotes() -> None:
    text = load_document(STORY).text
    sentences = sentences_of(text)
    numbers = [s for s in sentences if "6.500" in s]
    assert len(numbers) == 1 and "3,5 Millionen" in numbers[0] and numbers[0].endswith("in 90 Ländern.")
    quote = next(s for s in sentences if s.startswith("„Auf Anfrage"))
    assert quote.endswith("umzugehen“, schrieb er.")
    assert all(s.count("„") == s.count("“") for s in sentences)


def test_story_chunks_follow_its_paragraphs() -> None:
    text = load_document(STORY).text
    count = FakeEmbedder().count_tokens
    chunks = chunk_text(text, count, max_tokens=256)
    assert [c.paragraph for c in chunks] == list(range(1, 15))
    assert all(c.window == 0 for c in chunks)
    assert [c.text for c in chunks] == text.split("\n\n")
    check_chunks(text, chunks, count, 256)


def test_paragraph_numbering_skips_empty_blocks() -> None:
    text = "\n\n  Erster Absatz.\n  \n\n\t\nZweiter\nAbsatz.  \n\n"
    chunks = chunk_text(text, words, max_tokens=50)
    assert [(c.paragraph, c.text) for c in chunks] == [(1, "Erster Absatz."), (2, "Zweiter\nAbsatz.")]
    assert paragraph_spans(text) == [(c.start, c.start + len(c.text)) for c in chunks]
    assert chunk_text(" \n\n ", words, max_tokens=50) == []


def test_long_paragraph_becomes_overlapping_windows() -> None:
    sentences = [f"Satz Nummer {i} hat genau sieben Wörter." for i in range(10)]
    text = "Kurz.\n\n" + " ".join(sentences)
    chunks = chunk_text(text, words, max_tokens=21, overlap=1)
    long = [c for c in chunks if c.paragraph == 2]
    assert [c.window for c in long] == list(range(len(long)))
    assert [c.text for c in long] == [
        " ".join(sentences[0:3]),
        " ".join(sentences[2:5]),
        " ".join(sentences[4:7]),
        " ".join(sentences[6:9]),
        " ".join(sentences[8:10]),
    ]
    check_chunks(text, chunks, words, 21)


def test_overlap_zero_shares_nothing_and_two_shares_two() -> None:
    names = "eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf".split()
    text = " ".join(f"Das ist Satz {name}." for name in names)
    none = chunk_text(text, words, max_tokens=12, overlap=0)
    assert [len(c.sentences) for c in none] == [3, 3, 3, 3]
    two = chunk_text(text, words, max_tokens=16, overlap=2)
    for prev, nxt in zip(two, two[1:], strict=False):
        shared = [prev.text[s:e] for s, e in prev.sentences[-2:]]
        assert [nxt.text[s:e] for s, e in nxt.sentences[:2]] == shared


def test_sentence_longer_than_limit_is_cut_at_words() -> None:
    giant = " ".join(f"wort{i}" for i in range(50)) + "."
    text = f"Vorher kurz. {giant} Nachher kurz."
    chunks = chunk_text(text, words, max_tokens=8, overlap=1)
    check_chunks(text, chunks, words, 8)
    assert max(words(c.text) for c in chunks) == 8


def test_word_longer_than_limit_is_cut_by_characters() -> None:
    count = FakeEmbedder().count_tokens  # "a-a-a-..." is many tokens in one word
    text = "Anfang. " + "-".join("a" * 40) + " Ende."
    chunks = chunk_text(text, count, max_tokens=5, overlap=0)
    check_chunks(text, chunks, count, 5)


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_text("Text.", words, max_tokens=0)
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("Text.", words, max_tokens=5, overlap=-1)


VOCABULARY = (
    "Telegram Durov Behörden z. B. Dr. 6.500 3,5 am 3. Oktober „Zitat“ https://t.me/x?y=1 "
    "bzw. u. a. Paris-Le Bourget Datenschutz! Sicherheit? Ja. Nein; e-mail@ex.de"
).split()


@pytest.mark.parametrize("seed", range(25))
def test_chunks_cover_text_within_limit_on_random_input(seed: int) -> None:
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(rng.randint(1, 6)):
        sentences = [
            " ".join(rng.choices(VOCABULARY, k=rng.randint(1, 40))) + rng.choice([".", "!", "?", ""])
            for _ in range(rng.randint(1, 12))
        ]
        paragraphs.append(rng.choice([" ", "\n", "  "]).join(sentences))
    text = rng.choice(["\n\n", "\n \n", "\n\n\n"]).join(paragraphs)
    limit = rng.randint(3, 60)
    count = rng.choice([words, FakeEmbedder().count_tokens])
    chunks = chunk_text(text, count, max_tokens=limit, overlap=rng.randint(0, 3))
    check_chunks(text, chunks, count, limit)
    assert sorted({c.paragraph for c in chunks}) == list(range(1, len(paragraphs) + 1))


def test_split_sentences_is_safe_across_threads() -> None:
    texts = [f"Satz {'eins ' * i}hier. Dr. Müller sagt „ja“. Ende {i}a." for i in range(40)]
    expected = [split_sentences(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(split_sentences, texts)) == expected


def test_long_text_is_segmented_in_slices_with_the_same_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    text = " ".join(load_document(STORY).text.split())
    whole = split_sentences(text)
    monkeypatch.setattr(chunking, "SPLIT_SLICE", 700)
    assert split_sentences(text) == whole
    run_on = "wort " * 400  # one sentence longer than a slice is cut at a space, nothing lost
    pieces = [run_on[s:e] for s, e in split_sentences(run_on)]
    assert len(pieces) > 1 and " ".join(pieces).split() == run_on.split()

"""Paragraphs -> passages: a paragraph is one passage, a long one becomes overlapping sentence windows.

Sentences come from pysbd (rule-based, with German abbreviations, ordinals, numbers and quotes).
Every offset points into the original text: ``text[c.start + s : c.start + e]`` is a sentence of
chunk ``c``, so the bot can highlight it. Nothing is dropped: a sentence longer than the model's
limit is cut at word boundaries (a word longer than the limit, at characters).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pysbd
from pysbd.languages import LANGUAGE_CODES

log = logging.getLogger("index.chunking")

_PARAGRAPH = re.compile(r"(?:[^\n]|\n(?![ \t\u00a0]*\n))+")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"“”„«»]+|[\w.+-]+@[\w-]+\.[\w.-]+")
_WORD = re.compile(r"\S+")
SPLIT_SLICE = 8000  # pysbd slows down quadratically: long texts are segmented slice by slice
_local = threading.local()  # pysbd keeps state on the segmenter: one per thread and language


@dataclass(frozen=True)
class Chunk:
    """A passage of a document's text."""

    paragraph: int  # 1-based number among the non-empty paragraphs
    window: int  # 0 for a whole paragraph, else 0.. for its sentence windows
    text: str
    sentences: tuple[tuple[int, int], ...]  # (start, end) of each sentence within ``text``
    start: int  # offset of ``text`` within the document text


def _segmenter(language: str) -> pysbd.Segmenter:
    code = language.lower().split("-")[0].split("_")[0]
    code = code if code in LANGUAGE_CODES else "en"
    cache: dict[str, pysbd.Segmenter] = _local.__dict__.setdefault("segmenters", {})
    if code not in cache:
        cache[code] = pysbd.Segmenter(language=code, clean=False, char_span=True)
    return cache[code]


def _mask_urls(text: str) -> str:
    """Same length, but links and e-mail addresses hold no sentence punctuation."""

    def mask(match: re.Match[str]) -> str:
        url = match.group().rstrip(".,;:!?)]}'")
        return "x" * len(url) + match.group()[len(url) :]

    return _URL.sub(mask, text)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _sentence_ends(text: str, language: str) -> list[int]:
    segmenter = _segmenter(language)
    masked = _mask_urls(text)
    ends: list[int] = []
    start = 0
    while start < len(text):
        end = min(start + SPLIT_SLICE, len(text))
        found = [start + span.end for span in segmenter.segment(masked[start:end])]
        if end == len(text):
            next_start = end
        elif len(found) > 1:
            found.pop()  # the slice's last sentence may be cut off: segment it again with what follows
            next_start = found[-1]
        else:  # one sentence longer than a slice: end it at the slice's last space
            space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            next_start = space if space > start else end
            found = [next_start]
        ends.extend(found)
        start = next_start
    return ends


def split_sentences(text: str, language: str = "de") -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, surrounding whitespace trimmed; covers all text."""
    if not text.strip():
        return []
    try:
        ends = sorted(set(_sentence_ends(text, language)))
    except Exception:  # a splitter bug must not lose a document: keep the text as one sentence
        log.warning("sentence splitter failed on %d characters; kept as one sentence", len(text))
        ends = []
    bounds = [0, *(end for end in ends if 0 < end < len(text)), len(text)]
    spans = (_trim(text, a, b) for a, b in zip(bounds, bounds[1:], strict=False))
    return [span for span in spans if span is not None]


def _fit(text: str, start: int, end: int, count: Callable[[str], int], limit: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into pieces of at most ``limit`` tokens, at spaces where possible."""
    words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        a, b = words[i]
        if count(text[a:b]) > limit:  # one word over the limit: cut it by characters
            cut = b
            while cut - a > 1 and count(text[a:cut]) > limit:
                cut = a + (cut - a) // 2
            pieces.append((a, cut))
            words[i] = (cut, b)
            continue
        j = i + 1
        while j < len(words) and count(text[a : words[j][1]]) <= limit:
            j += 1
        pieces.append((a, words[j - 1][1]))
        i = j
    return pieces


def _windows(
    text: str, spans: list[tuple[int, int]], count: Callable[[str], int], limit: int, overlap: int
) -> list[tuple[int, int]]:
    """Index ranges [i, j) of consecutive sentences, each within ``limit``, sharing ``overlap``."""
    windows: list[tuple[int, int]] = []
    first_new = 0
    while first_new < len(spans):
        i = first_new
        for back in range(min(overlap, first_new), 0, -1):
            if count(text[spans[first_new - back][0] : spans[first_new][1]]) <= limit:
                i = first_new - back
                break
        j = first_new + 1
        while j < len(spans) and count(text[spans[i][0] : spans[j][1]]) <= limit:
            j += 1
        windows.append((i, j))
        first_new = j
    return windows


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty paragraph (blocks separated by blank lines), trimmed."""
    spans = (_trim(text, m.start(), m.end()) for m in _PARAGRAPH.finditer(text))
    return [span for span in spans if span is not None]


def chunk_text(
    text: str,
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap: int = 1,
    language: str = "de",
) -> list[Chunk]:
    """Passages of ``text``: one per paragraph, or sentence windows of at most ``max_tokens``."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if overlap < 0:
        raise ValueError(f"overlap must not be negative, got {overlap}")
    chunks: list[Chunk] = []
    for number, (p_start, p_end) in enumerate(paragraph_spans(text), start=1):
        para = text[p_start:p_end]
        sentences = split_sentences(para, language)
        if count_tokens(para) <= max_tokens:
            chunks.append(Chunk(number, 0, para, tuple(sentences), p_start))
            continue
        pieces: list[tuple[int, int]] = []
        for s, e in sentences:
            fits = count_tokens(para[s:e]) <= max_tokens
            pieces.extend([(s, e)] if fits else _fit(para, s, e, count_tokens, max_tokens))
        for window, (i, j) in enumerate(_windows(para, pieces, count_tokens, max_tokens, overlap)):
            w_start, w_end = pieces[i][0], pieces[j - 1][1]
            local = tuple((s - w_start, e - w_start) for s, e in pieces[i:j])
            chunks.append(Chunk(number, window, para[w_start:w_end], local, p_start + w_start))
    return chunks

"""Inline mode: ``@botname question`` in any chat offers the story's best passages as results.

Each result is an article: title = document title and paragraph, description = the answering
sentence, message = the passage (answering sentence in bold) with its source, as escaped HTML.
Answers are cached briefly per normalized query text, because clients send a query per keystroke;
Telegram caches the results on its side for ``CACHE_SECONDS`` as well.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from telegram import InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent
from telegram.constants import ParseMode

from index import Answer, Hit

from . import render
from .i18n import text
from .render import Span

CACHE_SECONDS = 30  # Telegram's cache_time for our results
MAX_QUERY_CHARS = 1000  # longer inline queries are cut before searching
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 200
MAX_MESSAGE_CHARS = 3800  # below Telegram's 4096 after the source line is added
START_PARAMETER = "inline"


def normalize(query: str) -> str:
    """The cache key of a query: case-folded, whitespace collapsed, cut to MAX_QUERY_CHARS."""
    return " ".join(query.split())[:MAX_QUERY_CHARS].casefold()


class AnswerCache:
    """A small in-process TTL cache of answers by normalized query text."""

    def __init__(
        self, ttl: float = CACHE_SECONDS, max_entries: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, Answer]] = OrderedDict()

    def get(self, key: str) -> Answer | None:
        item = self._items.get(key)
        if item is None:
            return None
        if self._clock() - item[0] >= self.ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: str, answer: Answer) -> None:
        self._items[key] = (self._clock(), answer)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


def _shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def passage_html(hit: Hit, lang: str) -> str:
    """The passage with its answering sentence in bold, then its source; all of it escaped."""
    body = hit.text if len(hit.text) <= MAX_MESSAGE_CHARS else render.shorten(hit.text, MAX_MESSAGE_CHARS)
    start, end = hit.highlight if hit.highlight[1] <= len(body) else (0, 0)
    passage = tuple(
        span
        for span in (Span(body[:start]), Span(body[start:end], bold=True), Span(body[end:]))
        if span.text.strip()
    )
    source = (Span(text(lang, "source_prefix") + " "), *render.source_spans(
        hit.title, hit.source, hit.url, hit.paragraph, lang
    ))
    return render.to_html([passage, source])


def inline_results(answer: Answer, lang: str) -> list[InlineQueryResultArticle]:
    """One article per hit of an answered question; none when the story does not answer it."""
    if not answer.answered:
        return []
    return [
        InlineQueryResultArticle(
            id=str(hit.passage_id),
            title=_shorten(f"{hit.title} · {text(lang, 'paragraph', number=hit.paragraph)}", MAX_TITLE_CHARS),
            description=_shorten(hit.sentence or hit.text, MAX_DESCRIPTION_CHARS),
            input_message_content=InputTextMessageContent(
                passage_html(hit, lang), parse_mode=ParseMode.HTML
            ),
        )
        for hit in answer.hits
    ]


def hint_button(lang: str, key: str, **values: object) -> InlineQueryResultsButton:
    """The button above the results: a hint that opens a private chat with the bot."""
    label = _shorten(text(lang, key, **values), 64)
    return InlineQueryResultsButton(text=label, start_parameter=START_PARAMETER)

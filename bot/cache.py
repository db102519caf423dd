"""A small in-process TTL cache of answers by normalized question text (inline mode).

Clients send an inline query per keystroke and people repeat each other's questions, so answers
are kept for ``CACHE_SECONDS``; the cache is cleared when documents are added or removed.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from index import Answer

CACHE_SECONDS = 30
MAX_QUERY_CHARS = 1000  # longer queries are cut before searching


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

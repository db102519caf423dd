"""A small in-process TTL cache of answers by serving index version and normalized question text
(inline mode).

Clients send an inline query per keystroke and people repeat each other's questions, so answers
are kept for ``CACHE_SECONDS``. The key includes the version of the index generation that
answered, so a reload, an upload or a removal (each a new generation) never serves an old answer.
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
    """Answers by (index version, normalized query text), each kept ``ttl`` seconds."""

    def __init__(
        self, ttl: float = CACHE_SECONDS, max_entries: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._items: OrderedDict[tuple[str, str], tuple[float, Answer]] = OrderedDict()

    def get(self, version: str, query: str) -> Answer | None:
        """The cached answer to ``query`` from index ``version``, if it is fresh."""
        key = (version, normalize(query))
        item = self._items.get(key)
        if item is None:
            return None
        if self._clock() - item[0] >= self.ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, version: str, query: str, answer: Answer) -> None:
        key = (version, normalize(query))
        self._items[key] = (self._clock(), answer)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

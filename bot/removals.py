"""One-time tokens for the ``/remove`` confirm button.

``/remove <id>`` issues a token bound to the admin who asked and the document; the confirm
button carries only the token. Pressing it works once, for that admin, within ``ttl`` seconds;
anyone else pressing it is refused and the token stays valid for its owner.

``RemovalTokens`` keeps them in this process's memory; ``SharedRemovalTokens`` in PostgreSQL
(``[store] url``), so a button shown by one replica can be confirmed through another.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TOKEN_SECONDS = 600.0


@dataclass(frozen=True)
class Pending:
    admin_id: int
    doc_id: str
    issued: float


class RemovalTokens:
    """Pending removals by token."""

    def __init__(self, ttl: float = TOKEN_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._pending: dict[str, Pending] = {}

    async def issue(self, admin_id: int, doc_id: str) -> str:
        self._expire()
        token = secrets.token_urlsafe(9)  # 12 URL-safe characters
        self._pending[token] = Pending(admin_id, doc_id, self._clock())
        return token

    async def peek(self, token: str) -> Pending | None:
        """The pending removal, or None if the token is unknown, used or expired."""
        self._expire()
        return self._pending.get(token)

    async def take(self, token: str, user_id: int) -> str | None:
        """Consume the token and return its document id, if ``user_id`` is the admin who asked."""
        pending = await self.peek(token)
        if pending is None or pending.admin_id != user_id:
            return None
        del self._pending[token]
        return pending.doc_id

    def _expire(self) -> None:
        now = self._clock()
        for token in [t for t, p in self._pending.items() if now - p.issued >= self.ttl]:
            del self._pending[token]


class SharedRemovalTokens:
    """The same tokens in PostgreSQL's ``removal_tokens`` table (``querylog.PG_MIGRATIONS``)."""

    def __init__(self, pool: Any, ttl: float = TOKEN_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._pool, self.ttl, self._clock = pool, ttl, clock

    async def issue(self, admin_id: int, doc_id: str) -> str:
        token, now = secrets.token_urlsafe(9), self._clock()
        await self._pool.execute("DELETE FROM removal_tokens WHERE issued <= $1", now - self.ttl)
        await self._pool.execute("INSERT INTO removal_tokens (token, admin_id, doc_id, issued)"
                                 " VALUES ($1, $2, $3, $4)", token, admin_id, doc_id, now)
        return token

    async def peek(self, token: str) -> Pending | None:
        row = await self._pool.fetchrow("SELECT admin_id, doc_id, issued FROM removal_tokens WHERE token = $1"
                                        " AND issued > $2", token, self._clock() - self.ttl)
        return Pending(int(row[0]), str(row[1]), float(row[2])) if row else None

    async def take(self, token: str, user_id: int) -> str | None:
        row = await self._pool.fetchrow("DELETE FROM removal_tokens WHERE token = $1 AND admin_id = $2"
                                        " AND issued > $3 RETURNING doc_id", token, user_id,
                                        self._clock() - self.ttl)
        return str(row[0]) if row else None

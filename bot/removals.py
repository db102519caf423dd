"""One-time tokens for the ``/remove`` confirm button.

``/remove <id>`` issues a token bound to the admin who asked and the document; the confirm
button carries only the token. Pressing it works once, for that admin, within ``ttl`` seconds;
anyone else pressing it is refused and the token stays valid for its owner.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

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

    def issue(self, admin_id: int, doc_id: str) -> str:
        self._expire()
        token = secrets.token_urlsafe(9)  # 12 URL-safe characters
        self._pending[token] = Pending(admin_id, doc_id, self._clock())
        return token

    def peek(self, token: str) -> Pending | None:
        """The pending removal, or None if the token is unknown, used or expired."""
        self._expire()
        return self._pending.get(token)

    def take(self, token: str, user_id: int) -> str | None:
        """Consume the token and return its document id, if ``user_id`` is the admin who asked."""
        pending = self.peek(token)
        if pending is None or pending.admin_id != user_id:
            return None
        del self._pending[token]
        return pending.doc_id

    def _expire(self) -> None:
        now = self._clock()
        for token in [t for t, p in self._pending.items() if now - p.issued >= self.ttl]:
            del self._pending[token]

"""Fair use: a per-user sliding-window limit on questions.

A user may ask ``per_minute`` questions in any 60-second window; the next one is refused with the
number of seconds until the oldest question in the window leaves it. Admins are never limited
(the caller does not ask the limiter for them). The clock is injectable so tests are exact.

``RateLimiter`` keeps the window in this process's memory (one replica); ``SharedRateLimiter``
keeps it in PostgreSQL (``[store] url``), so the limit holds across replicas: each check runs in
one transaction under an advisory lock on the user, on the wall clock all replicas share.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

WINDOW_SECONDS = 60.0
LOCK_CLASS = 4242002  # advisory lock namespace of the rate limit (the user id is the second key)


class Limiter(Protocol):
    async def wait(self, user_id: int) -> int:
        """Record a question and return 0, or return the whole seconds to wait (not recorded)."""
        ...


class RateLimiter:
    """Counts each user's questions in the last ``window`` seconds."""

    def __init__(
        self,
        per_minute: int,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 100_000,
    ) -> None:
        if per_minute < 0:
            raise ValueError("questions_per_minute must not be negative")
        self.per_minute = per_minute  # 0 switches the limit off
        self.window = window
        self._clock = clock
        self._max_users = max_users
        self._seen: dict[int, deque[float]] = {}

    def wait_seconds(self, user_id: int) -> int:
        """Record a question and return 0, or return the whole seconds to wait (not recorded)."""
        if self.per_minute == 0:
            return 0
        now = self._clock()
        times = self._seen.get(user_id)
        if times is None:
            if len(self._seen) >= self._max_users:
                self._forget_idle(now)
            times = self._seen[user_id] = deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.per_minute:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        return 0

    def _forget_idle(self, now: float) -> None:
        """Drop users whose questions have all left the window, so memory stays bounded."""
        for user_id in [u for u, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[user_id]

    async def wait(self, user_id: int) -> int:
        return self.wait_seconds(user_id)


class SharedRateLimiter:
    """The same sliding window, in PostgreSQL's ``rate_events`` table (``querylog.PG_MIGRATIONS``)."""

    def __init__(self, pool: Any, per_minute: int, *, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        if per_minute < 0:
            raise ValueError("questions_per_minute must not be negative")
        self._pool, self.per_minute, self.window, self._clock = pool, per_minute, window, clock

    async def wait(self, user_id: int) -> int:
        if self.per_minute == 0:
            return 0
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", LOCK_CLASS, user_id % 2_147_483_647)
            await conn.execute("DELETE FROM rate_events WHERE user_id = $1 AND at <= $2", user_id,
                               now - self.window)
            count, oldest = await conn.fetchrow(
                "SELECT count(*), min(at) FROM rate_events WHERE user_id = $1", user_id)
            if count >= self.per_minute:
                return max(1, math.ceil(oldest + self.window - now))
            await conn.execute("INSERT INTO rate_events (user_id, at) VALUES ($1, $2)", user_id, now)
            if user_id % 64 == int(now) % 64:  # now and then, drop every user's expired entries
                await conn.execute("DELETE FROM rate_events WHERE at <= $1", now - self.window)
        return 0

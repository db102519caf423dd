"""Fair use: a per-user sliding-window limit on questions.

A user may ask ``per_minute`` questions in any 60-second window; the next one is refused with the
number of seconds until the oldest question in the window leaves it. Admins are never limited
(the caller does not ask the limiter for them). The clock is injectable so tests are exact.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


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

"""Sending a message so that a passing fault does not lose it and no fault doubles it.

A ``sendMessage`` that fails with a 5xx, a refused connection or a timeout *before* the request went
out (connecting, or waiting for a pooled connection) cannot have been accepted, so it is sent again:
``SEND_ATTEMPTS`` in all, waiting ``BACKOFF_SECONDS``, then twice that. 429s are waited out by
python-telegram-bot's rate limiter before this code sees them. A timeout *after* the request went
out (reading the response, or writing the request) is never retried: Telegram may have accepted the
message, and the Bot API offers no way to ask, so sending it again could show the user the same
answer twice. The result is then ``UNKNOWN``, and the query log records it as such.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram import Bot, Message
from telegram.error import BadRequest, NetworkError, TimedOut

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
DELIVERED, UNKNOWN, FAILED = "yes", "unknown", "no"  # how a reply went (as the query log keeps it)


def _never_sent(error: TimedOut) -> bool:
    """True if the timeout came before the request went out (connecting, or waiting for a pooled
    connection): then Telegram cannot have accepted it."""
    return isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)


async def send_message(bot: Bot, **message: Any) -> Message | None:
    """``sendMessage`` with the retries described above: the message sent, or None when it timed
    out after it was sent (``UNKNOWN``)."""
    wait = BACKOFF_SECONDS
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await bot.send_message(**message)
        except BadRequest:  # the message itself is refused: sending it again changes nothing
            raise
        except TimedOut as exc:
            if not _never_sent(exc):
                log.warning("a reply to chat %s timed out after it was sent: not sent again",
                            message["chat_id"])
                return None
            error: NetworkError = exc
        except NetworkError as exc:  # a 5xx from the Bot API server, or no connection: not accepted
            error = exc
        if attempt == SEND_ATTEMPTS:
            raise error
        log.warning("a reply to chat %s failed (%s); attempt %d of %d in %.1f s",
                    message["chat_id"], error, attempt + 1, SEND_ATTEMPTS, wait)
        await asyncio.sleep(wait)
        wait *= 2
    raise AssertionError("unreachable")

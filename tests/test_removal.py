"""One-time tokens of the /remove confirm button."""

from __future__ import annotations

from support.fakes import Clock

from bot import callbacks
from bot.removals import RemovalTokens


async def test_token_works_once_for_its_admin() -> None:
    tokens = RemovalTokens(clock=Clock(0.0))
    token = await tokens.issue(42, "story-1a2b3c4d")
    assert callbacks.parse(callbacks.confirm_remove(token)) == callbacks.ConfirmRemove(token)
    assert await tokens.take(token, 42) == "story-1a2b3c4d"
    assert await tokens.take(token, 42) is None


async def test_other_user_cannot_use_the_token_and_it_stays_valid() -> None:
    tokens = RemovalTokens(clock=Clock(0.0))
    token = await tokens.issue(42, "doc")
    assert await tokens.take(token, 7) is None
    assert await tokens.take(token, 42) == "doc"


async def test_token_expires() -> None:
    clock = Clock(0.0)
    tokens = RemovalTokens(ttl=60, clock=clock)
    token = await tokens.issue(42, "doc")
    clock.now = 60
    assert await tokens.peek(token) is None
    assert await tokens.take(token, 42) is None


async def test_tokens_are_distinct() -> None:
    tokens = RemovalTokens(clock=Clock(0.0))
    assert len({await tokens.issue(1, "doc") for _ in range(50)}) == 50

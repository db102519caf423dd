"""One-time tokens of the /remove confirm button."""

from __future__ import annotations

from support.fakes import Clock

from bot import callbacks
from bot.removals import RemovalTokens


def test_token_works_once_for_its_admin() -> None:
    tokens = RemovalTokens(clock=Clock(0.0))
    token = tokens.issue(42, "story-1a2b3c4d")
    assert callbacks.parse(callbacks.confirm_remove(token)) == callbacks.ConfirmRemove(token)
    assert tokens.take(token, 42) == "story-1a2b3c4d"
    assert tokens.take(token, 42) is None


def test_other_user_cannot_use_the_token_and_it_stays_valid() -> None:
    tokens = RemovalTokens(clock=Clock(0.0))
    token = tokens.issue(42, "doc")
    assert tokens.take(token, 7) is None
    assert tokens.take(token, 42) == "doc"


def test_token_expires() -> None:
    clock = Clock(0.0)
    tokens = RemovalTokens(ttl=60, clock=clock)
    token = tokens.issue(42, "doc")
    clock.now = 60
    assert tokens.peek(token) is None
    assert tokens.take(token, 42) is None


def test_tokens_are_distinct() -> None:
    tokens = RemovalTokens(clock=Clock(0.0))
    assert len({tokens.issue(1, "doc") for _ in range(50)}) == 50

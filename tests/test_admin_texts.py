"""The admin side's small pure parts: captions, links in messages, and the status message."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import render
from bot.admin import LINK_ONLY, parse_caption
from bot.progress import Status, progress_text


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Neues Hallenbad | https://example.org/bad", ("Neues Hallenbad", "https://example.org/bad")),
        ("Quellenbacher Chronik https://example.org/q", ("Quellenbacher Chronik", "https://example.org/q")),
        ("https://example.org/only", (None, "https://example.org/only")),
        ("Nur ein Titel", ("Nur ein Titel", None)),
        ("  ", (None, None)),
        (None, (None, None)),
        ("Titel | ", ("Titel", None)),
    ],
)
def test_a_caption_gives_title_and_link_with_or_without_the_bar(
    caption: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert parse_caption(caption) == expected


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("https://example.org/a?b=c", "https://example.org/a?b=c"),
        ("  http://example.org/  \n", "http://example.org/"),
        ("Lies das: https://example.org/a", None),
        ("https://a.example https://b.example", None),
        ("example.org", None),
    ],
)
def test_only_a_message_that_is_just_a_link_is_taken_as_one(text: str, link: str | None) -> None:
    found = LINK_ONLY.match(text)
    assert (found.group(1) if found else None) == link


class FakeMessage:
    """A sent message that records its edits (the status edits through ``edit_text``)."""

    def __init__(self) -> None:
        self.edits: list[str] = []
        self.edited = asyncio.Event()

    async def edit_text(self, text: str, **_: Any) -> None:
        self.edits.append(text)
        self.edited.set()


async def test_status_shows_progress_from_a_worker_thread_then_the_summary() -> None:
    message = FakeMessage()
    status = Status(message, "en", interval=0.0)  # type: ignore[arg-type]
    await asyncio.to_thread(status, "reading", 3, 10)
    await asyncio.wait_for(message.edited.wait(), 5)
    assert message.edits == [progress_text("en", "reading", 3, 10)] == ["Reading page 3/10…"]
    await status.finish(render.plain_blocks("Added <it>."))
    assert message.edits[-1] == "Added &lt;it&gt;."  # the summary, escaped
    assert status.shown == message.edits

"""A status message that follows long admin work ("reading page 40/120", "embedding 300/900").

The index reports progress from its worker threads by calling the ``Status``; the status wakes a
task on the event loop, which edits the message at most once every ``interval`` seconds and only
when the text changed. ``finish`` stops it and turns the message into the final summary, so an
admin sees one message go from "working" to the result instead of a silent chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Message
from telegram.error import TelegramError

from . import i18n, render

log = logging.getLogger(__name__)


def progress_text(lang: str, stage: str, done: int, total: int) -> str:
    """``reading page 3/10`` / ``embedding 300/900 passages`` in the admin's language."""
    key = "progress_reading" if stage == "reading" else "progress_embedding"
    return i18n.text(lang, key, done=done, total=total)


class Status:
    """Edit ``message`` as progress is reported; usable from any thread."""

    def __init__(self, message: Message, lang: str, interval: float) -> None:
        self.message, self.lang, self.interval = message, lang, interval
        self.shown: list[str] = []  # every text the message was edited to, in order
        self._latest: tuple[str, int, int] | None = None
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="status message")

    def __call__(self, stage: str, done: int, total: int) -> None:
        self._latest = (stage, done, total)
        self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._latest is not None:
                await self._edit(progress_text(self.lang, *self._latest))
            await asyncio.sleep(self.interval)

    async def _edit(self, text: str, html: bool = False) -> None:
        if self.shown and self.shown[-1] == text:
            return
        try:
            await self.message.edit_text(text, parse_mode="HTML" if html else None)
            self.shown.append(text)
        except TelegramError as exc:  # a status that cannot be shown must not stop the work
            log.info("status message not edited: %s", exc)

    async def finish(self, blocks: list[render.Block]) -> None:
        """Stop following progress and show ``blocks`` (short: one message) instead."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._edit(render.to_messages(blocks, self.lang)[0], html=True)

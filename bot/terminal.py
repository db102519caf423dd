"""The bot without Telegram: a terminal chat and one-shot answers, rendered as plain text.

The index lives in one event loop (``asyncio.Runner``) for the whole chat; input is read between
questions, outside the loop, so Ctrl-C and end-of-input simply end the chat.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from index import Answer, Engine, IndexConfig

from . import i18n, render
from .app import EngineFactory

QUIT = {"quit", "exit", "bye", "tschüss", ":q"}


def terminal_language(env: dict[str, str] | None = None) -> str:
    """The language of the terminal user, from LC_ALL / LANG (de_DE.UTF-8 -> "de")."""
    env = dict(os.environ) if env is None else env
    return i18n.language(env.get("LC_ALL") or env.get("LANG"))


async def answer_text(engine: Engine, question: str, lang: str) -> str:
    """The plain-text reply to one question ("" for an empty one)."""
    return (await answer_with(engine, question, lang, None))[0]


async def answer_with(engine: Engine, question: str, lang: str,
                      previous: Answer | None) -> tuple[str, Answer | None]:
    """The reply, and the answer a follow-up may lean on next (the previous one after small talk)."""
    if not question.strip():
        return "", previous
    shown = previous.hits[0].passage_id if previous is not None and previous.hits else None
    answer = await engine.ask(question, previous=previous.question if previous else None,
                              previous_passage=shown)
    return render.render_answer_plain(answer, lang), (previous if answer.outcome == "small_talk" else answer)


def ask(config: IndexConfig, question: str, lang: str, engine_factory: EngineFactory) -> str:
    """Open the index, answer one question as plain text, close the index."""

    async def once() -> str:
        engine = await engine_factory(config)
        try:
            return await answer_text(engine, question, lang)
        finally:
            await engine.close()

    return asyncio.run(once())


def chat(
    config: IndexConfig,
    lang: str,
    engine_factory: EngineFactory,
    *,
    read: Callable[[str], str] | None = None,
    write: Callable[[str], None] | None = None,
) -> None:
    """Greet, then answer each line until end of input, Ctrl-C or "quit" (``input``/``print``
    unless other ``read``/``write`` functions are given)."""
    read, write = read or input, write or print
    with asyncio.Runner() as runner:
        engine = runner.run(engine_factory(config))
        try:
            documents = runner.run(engine.documents())
            write(render.to_plain(render.start_blocks(documents, lang)) + "\n")
            previous: Answer | None = None  # a follow-up leans on it, as in a private chat
            while True:
                try:
                    line = read("> ")
                except (EOFError, KeyboardInterrupt):
                    write("")
                    break
                if line.strip().lower() in QUIT:
                    break
                reply, previous = runner.run(answer_with(engine, line, lang, previous))
                if reply:
                    write(reply + "\n")
        finally:
            runner.run(engine.close())

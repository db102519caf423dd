"""End to end through the local Bot API stand-in: the real Application over HTTP on 127.0.0.1.

Follow-up buttons, feedback, group chats, inline mode, German/English texts, the fair-use limit,
and the admins' uploads, /remove and /stats, each with its bad inputs. The index runs with the
fake embedder and threshold 0, so every story question is answered.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botapi import BOT_USER, BotApi, Call
from telegram.ext import Application

from bot.app import build_application, running
from bot.settings import BotSettings
from index import Engine, FakeEmbedder, IndexConfig

TOKEN = "123456:feature-test-token"
ADMIN, ALICE, BOB = 1001, 2002, 3003
GROUP = -100500
QUESTION = "Wo hat Durov die Hotline mit Telegram eingerichtet?"
LIMIT = 3  # questions per minute in these tests
MAX_UPLOAD = 4096
_ids = itertools.count(1)


@pytest.fixture
async def api() -> AsyncIterator[BotApi]:
    server = BotApi(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def app(
    api: BotApi, engine_config: IndexConfig, fake_embedder: FakeEmbedder
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    settings = BotSettings(
        index=dataclasses.replace(engine_config, threshold=0.0), token=TOKEN, api_base_url=api.base_url,
        admin_ids=frozenset({ADMIN}), questions_per_minute=LIMIT, max_upload_bytes=MAX_UPLOAD,
    )

    async def open_engine(config: IndexConfig) -> Engine:
        return await Engine.open(config, fake_embedder)

    application = build_application(settings, engine_factory=open_engine)
    async with running(application, poll_timeout=1.0):
        yield application


def engine_of(app: Application) -> Engine:  # type: ignore[type-arg]
    return app.bot_data["engine"]  # type: ignore[no-any-return]


def buttons(call: Call) -> dict[str, str]:
    """Button text -> callback data of a sent message."""
    markup = call.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def press(api: BotApi, user_id: int, data: str, message: dict[str, Any], lang: str = "en") -> str:
    """Push a button press on ``message``; returns the callback query id."""
    query_id = f"cb-{next(_ids)}"
    api.push({"callback_query": {"id": query_id, "from": api.user(user_id, lang), "chat_instance": "ci",
                                 "data": data, "message": message}})
    return query_id


async def callback_answer(api: BotApi, query_id: str) -> Call:
    (call,) = await api.next_calls("answerCallbackQuery")
    assert call.params["callback_query_id"] == query_id
    return call


def inline(api: BotApi, user_id: int, query: str, lang: str = "en") -> str:
    query_id = f"iq-{next(_ids)}"
    api.push({"inline_query": {"id": query_id, "from": api.user(user_id, lang), "query": query, "offset": ""}})
    return query_id


async def ask(api: BotApi, user_id: int, text: str = QUESTION, lang: str = "en") -> Call:
    api.text(user_id, text, language_code=lang)
    (call,) = await api.next_calls("sendMessage", user_id)
    return call


async def test_answer_carries_more_context_and_feedback_buttons(api: BotApi, app: Application) -> None:  # type: ignore[type-arg]
    call = await ask(api, ALICE)
    data = buttons(call)
    assert set(data) == {"More passages", "Show context", "👍", "👎"}
    usage = app.bot_data["usage"]
    logged = await usage.question(int(data["👍"].split(":")[2]))
    assert logged is not None and logged.question == QUESTION
    assert data["Show context"] == f"1:c:{logged.id}:{logged.passage_ids[0]}"
    assert data["More passages"] == f"1:m:{logged.id}:{len(logged.passage_ids)}"

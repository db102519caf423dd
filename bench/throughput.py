"""Throughput: simulated users driving the real ``Application`` in process, over a fake HTTP layer.

``MemoryRequest`` is a ``telegram.request.BaseRequest`` that answers the Bot API methods the bot
calls from memory (no sockets). Each simulated user sends a question as an ``Update`` through
``application.process_update`` and asks the next one when the reply has been sent (a closed loop);
the figures are answers per second over a fixed time and the latency of each answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.ext import Application, ContextTypes
from telegram.request import BaseRequest, RequestData

from bot.settings import BotSettings
from index import Embedder, Engine, IndexConfig

from .report import Report, ms, percentile

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Story Bot", "username": "story_bench_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
USER_BASE = 10_000  # simulated user (and private chat) ids start here


class MemoryRequest(BaseRequest):
    """Answers sendMessage and the start-up methods in memory; counts messages per chat."""

    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()
        self.methods: Counter[str] = Counter()
        self._ids = itertools.count(1)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE, write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE, pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        self.methods[endpoint] += 1
        result: Any = True
        if endpoint == "getMe":
            result = BOT_USER
        elif endpoint == "getUpdates" or endpoint == "getMyCommands":
            result = []
        elif endpoint in ("sendMessage", "editMessageText"):
            chat_id = int(params.get("chat_id", 0))  # type: ignore[arg-type]
            self.sent[chat_id] += 1
            result = {"message_id": next(self._ids), "date": int(time.time()), "from": BOT_USER,
                      "chat": {"id": chat_id, "type": "private"}, "text": str(params.get("text", ""))}
        return 200, json.dumps({"ok": True, "result": result}).encode()


def question_update(update_id: int, user_id: int, text: str, lang: str) -> dict[str, Any]:
    """A private-chat text message update, as Telegram sends it."""
    user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": lang}
    chat = {"id": user_id, "type": "private", "first_name": f"User{user_id}"}
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": user, "text": text}
    return {"update_id": update_id, "message": message}


@dataclass
class Load:
    """What a run of ``users`` simulated users achieved."""

    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0  # questions after which no message was sent
    errors: int = 0  # errors that reached the bot's error handler

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def drive(application: Application, request: MemoryRequest, questions: Sequence[tuple[str, str]],
                users: int, seconds: float) -> Load:
    """``users`` concurrent users asking questions in a closed loop for ``seconds``."""
    load = Load(users)
    update_ids = itertools.count(1)

    async def count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        load.errors += 1

    application.add_error_handler(count_error)
    deadline = time.perf_counter() + seconds

    async def user(number: int) -> None:
        user_id = USER_BASE + number
        for text, lang in itertools.islice(itertools.cycle(questions), number, None):
            if time.perf_counter() >= deadline:
                return
            update = Update.de_json(question_update(next(update_ids), user_id, text, lang), application.bot)
            before = request.sent[user_id]
            start = time.perf_counter()
            await application.process_update(update)
            load.latencies.append(time.perf_counter() - start)
            load.unanswered += request.sent[user_id] == before

    start = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(users)))
    load.seconds = time.perf_counter() - start
    application.remove_error_handler(count_error)
    return load


async def measure(settings: BotSettings, embedder: Embedder, questions: Sequence[tuple[str, str]],
                  levels: Sequence[int], seconds: float, *, rate_limit: bool) -> list[Load]:
    """Start the bot's real ``Application`` on a ``MemoryRequest`` and drive it at each level."""
    from bot.app import build_application

    async def open_engine(config: IndexConfig) -> Engine:
        return await Engine.open(config, embedder, build_if_missing=False)

    request = MemoryRequest()
    application = build_application(settings, engine_factory=open_engine, request=request,
                                    rate_limit=rate_limit)
    await application.initialize()
    try:
        assert application.post_init is not None
        await application.post_init(application)
        await drive(application, request, questions, 4, min(2.0, seconds))  # warm-up
        return [await drive(application, request, questions, users, seconds) for users in levels]
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def section(report: Report, loads: Sequence[Load], *, limited: Load | None, target_users: int = 50,
            reference: Load | None = None) -> None:
    """Add answers/s and p95 per level to ``report``; ``reference`` is the same load on torch float32."""
    for load in loads:
        label = f"{load.users} user{'s' if load.users > 1 else ''}"
        problems = f"; {load.unanswered} unanswered, {load.errors} errors" if load.unanswered or load.errors \
            else ""
        value = f"{load.rate:.1f} answers/s"
        p50, p95 = percentile(load.latencies, 50), percentile(load.latencies, 95)
        note = f"p50 {ms(p50)}, p95 {ms(p95)}" + problems
        if load.users == target_users and reference is not None:
            ratio = load.rate / reference.rate
            report.target("throughput", label, value, ">= 2 x torch", ratio >= 2,
                          f"{ratio:.2f} x torch's {reference.rate:.1f} answers/s; " + note)
        elif load.users == target_users:
            report.target("throughput", label, value, ">= 200 answers/s", load.rate >= 200, note)
        else:
            report.add("throughput", label, value, note)
    if limited is not None:
        report.add("throughput", f"{limited.users} users, Telegram flood limit on",
                   f"{limited.rate:.1f} answers/s",
                   f"p95 {ms(percentile(limited.latencies, 95))}; AIORateLimiter: 30 messages/s per bot "
                   "caps what Telegram delivers; the figures above are headroom")

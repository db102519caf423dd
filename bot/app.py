"""The Telegram application: built from the settings, with the one handler table, the index and
the query log opened at start-up (``post_init``) and closed at shutdown (``post_shutdown``).

    application = build_application(load_settings())
    application.run_polling()          # or, in tests and benchmarks:
    async with running(application): ...
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    MessageReactionHandler,
    Updater,
    filters,
)
from telegram.request import BaseRequest

from index import Engine, IndexConfig

from . import admin, buttons, groups, handlers, i18n, inline, reactions, render
from .context import CONTEXT_TYPES, BotApplication, BotContext
from .database import PostgresDatabase
from .health import Health, health_server
from .limits import SharedRateLimiter
from .logs import redact_secret
from .querylog import QueryLog
from .removals import SharedRemovalTokens
from .settings import BotSettings
from .webhook import WebhookSettings, webhook_arguments

log = logging.getLogger(__name__)

# python-telegram-bot's future durations (timedelta) now: without this opt-in every 429 from the
# Bot API (RetryAfter) emits a deprecation warning while the rate limiter waits and retries.
os.environ.setdefault("PTB_TIMEDELTA", "1")

EngineFactory = Callable[[IndexConfig], Coroutine[Any, Any, Engine]]
RATE_LIMIT_RETRIES = 3  # a 429 from Telegram is retried after its retry_after this often


async def open_engine(config: IndexConfig) -> Engine:
    """Open the index, building it from the corpus (with a progress bar) if it does not exist."""
    return await Engine.open(config, progress=True)


def handler_table() -> list[BaseHandler[Update, BotContext, None]]:
    """Every handler of the bot, in the order they are tried; the catch-all replies come last."""
    private, message = filters.ChatType.PRIVATE, filters.UpdateType.MESSAGE
    messages = filters.UpdateType.MESSAGES  # edited ones too
    group_text = filters.ChatType.GROUPS & message & (filters.TEXT | filters.CAPTION)
    return [
        CommandHandler("start", handlers.start),
        CommandHandler("help", handlers.help_command),
        CommandHandler("sources", handlers.sources),
        CommandHandler("reload", admin.reload),
        CommandHandler("remove", admin.remove),
        CommandHandler("add", admin.add),
        CommandHandler("pin", admin.pin),
        CommandHandler("gaps", admin.gaps),
        CommandHandler("stats", admin.stats),
        MessageHandler(group_text, groups.on_addressed),
        CommandHandler("ask", groups.on_addressed, filters=private),
        MessageHandler(private & message & filters.Document.ALL, admin.upload),
        CallbackQueryHandler(buttons.on_button),
        MessageReactionHandler(reactions.on_reaction),
        InlineQueryHandler(inline.on_inline_query),
        MessageHandler(private & messages & filters.Regex(admin.LINK_ONLY), admin.link_message),
        MessageHandler(private & messages & filters.TEXT & ~filters.COMMAND, handlers.question),
        MessageHandler(private & filters.COMMAND, handlers.unknown_command),
        MessageHandler(private & messages, handlers.cannot_do),
    ]


async def follow_index(engine: Engine, seconds: float) -> None:
    """Every ``seconds``, switch to an index generation another process published (replicas on one
    data folder, or ``python -m index build``); runs until cancelled at shutdown."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await engine.follow()
        except Exception:
            log.exception("could not follow the published index; the current one keeps serving")


async def publish_profile(application: BotApplication, admin_ids: Iterable[int]) -> None:
    """Publish, per language, the bot's description, short description and command menu, and to
    each admin (a chat scope of their own) the menu with the admin commands; a server that refuses
    any of it only gets a warning."""
    bot = application.bot
    for lang in i18n.TEXTS:
        code = None if lang == i18n.DEFAULT else lang
        public = [BotCommand(name, i18n.text(lang, "cmd_" + name)) for name in render.PUBLIC_COMMANDS]
        admin = public + [BotCommand(name, i18n.text(lang, "cmd_" + name)) for name in render.ADMIN_COMMANDS]
        calls = [bot.set_my_description(i18n.text(lang, "description"), language_code=code),
                 bot.set_my_short_description(i18n.text(lang, "short_description"), language_code=code),
                 bot.set_my_commands(public, language_code=code)]
        calls += [bot.set_my_commands(admin, scope=BotCommandScopeChat(user), language_code=code)
                  for user in sorted(admin_ids)]
        for call in calls:
            try:
                await call
            except TelegramError as exc:
                log.warning("could not publish the bot's profile (%s): %s", lang, exc)


def build_application(
    settings: BotSettings,
    *,
    engine_factory: EngineFactory = open_engine,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> BotApplication:
    """The bot's ``Application``; ``request`` replaces the HTTP layer (benchmarks), normally unused.

    ``rate_limit=False`` drops Telegram's flood limits (30 messages/s overall): only for measuring
    the bot's own capacity.
    """
    token = settings.require_token()
    redact_secret(token)
    redact_secret(urlsplit(settings.store_url).password or "")  # the database's password, if any

    async def post_init(application: BotApplication) -> None:
        engine = await engine_factory(settings.index)
        try:
            querylog = await QueryLog.open(settings.index.data_dir, settings.store_url)
        except BaseException:
            await engine.close()
            raise
        application.bot_data.engine, application.bot_data.querylog = engine, querylog
        if isinstance(querylog.db, PostgresDatabase):  # replicas share the limit and pending removals
            application.bot_data.limiter = SharedRateLimiter(querylog.db.pool, settings.questions_per_minute)
            application.bot_data.removals = SharedRemovalTokens(querylog.db.pool)
        if settings.index.follow_seconds > 0:
            application.bot_data.follower = asyncio.create_task(
                follow_index(engine, settings.index.follow_seconds), name="follow-index")
        await publish_profile(application, settings.admin_ids)

    async def post_shutdown(application: BotApplication) -> None:
        state = application.bot_data
        if state.follower is not None:
            state.follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await state.follower
            state.follower = None
        querylog, engine, state.querylog, state.engine = state.querylog, state.engine, None, None
        if querylog is not None:
            await querylog.close()
        if engine is not None:
            await engine.close()

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if rate_limit:
        builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))  # the builder is mutable
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    elif request is None:  # python-telegram-bot takes pool sizes only for requests it creates
        # getUpdates has its own pool of one connection. On shutdown the updater calls it once more
        # to confirm what it fetched while the cancelled long poll may still hold that connection,
        # and a poll torn down mid-flight can keep it checked out: a second one avoids both stalls.
        builder = builder.get_updates_connection_pool_size(2)
    application: BotApplication = builder.build()
    application.bot_data.configure(settings)
    application.add_handlers(handler_table())
    application.add_error_handler(handlers.on_error)
    return application


@contextlib.asynccontextmanager
async def _lifecycle(
    application: Application, start_updater: Callable[[Updater], Awaitable[object]], *,
    drain_seconds: float | None = None, on_drain: Callable[[], object] | None = None,
) -> AsyncIterator[Application]:
    """The steps of ``run_polling`` / ``run_webhook`` inside an event loop that is already running:
    initialize, post_init, start fetching updates, start; on exit stop taking updates, let the
    ones in flight finish (within ``drain_seconds``, if given) and shut down cleanly."""
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        assert application.updater is not None
        await start_updater(application.updater)
        await application.start()
        try:
            yield application
        finally:
            if on_drain is not None:
                on_drain()
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await _drain(application, drain_seconds)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


async def _drain(application: Application, seconds: float | None) -> None:
    """``Application.stop``: the updates taken are answered first; beyond ``seconds`` the answers
    still running are cancelled (and logged) so that a shutdown never hangs."""
    stopping = asyncio.ensure_future(application.stop())
    done, _ = await asyncio.wait({stopping}, timeout=seconds)
    if done:
        stopping.result()
        return
    log.warning("answers still running after %g s of draining are cancelled", seconds)
    for task in asyncio.all_tasks():  # PTB names each concurrent update's task so
        if task.get_name().endswith(":process_concurrent_update"):
            task.cancel()
    await stopping


def running(application: Application, *, poll_timeout: float = 10.0) -> AsyncContextManager[Application]:
    """Run the application with long polling inside a running event loop (tests, benchmarks)."""
    return _lifecycle(application, lambda updater: updater.start_polling(
        timeout=dt.timedelta(seconds=poll_timeout), allowed_updates=Update.ALL_TYPES))


@contextlib.asynccontextmanager
async def serving(application: Application, webhook: WebhookSettings) -> AsyncIterator[Application]:
    """Run the application in webhook mode inside a running event loop: registers the webhook,
    serves updates POSTed to ``listen:port/url_path`` and ``/healthz`` on ``health_port``; on exit
    it drains (``health.py`` says "draining", no update is taken, answers in flight finish within
    ``drain_seconds``) and closes."""
    arguments = webhook_arguments(webhook)  # checked before anything starts
    health = Health(application.bot_data)
    server = health_server(health, webhook.listen, webhook.health_port) if webhook.health_port else None
    try:
        lifecycle = _lifecycle(application, lambda updater: updater.start_webhook(**arguments),
                               drain_seconds=webhook.drain_seconds, on_drain=health.drain)
        async with lifecycle:
            yield application
    finally:
        if server is not None:
            server.stop()
            await server.close_all_connections()

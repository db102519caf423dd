"""What the bot does with each kind of message: parse, one call into the index, render, reply.

The index engine, the query log and the settings are opened once at start-up and kept in
``application.bot_data``; the accessors below give them typed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from telegram import Chat, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.querylog import QueryLog
from index import Answer, Engine

from . import followups, i18n, render
from .features import over_limit
from .render import Block
from .settings import BotSettings

log = logging.getLogger(__name__)

ENGINE, USAGE, SETTINGS = "engine", "usage", "settings"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Context = ContextTypes.DEFAULT_TYPE


def engine_of(context: Context) -> Engine:
    engine: Engine = context.bot_data[ENGINE]
    return engine


def usage_of(context: Context) -> QueryLog:
    usage: QueryLog = context.bot_data[USAGE]
    return usage


def settings_of(context: Context) -> BotSettings:
    settings: BotSettings = context.bot_data[SETTINGS]
    return settings


def language_of(update: object) -> str:
    """The language of the user behind an update (German for de*, else English)."""
    user = update.effective_user if isinstance(update, Update) else None
    return i18n.language(user.language_code if user else None)


async def send(
    update: Update,
    context: Context,
    messages: Sequence[str],
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send HTML messages to the update's chat (the buttons under the last one); in groups the
    first message replies to the asking one."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return
    quote = None
    if message is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        quote = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    for number, text in enumerate(messages, start=1):
        await context.bot.send_message(
            chat.id, text, parse_mode="HTML", link_preview_options=NO_PREVIEW,
            reply_parameters=quote if number == 1 else None,
            reply_markup=reply_markup if number == len(messages) else None,
        )


async def reply(update: Update, context: Context, blocks: Sequence[Block]) -> None:
    """Render blocks in the user's language and send them."""
    await send(update, context, render.to_messages(blocks, language_of(update)))


async def start(update: Update, context: Context) -> None:
    """Greet the user: what the bot knows about and how to ask."""
    documents = await engine_of(context).documents()
    await reply(update, context, render.start_blocks(documents, language_of(update)))


async def help_command(update: Update, context: Context) -> None:
    """Explain how to ask and what the commands do."""
    user = update.effective_user
    admin = settings_of(context).is_admin(user.id if user else None)
    await reply(update, context, render.help_blocks(language_of(update), admin=admin))


async def sources(update: Update, context: Context) -> None:
    """List the documents in the index with title, source and link."""
    documents = await engine_of(context).documents()
    await reply(update, context, render.sources_blocks(documents, language_of(update)))


async def question(update: Update, context: Context) -> None:
    """Answer a text message with the best passages and their sources, and log the question."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    if not is_question(text):
        await cannot_do(update, context)
        return
    await answer_question(update, context, text)


def is_question(text: str) -> bool:
    """A text can be searched if it has a letter or digit in any script; empty text, whitespace,
    only emoji, punctuation or invisible characters cannot."""
    return any(char.isalnum() for char in text)


async def answer_question(update: Update, context: Context, text: str) -> None:
    """Answer a question (within the user's fair-use limit), log it, reply with follow-up buttons."""
    if await over_limit(update, context):
        return
    lang, engine = language_of(update), engine_of(context)
    started = time.perf_counter()
    answer = await engine.ask(text)
    messages = render.render_answer(answer, lang, min_score=engine.config.threshold)
    query_id = await log_question(update, context, answer, (time.perf_counter() - started) * 1000)
    markup = None if query_id is None else followups.answer_keyboard(answer, query_id, lang)
    await send(update, context, messages, markup)


async def log_question(update: Update, context: Context, answer: Answer, latency_ms: float) -> int | None:
    """Store the question in the query log; a failing log never keeps the answer from the user."""
    user, chat = update.effective_user, update.effective_chat
    try:
        return await usage_of(context).record_question(
            user_id=user.id if user else None,
            chat_id=chat.id if chat else None,
            chat_type=chat.type if chat else "",
            question=answer.question,
            passage_ids=[hit.passage_id for hit in answer.hits],
            answered=answer.answered,
            latency_ms=latency_ms,
            language=answer.language,
            shortened=answer.shortened,
        )
    except Exception:
        log.exception("could not write the question to the query log")
        return None


async def cannot_do(update: Update, context: Context) -> None:
    """Reply to stickers, photos, voice, files and empty text with what the bot can do."""
    lang = language_of(update)
    text = i18n.text(lang, "cannot_do", example=i18n.text(lang, "example"))
    await reply(update, context, render.plain_blocks(text))


async def unknown_command(update: Update, context: Context) -> None:
    """Point to /help for a command the bot does not know."""
    await reply(update, context, render.plain_blocks(i18n.text(language_of(update), "unknown_command")))


async def on_error(update: object, context: Context) -> None:
    """Log an error from any handler once and, if there is a chat, apologise to the user."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None:
        return
    try:
        await context.bot.send_message(chat.id, i18n.text(language_of(update), "error"))
    except TelegramError as exc:
        log.warning("could not send the apology to chat %s: %s", chat.id, exc)

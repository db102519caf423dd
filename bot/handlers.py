"""What the bot does with each kind of message: parse, one call into the index, render, reply.

Commands everyone may use, questions (private chats here; groups in ``groups.py``), the replies to
what the bot cannot read, and the one error handler.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from telegram import Message, Update
from telegram.error import TelegramError

from index import Answer

from . import callbacks, i18n, render
from .callbacks import sources_keyboard
from .context import INLINE_PAYLOAD, PASSAGE_PAYLOAD, BotContext, language_of, reply
from .delivery import FAILED
from .querylog import LoggedQuestion

log = logging.getLogger(__name__)
_PASSAGE = re.compile(PASSAGE_PAYLOAD + r"([1-9][0-9]{0,17})")
MAX_REMOVE_BUTTONS = 50  # /sources shows a remove button for at most this many documents


async def start(update: Update, context: BotContext) -> None:
    """Greet the user, or open the passage a deep link (``/start p_<id>``) points to."""
    payload = (context.args or [""])[0]
    if payload and payload != INLINE_PAYLOAD:
        await open_passage(update, context, payload)
        return
    documents = await context.engine.documents()
    buttons = await context.suggestions()
    await reply(update, context, render.start_blocks(documents, language_of(update)), buttons)


async def open_passage(update: Update, context: BotContext, payload: str) -> None:
    """A deep link's passage with the paragraphs around it; "no longer available" if it is forged
    or the passage is gone."""
    found = _PASSAGE.fullmatch(payload)
    shown = await context.engine.context(int(found.group(1))) if found else None
    if shown is None:
        user_id = update.effective_user.id if update.effective_user else None
        log.info("deep link %r from user %s: no such passage", payload[:80], user_id)
        await reply(update, context, render.plain_blocks(i18n.text(language_of(update), "passage_gone")))
        return
    await reply(update, context, render.context_blocks(shown, language_of(update)))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how to ask and what the commands do (admin commands for admins)."""
    admin = context.is_admin(update.effective_user)
    buttons = await context.suggestions()
    await reply(update, context, render.help_blocks(language_of(update), admin=admin), buttons)


async def sources(update: Update, context: BotContext) -> None:
    """List the documents in the index (type, pages, language, link); admins get remove buttons."""
    documents, user, lang = await context.engine.documents(), update.effective_user, language_of(update)
    removable = []
    if user is not None and context.is_admin(user) and update.effective_chat is not None \
            and update.effective_chat.type == "private":
        removable = [(d.title, await context.removals.issue(user.id, d.id))
                     for d in documents[:MAX_REMOVE_BUTTONS]]
    await reply(update, context, render.sources_blocks(documents, lang), sources_keyboard(lang, removable))


async def question(update: Update, context: BotContext) -> None:
    """Answer a text message in a private chat."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    if not is_question(text):
        await cannot_do(update, context)
        return
    chat, user = update.effective_chat, update.effective_user
    previous = None
    if chat is not None and user is not None:
        since = time.time() - context.settings.follow_up_seconds
        previous = await context.querylog.last_question(chat.id, user.id, since)
    await answer_question(update, context, text, previous)


def is_question(text: str) -> bool:
    """A text can be searched if it has a letter or digit in any script; empty text, whitespace,
    only emoji, punctuation or invisible characters cannot."""
    return any(char.isalnum() for char in text)


async def answer_question(update: Update, context: BotContext, text: str,
                          previous: LoggedQuestion | None = None) -> None:
    """Answer ``text`` (read as a follow-up to ``previous`` where it leans on it) within the user's
    fair-use limit, log it, reply with the follow-up buttons."""
    lang, user = language_of(update), update.effective_user
    wait = await context.wait_seconds(user)
    if wait:
        log.info("user %s is over the question limit; %d s to wait", user.id if user else None, wait)
        await reply(update, context, render.plain_blocks(i18n.text(lang, "rate_limited", seconds=wait)))
        return
    started = time.perf_counter()
    pins = [stored.pin for stored in await context.querylog.pins()]
    answer = await context.engine.ask(
        text, previous=previous.question if previous else None,
        previous_passage=previous.passage_ids[0] if previous and previous.passage_ids else None, pins=pins)
    query_id = await log_question(update, context, answer, (time.perf_counter() - started) * 1000)
    markup = None
    if answer.outcome == "small_talk":
        markup = await context.suggestions()
    elif query_id is not None:
        markup = callbacks.keyboard_for(answer, query_id, lang)
    sent: list[Message] = []
    try:
        delivered = await reply(update, context, render.answer_blocks(answer, lang), markup, sent)
    except Exception:
        await record_delivery(context, query_id, FAILED)
        raise  # the error handler logs it and apologises
    await record_delivery(context, query_id, delivered, sent)


async def record_delivery(
    context: BotContext, query_id: int | None, delivered: str, sent: Sequence[Message] = ()
) -> None:
    """Note in the query log whether the answer reached the user, and in which messages (a
    reaction on them is a vote); a failing log is only logged."""
    if query_id is None:
        return
    try:
        await context.querylog.set_delivered(query_id, delivered)
        await context.querylog.record_answer_messages(query_id, [(m.chat.id, m.message_id) for m in sent])
        log.debug("answer %s delivered: %s", query_id, delivered)
    except Exception:
        log.exception("could not record the delivery of answer %s", query_id)


async def log_question(update: Update, context: BotContext, answer: Answer, latency_ms: float) -> int | None:
    """Store the question in the query log; a failing log never keeps the answer from the user."""
    user, chat = update.effective_user, update.effective_chat
    try:
        return await context.querylog.record_question(
            user_id=user.id if user else None,
            chat_id=chat.id if chat else None,
            chat_type=chat.type if chat else "",
            question=answer.question,
            passage_ids=[hit.passage_id for hit in answer.hits],
            answered=answer.answered,
            latency_ms=latency_ms,
            language=answer.language,
            shortened=answer.shortened,
            outcome=answer.outcome,
        )
    except Exception:
        log.exception("could not write the question to the query log")
        return None


async def cannot_do(update: Update, context: BotContext) -> None:
    """Reply to stickers, photos, voice, files and empty text with what the bot can do."""
    lang = language_of(update)
    text = i18n.text(lang, "cannot_do", example=i18n.text(lang, "example"))
    await reply(update, context, render.plain_blocks(text))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point to /help for a command the bot does not know."""
    await reply(update, context, render.plain_blocks(i18n.text(language_of(update), "unknown_command")))


async def on_error(update: object, context: BotContext) -> None:
    """Log an error from any handler once and, if there is a chat, apologise to the user."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await reply(update, context, render.plain_blocks(i18n.text(language_of(update), "error")))
    except TelegramError as exc:
        log.warning("could not send the apology to chat %s: %s", update.effective_chat.id, exc)

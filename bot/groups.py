"""Group chats: which messages are questions to the bot, and what the question is.

In groups and supergroups the bot answers only when it is addressed:

- mentioned by a ``mention`` entity ``@botname`` (the mention is cut out of the question),
- a ``/ask question`` command (``/ask@botname`` too; a command for another bot is not ours),
- a reply to one of the bot's own messages.

Everything else is group chatter and is ignored. Entity offsets count UTF-16 code units, as
Telegram sends them, so emoji before a mention do not shift the cut.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update

from . import i18n, render
from .context import BotContext, language_of, reply
from .handlers import answer_question, is_question

ASK_COMMAND = "ask"


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """Remove UTF-16 ``(offset, length)`` spans from ``text``."""
    units = text.encode("utf-16-le")
    for offset, length in sorted(spans, reverse=True):
        units = units[: 2 * offset] + " ".encode("utf-16-le") + units[2 * (offset + length) :]
    return units.decode("utf-16-le", "ignore")


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,:;")


def addressed_question(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The question a group message puts to the bot, "" if addressed without one, else None."""
    text = message.text or message.caption or ""
    entities = (message.entities if message.text else message.caption_entities) or ()
    name = bot_username.lower().lstrip("@")
    units = text.encode("utf-16-le")

    def entity_text(entity: MessageEntity) -> str:
        start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
        return units[start:end].decode("utf-16-le", "ignore")

    for entity in entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            command, _, target = entity_text(entity)[1:].partition("@")
            if command.lower() == ASK_COMMAND and target.lower() in ("", name):
                return _tidy(_cut(text, [(entity.offset, entity.length)]))
            return None  # another command, or a command for another bot
    mentions = [
        (e.offset, e.length)
        for e in entities
        if e.type == MessageEntity.MENTION and entity_text(e).lower() == f"@{name}"
    ]
    if mentions:
        return _tidy(_cut(text, mentions))
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return _tidy(text)
    return None


async def on_addressed(update: Update, context: BotContext) -> None:
    """Answer a group message addressed to the bot (or ``/ask`` anywhere); ignore other chatter."""
    message = update.effective_message
    question = addressed_question(message, context.bot.username, context.bot.id) if message else None
    if question is None:
        return
    if not is_question(question):
        hint = i18n.text(language_of(update), "group_hint")
        await reply(update, context, render.plain_blocks(hint))
        return
    previous = None
    replied = message.reply_to_message if message else None
    if replied is not None and update.effective_chat is not None:
        query_id = await context.querylog.answer_of_message(update.effective_chat.id, replied.message_id)
        previous = await context.querylog.question(query_id) if query_id else None
    await answer_question(update, context, question, previous)

"""The bot's state, typed, and the one way handlers reply.

python-telegram-bot builds every handler's ``context`` from ``CONTEXT_TYPES``: ``context.bot_data``
is a ``BotState`` (settings at build time; engine and query log opened in ``post_init``) and
``BotContext`` reaches it through typed properties:

    context.engine  context.querylog  context.settings  context.limiter  context.answers
    context.removals  context.is_admin(user)  context.wait_seconds(user)

``reply`` renders blocks in the user's language and sends them to the update's chat. Failed sends are
retried as ``delivery.py`` describes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from telegram import (
    Chat,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
    helpers,
)
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from index import Engine

from . import i18n, render
from .answer_cache import AnswerCache
from .delivery import DELIVERED, UNKNOWN, send_message
from .limits import Limiter, RateLimiter
from .querylog import QueryLog
from .removals import RemovalTokens, SharedRemovalTokens
from .render import Block
from .settings import BotSettings
from .suggestions import SuggestionTokens, keyboard, pick

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
PASSAGE_PAYLOAD = "p_"  # /start p_<passage id>: a deep link to a passage
INLINE_PAYLOAD = "inline"  # /start inline: from the hint button above inline results
T = TypeVar("T")


class BotState:
    """What the handlers share; ``python-telegram-bot`` creates it empty as ``bot_data``."""

    def __init__(self) -> None:
        self.settings: BotSettings | None = None
        self.engine: Engine | None = None
        self.querylog: QueryLog | None = None
        self.limiter: Limiter = RateLimiter(0)
        self.answers = AnswerCache()
        self.removals: RemovalTokens | SharedRemovalTokens = RemovalTokens()
        self.suggested = SuggestionTokens()
        self.follower: asyncio.Task[None] | None = None  # follows indexes other processes publish

    def configure(self, settings: BotSettings) -> None:
        """Take the settings (at build time, before anything is served)."""
        self.settings = settings
        self.limiter = RateLimiter(settings.questions_per_minute)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotState]):
    """``context`` in every handler, with the bot's state as typed properties."""

    @property
    def engine(self) -> Engine:
        return _opened(self.bot_data.engine, "the index")

    @property
    def querylog(self) -> QueryLog:
        return _opened(self.bot_data.querylog, "the query log")

    @property
    def settings(self) -> BotSettings:
        return _opened(self.bot_data.settings, "the settings")

    @property
    def limiter(self) -> Limiter:
        return self.bot_data.limiter

    @property
    def answers(self) -> AnswerCache:
        return self.bot_data.answers

    @property
    def removals(self) -> RemovalTokens | SharedRemovalTokens:
        return self.bot_data.removals

    async def suggestions(self) -> InlineKeyboardMarkup | None:
        """Buttons for three questions the bot answers well (``suggestions.py``)."""
        return keyboard(self.bot_data.suggested, await self.suggested_questions())

    async def suggested_questions(self) -> list[str]:
        """The pool's first three; none (and the reason logged) if it cannot be worked out now."""
        try:
            listed = [s.question for s in await self.engine.suggestions()]
            return pick(listed, await self.querylog.good_questions())
        except Exception as exc:  # a greeting without buttons beats no greeting
            log.warning("no suggested questions: %s", exc)
            return []

    @property
    def passage_link(self) -> render.PassageLink | None:
        """Passage id -> ``https://t.me/<bot>?start=p_<id>``, which opens the passage with its
        context in a private chat; None before the bot knows its username."""
        try:
            username = self.bot.username
        except RuntimeError:  # not initialized: no getMe yet
            return None
        return lambda passage_id: helpers.create_deep_linked_url(username, f"{PASSAGE_PAYLOAD}{passage_id}")

    def is_admin(self, user: User | None) -> bool:
        """True if the user's numeric id is an admin's (never by name)."""
        return user is not None and self.settings.is_admin(user.id)

    async def wait_seconds(self, user: User | None) -> int:
        """0 (and the question counted) if ``user`` may ask now, else the seconds to wait; admins
        are never limited."""
        if user is None or self.is_admin(user):
            return 0
        return await self.limiter.wait(user.id)


def _opened(value: T | None, what: str) -> T:
    if value is None:
        raise RuntimeError(f"{what} is not set up yet (post_init has not run)")
    return value


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotState)
BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotState, Any]


def language_of(update: object) -> str:
    """The language of the user behind an update (German for de*, else English)."""
    user = update.effective_user if isinstance(update, Update) else None
    return i18n.language(user.language_code if user else None)


async def reply(
    update: Update,
    context: BotContext,
    blocks: Sequence[Block],
    markup: InlineKeyboardMarkup | None = None,
    sent: list[Message] | None = None,
) -> str:
    """Send ``blocks`` as HTML messages to the update's chat, in the user's language, the buttons
    under the last one; ``DELIVERED``, or ``UNKNOWN`` when a message timed out after it was sent
    (the messages sent are appended to ``sent``, if given).
    Raises the last error when a message could not be sent at all. In groups the first message
    replies to the asking message (not to the bot's own message a button was pressed on)."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return DELIVERED
    quote = None
    if message is not None and update.callback_query is None and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        quote = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    messages = render.to_messages(blocks, language_of(update), passage_link=context.passage_link)
    outcome = DELIVERED
    for number, text in enumerate(messages, start=1):
        message_sent = await send_message(
            context.bot, chat_id=chat.id, text=text, parse_mode="HTML", link_preview_options=NO_PREVIEW,
            reply_parameters=quote if number == 1 else None,
            reply_markup=markup if number == len(messages) else None,
        )
        if message_sent is None:
            outcome = UNKNOWN
        elif sent is not None:
            sent.append(message_sent)
    return outcome

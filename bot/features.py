"""The state behind follow-ups, inline mode, fair use and removals, kept in ``bot_data``.

``install`` creates it once per application; handlers reach it, the engine, the query log and the
settings through the accessors here, so the keys of ``bot_data`` are named in one place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from telegram import Update, User
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes

from bot.querylog import QueryLog
from index import Engine

from . import i18n
from .cache import AnswerCache
from .limits import RateLimiter
from .removal import RemovalTokens
from .settings import BotSettings

log = logging.getLogger("bot.features")
KEY = "features"
Context = ContextTypes.DEFAULT_TYPE


@dataclass
class Features:
    limiter: RateLimiter
    inline_cache: AnswerCache = field(default_factory=AnswerCache)
    removals: RemovalTokens = field(default_factory=RemovalTokens)


def install(application: Application[Any, Any, Any, Any, Any, Any], settings: BotSettings) -> Features:
    """Create the features' state for ``application``."""
    features = Features(limiter=RateLimiter(settings.questions_per_minute))
    application.bot_data[KEY] = features
    return features


def features(context: Context) -> Features:
    return context.bot_data[KEY]


def engine(context: Context) -> Engine:
    return context.bot_data["engine"]


def usage(context: Context) -> QueryLog:
    return context.bot_data["usage"]


def settings(context: Context) -> BotSettings:
    return context.bot_data["settings"]


def lang_of(user: User | None) -> str:
    return i18n.language(user.language_code if user else None)


def is_admin(context: Context, user: User | None) -> bool:
    return user is not None and settings(context).is_admin(user.id)


async def over_limit(update: Update, context: Context) -> bool:
    """True (and the user told how long to wait) if a non-admin asks faster than allowed."""
    user = update.effective_user
    if user is None or is_admin(context, user):
        return False
    wait = features(context).limiter.wait_seconds(user.id)
    if not wait:
        return False
    log.info("user %s is over the question limit; %d s to wait", user.id, wait)
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            i18n.text(lang_of(user), "rate_limited", seconds=wait), parse_mode=ParseMode.HTML,
            do_quote=message.chat.type != "private",
        )
    return True

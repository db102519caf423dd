"""Admin commands. Admins are numeric Telegram user ids from the settings, never usernames.

``admin_only`` guards a handler: anyone else gets a refusal and the attempt is logged with the
user id.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from index import BuildError, BuildInProgress

from . import i18n, render
from .handlers import Context, engine_of, language_of, reply, settings_of

log = logging.getLogger(__name__)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def is_admin(update: Update, context: Context) -> bool:
    """True if the update comes from an admin's user id."""
    user = update.effective_user
    return settings_of(context).is_admin(user.id if user else None)


async def refuse(update: Update, context: Context, command: str) -> None:
    """Log a non-admin's attempt at an admin action and tell them no."""
    user = update.effective_user
    log.warning("refused /%s for non-admin user id %s", command, user.id if user else None)
    text = i18n.text(language_of(update), "not_admin", command=command)
    await reply(update, context, render.plain_blocks(text))


def admin_only(command: str) -> Callable[[Handler], Handler]:
    """Run the decorated handler for admins only; refuse and log everyone else."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: Context) -> None:
            if is_admin(update, context):
                await handler(update, context)
            else:
                await refuse(update, context, command)

        return guarded

    return decorate


@admin_only("reload")
async def reload(update: Update, context: Context) -> None:
    """Rescan the corpus folder, rebuild the index incrementally and report what changed."""
    lang, engine = language_of(update), engine_of(context)
    if engine.rebuilding:
        await reply(update, context, render.plain_blocks(i18n.text(lang, "reload_running")))
        return
    await reply(update, context, render.plain_blocks(i18n.text(lang, "reload_started")))
    try:
        report = await engine.rebuild()
    except BuildInProgress:
        await reply(update, context, render.plain_blocks(i18n.text(lang, "reload_running")))
        return
    except BuildError as exc:
        log.warning("reload failed, the previous index keeps serving: %s", exc)
        await reply(update, context, render.plain_blocks(i18n.text(lang, "reload_failed", reason=str(exc))))
        return
    log.info(
        "reloaded: %s documents, %s passages in %.1f s", report.documents, report.passages, report.seconds
    )
    await reply(update, context, render.reload_blocks(report, lang))

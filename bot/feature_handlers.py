"""The handlers of the features beyond the first answer, in the order the application tries them:
group questions, ``/ask``, admins' ``/remove`` / ``/stats`` and uploads, buttons, inline queries."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from . import followups, groups, inline, uploads


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Add these after the basic commands and before the private-chat catch-alls."""
    message = filters.UpdateType.MESSAGE
    group_text = filters.ChatType.GROUPS & message & (filters.TEXT | filters.CAPTION)
    return [
        CommandHandler("remove", uploads.on_remove),
        CommandHandler("stats", uploads.on_stats),
        MessageHandler(group_text, groups.on_addressed),
        CommandHandler("ask", groups.on_addressed, filters=filters.ChatType.PRIVATE),
        MessageHandler(filters.ChatType.PRIVATE & message & filters.Document.ALL, uploads.on_upload),
        CallbackQueryHandler(followups.on_callback),
        InlineQueryHandler(inline.on_inline_query),
    ]

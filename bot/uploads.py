"""Admins' documents: add one by sending a file, remove one with ``/remove <id>`` and a confirm
button, and see ``/stats``.

An upload's size is checked from Telegram's ``file_size`` before anything is downloaded, and
again after; the index checks the content (type, UTF-8, text) and stores the file under a safe
generated name, indexing it before it is served. Every refusal names its reason.
"""

from __future__ import annotations

import html
import logging

from telegram import Message, Update
from telegram.constants import ParseMode

from index import BuildError, BuildInProgress, DocumentError, UnknownDocument

from . import handlers, i18n
from .admin import admin_only
from .callbacks import CancelRemove, ConfirmRemove, confirm_keyboard
from .features import Context, engine, features, is_admin, lang_of, settings, usage
from .followups import labels
from .stats import render_stats

log = logging.getLogger("bot.uploads")
MAX_CAPTION_FIELD = 300


def parse_caption(caption: str | None) -> tuple[str | None, str | None]:
    """``"Title | https://link"`` -> (title, link); either part may be missing."""
    if not caption or not caption.strip():
        return None, None
    title, _, link = caption.partition("|")
    if not link.strip() and title.strip().lower().startswith(("http://", "https://")):
        title, link = "", title
    return (title.strip()[:MAX_CAPTION_FIELD] or None), (link.strip()[:MAX_CAPTION_FIELD] or None)


async def _reply(message: Message, lang: str, key: str, **values: object) -> None:
    text = html.escape(i18n.text(lang, key, **values), quote=False)
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def on_upload(update: Update, context: Context) -> None:
    """An admin's .txt/.md/.html file: check, download, add to the corpus and the index."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.document is None:
        return
    lang = lang_of(user)
    if not is_admin(context, user):
        log.info("document from non-admin user %s not accepted", user.id)
        await handlers.cannot_do(update, context)
        return
    document, limit = message.document, settings(context).max_upload_bytes
    name = document.file_name or "document.txt"
    if document.file_size is not None and document.file_size > limit:
        await _reply(message, lang, "upload_too_large", name=name, size=document.file_size, limit=limit)
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if len(data) > limit:
        await _reply(message, lang, "upload_too_large", name=name, size=len(data), limit=limit)
        return
    title, link = parse_caption(message.caption)
    try:
        added, report = await engine(context).add_document(name, data, title=title, url=link)
    except BuildInProgress:
        await _reply(message, lang, "reload_running")
        return
    except (DocumentError, BuildError) as exc:
        log.info("upload %r from admin %s rejected: %s", name, user.id, exc)
        await _reply(message, lang, "upload_rejected", name=name, reason=str(exc))
        return
    features(context).inline_cache.clear()
    log.info("admin %s added document %s (%d passages)", user.id, added.id, added.passages)
    await _reply(
        message, lang, "upload_added", title=added.title, doc_id=added.id, passages=added.passages,
        documents=report.documents,
    )


@admin_only("remove")
async def on_remove(update: Update, context: Context) -> None:
    """``/remove <document id>``: ask the admin to confirm with a button."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = lang_of(user)
    args = context.args or []
    if len(args) != 1:
        await _reply(message, lang, "remove_usage")
        return
    doc_id = args[0][:200]
    found = next((d for d in await engine(context).documents() if d.id == doc_id), None)
    if found is None:
        await _reply(message, lang, "remove_unknown", doc_id=doc_id)
        return
    token = features(context).removals.issue(user.id, found.id)
    text = i18n.text(lang, "remove_confirm", title=found.title, doc_id=found.id, passages=found.passages)
    await message.reply_text(
        html.escape(text, quote=False), parse_mode=ParseMode.HTML,
        reply_markup=confirm_keyboard(labels(lang), token),
    )


async def on_remove_button(update: Update, context: Context, data: ConfirmRemove | CancelRemove) -> None:
    """The confirm or cancel button of ``/remove``: only the admin who asked may press it."""
    query = update.callback_query
    if query is None:
        return
    user, lang = query.from_user, lang_of(query.from_user)
    removals = features(context).removals
    pending = removals.peek(data.token)
    if pending is None:
        log.warning("expired or forged removal confirmation from user %s%s", user.id,
                    "" if is_admin(context, user) else " (not an admin)")
        await query.answer(i18n.text(lang, "expired"))
        return
    if not is_admin(context, user) or pending.admin_id != user.id:
        log.warning("refused removal confirmation of %s by user %s", pending.doc_id, user.id)
        await query.answer(i18n.text(lang, "remove_not_yours"), show_alert=True)
        return
    doc_id = removals.take(data.token, user.id)
    if doc_id is None:
        await query.answer(i18n.text(lang, "expired"))
        return
    if isinstance(data, CancelRemove):
        await query.answer()
        await query.edit_message_text(i18n.text(lang, "remove_cancelled"), parse_mode=ParseMode.HTML)
        return
    await query.answer()
    try:
        report = await engine(context).remove_document(doc_id)
    except UnknownDocument:
        text = i18n.text(lang, "remove_unknown", doc_id=doc_id)
    except BuildInProgress:
        text = i18n.text(lang, "reload_running")
    except BuildError as exc:
        text = i18n.text(lang, "reload_failed", reason=str(exc))
    else:
        features(context).inline_cache.clear()
        log.info("admin %s removed document %s", user.id, doc_id)
        text = i18n.text(
            lang, "remove_done", doc_id=doc_id, documents=report.documents, passages=report.passages
        )
    await query.edit_message_text(html.escape(text, quote=False), parse_mode=ParseMode.HTML)


@admin_only("stats")
async def on_stats(update: Update, context: Context) -> None:
    """``/stats``: questions, users, answered share, latency, feedback, top and unanswered questions."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = lang_of(user)
    for text in render_stats(await usage(context).stats(), lang):
        await message.reply_text(text, parse_mode=ParseMode.HTML)

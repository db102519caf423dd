"""What only admins may do: ``/reload``, documents sent as files, links (``/add <url>`` or a
message that is just a link), ``/remove <id>`` and the remove buttons of ``/sources`` with their
confirm button, and ``/stats``. Admins are numeric Telegram user ids from the settings, never
usernames.

``admin_only`` guards each handler: anyone else gets a refusal and the attempt is logged with the
user id. An upload's size is checked from Telegram's ``file_size`` before anything is downloaded,
and again after; the index checks the content (type, text, zip bombs, macros) and fetches links
from public addresses only (``index/fetch.py``), indexing a document before it is served. Long
work edits one status message as it goes (``progress.py``). Every refusal names its reason.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update

from index import BuildError, BuildInProgress, BuildReport, Document, DocumentError, UnknownDocument
from index.build import sha256 as text_hash
from index.pins import group

from . import i18n, render
from .callbacks import AskRemove, CancelRemove, ConfirmRemove, Unpin, confirm_keyboard, unpin_keyboard
from .context import BotContext, language_of, reply
from .handlers import cannot_do, question
from .progress import Status
from .removals import Pending

log = logging.getLogger(__name__)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
MAX_CAPTION_FIELD = 300
LINK_ONLY = re.compile(r"^\s*(https?://\S+)\s*$", re.IGNORECASE)  # a message that is only a link


async def refuse(update: Update, context: BotContext, command: str) -> None:
    """Tell a non-admin no (the attempt is logged by ``admin_only``)."""
    await say(update, context, "not_admin", command=command)


def admin_only(
    command: str, refusal: Callable[[Update, BotContext], Awaitable[None]] | None = None
) -> Callable[[Handler], Handler]:
    """Run the decorated handler for admins only; log everyone else's attempt and refuse it
    (with ``refusal`` if given, else "only admins may use /command")."""

    what = command if refusal else f"/{command}"

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: BotContext) -> None:
            user = update.effective_user
            if context.is_admin(user):
                await handler(update, context)
                return
            log.warning("refused %s for non-admin user id %s", what, user.id if user else None)
            await (refusal(update, context) if refusal else refuse(update, context, command))

        return guarded

    return decorate


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


async def say(update: Update, context: BotContext, key: str, **values: object) -> None:
    """Reply with one text of the string table."""
    await reply(update, context, render.plain_blocks(i18n.text(language_of(update), key, **values)))


@admin_only("reload")
async def reload(update: Update, context: BotContext) -> None:
    """Rescan the corpus folder, rebuild the index incrementally and report what changed."""
    if context.engine.rebuilding:
        await say(update, context, "reload_running")
        return
    status = await _status(update, context, "reload_started")
    try:
        report = await context.engine.reload(on_progress=status)
    except BuildInProgress:
        await status.finish(render.plain_blocks(i18n.text(language_of(update), "reload_running")))
        await say(update, context, "reload_running")
        return
    except BuildError as exc:
        log.warning("reload failed, the previous index keeps serving: %s", exc)
        text = i18n.text(language_of(update), "reload_failed", reason=str(exc))
        await status.finish(render.plain_blocks(text))
        return
    log.info("reloaded: %s documents, %s passages in %.1f s",
             report.documents, report.passages, report.seconds)
    await status.finish(render.reload_blocks(report, language_of(update)))
    await context.suggested_questions()  # each build checks the questions the documents list


async def _status(update: Update, context: BotContext, key: str, **values: object) -> Status:
    """A new status message saying ``key``, to be edited as the work proceeds."""
    lang = language_of(update)
    sent: list = []
    await reply(update, context, render.plain_blocks(i18n.text(lang, key, **values)), sent=sent)
    return Status(sent[-1], lang, context.settings.progress_seconds)


def parse_caption(caption: str | None) -> tuple[str | None, str | None]:
    """``"Title | https://link"`` or ``"Title https://link"`` -> (title, link); either may be missing."""
    if not caption or not caption.strip():
        return None, None
    title, bar, link = caption.partition("|")
    if not bar:  # "Title https://link": the link is the last word
        found = re.fullmatch(r"(.*?)\s*(https?://\S+)\s*", caption, re.IGNORECASE | re.DOTALL)
        title, link = (found.group(1), found.group(2)) if found else (caption, "")
    return (title.strip()[:MAX_CAPTION_FIELD] or None), (link.strip()[:MAX_CAPTION_FIELD] or None)


@admin_only("a document upload", refusal=cannot_do)
async def upload(update: Update, context: BotContext) -> None:
    """An admin's .txt/.md/.html file: check, download, add to the corpus and the index."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document, limit = message.document, context.settings.max_upload_bytes
    name = document.file_name or "document.txt"
    if document.file_size is not None and document.file_size > limit:
        await say(update, context, "upload_too_large", name=name, size=document.file_size, limit=limit)
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if len(data) > limit:
        await say(update, context, "upload_too_large", name=name, size=len(data), limit=limit)
        return
    title, link = parse_caption(message.caption)
    status = await _status(update, context, "upload_working", name=name)
    work = context.engine.add_document(name, data, title=title, url=link, on_progress=status)
    await _adding(update, context, status, work, "upload_rejected", name=name)


async def _adding(update: Update, context: BotContext, status: Status,
                  work: Awaitable[tuple[Document, BuildReport]], rejected: str, **values: str) -> None:
    """Await an upload's or a link's work, then turn its status message into the outcome."""
    lang = language_of(update)
    try:
        added, report = await work
    except BuildInProgress:
        await status.finish(render.plain_blocks(i18n.text(lang, "reload_running")))
        return
    except (DocumentError, BuildError) as exc:
        log.info("%s from admin %s refused: %s", values, _user_id(update), exc)
        await status.finish(render.plain_blocks(i18n.text(lang, rejected, reason=str(exc), **values)))
        return
    log.info("admin %s added document %s (%d passages)", _user_id(update), added.id, added.passages)
    await status.finish(render.added_blocks(added, report, lang))
    await context.suggested_questions()  # each build checks the questions the documents list


@admin_only("add")
async def add(update: Update, context: BotContext) -> None:
    """``/add <url>``: fetch a web page or document and add it."""
    args = context.args or []
    if len(args) != 1:
        await say(update, context, "add_usage")
        return
    await _add_link(update, context, args[0][:2000])


async def link_message(update: Update, context: BotContext) -> None:
    """A private message that is only a link: an admin adds it, anyone else asks about it."""
    message = update.effective_message
    found = LINK_ONLY.match(message.text or "") if message else None
    if found is None or not context.is_admin(update.effective_user):
        await question(update, context)
        return
    await _add_link(update, context, found.group(1)[:2000])


async def _add_link(update: Update, context: BotContext, url: str) -> None:
    status = await _status(update, context, "link_working", url=url[:200])
    await _adding(update, context, status, context.engine.add_link(url, on_progress=status), "link_rejected",
                  url=url[:200])


@admin_only("remove")
async def remove(update: Update, context: BotContext) -> None:
    """``/remove <document id>``: ask the admin to confirm with a button."""
    user, args = update.effective_user, context.args or []
    if user is None:
        return
    if len(args) != 1:
        await say(update, context, "remove_usage")
        return
    doc_id = args[0][:200]
    found = next((d for d in await context.engine.documents() if d.id == doc_id), None)
    if found is None:
        await say(update, context, "remove_unknown", doc_id=doc_id)
        return
    await _confirm(update, context, user.id, found)


async def _confirm(update: Update, context: BotContext, admin_id: int, found: Document) -> None:
    lang = language_of(update)
    text = i18n.text(lang, "remove_confirm", title=found.title, doc_id=found.id, passages=found.passages)
    token = await context.removals.issue(admin_id, found.id)
    await reply(update, context, render.plain_blocks(text), confirm_keyboard(lang, token))


async def _pending_removal(update: Update, context: BotContext, token: str) -> Pending | None:
    """The removal a button's token stands for, if the admin it was issued to pressed it; anyone
    else (or an expired or forged token) gets the refusal as the callback's answer."""
    query = update.callback_query
    assert query is not None
    user, pending = query.from_user, await context.removals.peek(token)
    if pending is not None and context.is_admin(user) and pending.admin_id == user.id:
        return pending
    what = "expired or forged" if pending is None else f"refused ({pending.doc_id})"
    log.warning("%s removal button from user %s", what, user.id)
    await query.answer(i18n.text(language_of(update), "expired" if pending is None else "remove_not_yours"),
                       show_alert=pending is not None)
    return None


async def ask_remove_button(update: Update, context: BotContext, data: AskRemove) -> None:
    """A remove button of ``/sources``: ask the admin who was shown it to confirm."""
    query = update.callback_query
    if query is None:
        return
    user = query.from_user
    pending = await _pending_removal(update, context, data.token)
    if pending is None:
        return
    await query.answer()
    found = next((d for d in await context.engine.documents() if d.id == pending.doc_id), None)
    if found is None:
        await say(update, context, "remove_unknown", doc_id=pending.doc_id)
        return
    await _confirm(update, context, user.id, found)


async def remove_button(update: Update, context: BotContext, data: ConfirmRemove | CancelRemove) -> None:
    """The confirm or cancel button of ``/remove``: only the admin who asked may press it."""
    query = update.callback_query
    if query is None:
        return
    user, lang = query.from_user, language_of(update)
    pending = await _pending_removal(update, context, data.token)
    if pending is None:
        return
    await context.removals.take(data.token, user.id)
    await query.answer()
    text = i18n.text(lang, "remove_cancelled")
    if isinstance(data, ConfirmRemove):
        text = await _remove(context, pending.doc_id, user.id, lang)
    await query.edit_message_text(render.to_html(render.plain_blocks(text)), parse_mode="HTML")


async def _remove(context: BotContext, doc_id: str, admin_id: int, lang: str) -> str:
    """Remove the document; the text that says how it went."""
    try:
        report = await context.engine.remove_document(doc_id)
    except UnknownDocument:
        return i18n.text(lang, "remove_unknown", doc_id=doc_id)
    except BuildInProgress:
        return i18n.text(lang, "reload_running")
    except BuildError as exc:
        return i18n.text(lang, "reload_failed", reason=str(exc))
    log.info("admin %s removed document %s", admin_id, doc_id)
    return i18n.text(lang, "remove_done", doc_id=doc_id, documents=report.documents, passages=report.passages)


@admin_only("pin")
async def pin(update: Update, context: BotContext) -> None:
    """``/pin <question>`` as a reply to one of the bot's answers: that answer's passage becomes the
    answer for questions close to ``<question>``."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or update.effective_chat is None:
        return
    question = " ".join(context.args or [])[:MAX_CAPTION_FIELD].strip()
    replied = message.reply_to_message
    if not question or replied is None:
        await say(update, context, "pin_usage")
        return
    query_id = await context.querylog.answer_of_message(update.effective_chat.id, replied.message_id)
    logged = await context.querylog.question(query_id) if query_id else None
    shown = await context.engine.context(logged.passage_ids[0]) if logged and logged.passage_ids else None
    if shown is None:
        await say(update, context, "pin_not_an_answer")
        return
    passage = shown.passage
    excerpt = render.shorten(passage.text, 120)
    digest = text_hash(passage.text)
    pin_id = await context.querylog.add_pin(question, passage.doc_id, digest, excerpt, user.id)
    log.info("admin %s pinned passage %s for %r (pin %s)", user.id, passage.id, question, pin_id)
    await say(update, context, "pin_done", question=question, title=shown.document.title,
              where=render.where(language_of(update), passage.paragraph, passage.page, passage.on_page,
                                 passage.section))


@admin_only("gaps")
async def gaps(update: Update, context: BotContext) -> None:
    """``/gaps``: the last 7 days' unanswered, unsure or 👎 questions grouped by meaning, and the pins."""
    questions = await context.querylog.gap_questions()
    groups = [[questions[i] for i in g] for g in group(await context.engine.embed_questions(questions))]
    stored = await context.querylog.pins()
    lang = language_of(update)
    markup = unpin_keyboard(lang, [(p.pin.id, p.pin.question) for p in stored])
    await reply(update, context, render.gaps_blocks(groups, stored, lang), markup)


async def unpin_button(update: Update, context: BotContext, data: Unpin) -> None:
    """A remove button under ``/gaps``: only admins may remove a pin."""
    query = update.callback_query
    if query is None:
        return
    lang = language_of(update)
    if not context.is_admin(query.from_user):
        log.warning("refused removing pin %s for non-admin user id %s", data.pin_id, query.from_user.id)
        await query.answer(i18n.text(lang, "not_admin", command="/gaps"), show_alert=True)
        return
    removed = await context.querylog.remove_pin(data.pin_id)
    await query.answer(i18n.text(lang, "pin_removed" if removed else "expired"))


@admin_only("stats")
async def stats(update: Update, context: BotContext) -> None:
    """``/stats``: questions, users, answered share, latency, feedback, top and unanswered questions."""
    figures = await context.querylog.stats()
    await reply(update, context, render.stats_blocks(figures, language_of(update)))

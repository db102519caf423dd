"""The buttons under an answer: more passages, the passage's context, 👍 / 👎 feedback.

One callback handler reads the button's data (``bot.callbacks``), checks it against the query log
and the index, and always answers the callback query: stale or forged data gets "this answer has
expired" instead of an error. Follow-ups are sent as new messages so the first answer stays.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from index import Answer, Context, Hit

from . import callbacks, i18n
from .callbacks import CancelRemove, ConfirmRemove, More, ShowContext, Vote
from .features import Context as Ctx
from .features import engine, lang_of, usage
from .render import Block, Span, source_spans, to_messages

log = logging.getLogger("bot.followups")
PAGE = 3  # passages per "more passages" message
VOTE_REPLIES = {"recorded": "vote_recorded", "changed": "vote_changed", "unchanged": "vote_unchanged"}


def labels(lang: str) -> dict[str, str]:
    """Button texts in ``lang`` for ``bot.callbacks`` keyboards."""
    keys = {"more": "btn_more", "context": "btn_context", "confirm": "btn_confirm", "cancel": "btn_cancel"}
    return {name: i18n.text(lang, key) for name, key in keys.items()}


def answer_keyboard(answer: Answer, query_id: int, lang: str, offset: int = 0) -> InlineKeyboardMarkup:
    """The buttons under the answer to logged question ``query_id`` showing hits from ``offset``."""
    shown = len(answer.hits)
    top = answer.hits[0].passage_id if answer.hits and (answer.answered or offset) else None
    more = offset + shown if answer.answered and shown and offset + shown <= callbacks.MAX_OFFSET else None
    return callbacks.answer_keyboard(labels(lang), query_id, passage_id=top, next_offset=more)


def _passage_block(text: str, highlight: tuple[int, int] | None = None) -> Block:
    if highlight is None or not 0 <= highlight[0] < highlight[1] <= len(text):
        return (Span(text.strip()),)
    start, end = highlight
    spans = (Span(text[:start].lstrip()), Span(text[start:end], bold=True), Span(text[end:].rstrip()))
    return tuple(span for span in spans if span.text)


def _hit_blocks(hit: Hit, lang: str) -> list[Block]:
    return [
        _passage_block(hit.text, hit.highlight),
        (Span("— "), *source_spans(hit.title, hit.source, hit.url, hit.paragraph, lang)),
    ]


def more_blocks(answer: Answer, offset: int, lang: str) -> list[Block]:
    """Passages ranked ``offset + 1`` onwards for the question, each with its source."""
    header = i18n.text(
        lang, "more_title", first=offset + 1, last=offset + len(answer.hits), question=answer.question[:200]
    )
    blocks: list[Block] = [(Span(header, bold=True),)]
    for hit in answer.hits:
        blocks += _hit_blocks(hit, lang)
    return blocks


def context_blocks(found: Context, lang: str) -> list[Block]:
    """The paragraph before the passage, the passage in bold, the paragraph after; then the source."""
    doc, passage = found.document, found.passage
    blocks: list[Block] = [(Span(i18n.text(lang, "context_title"), bold=True),)]
    if found.before is not None:
        blocks.append((Span(found.before.text.strip(), italic=True),))
    blocks.append((Span(passage.text.strip(), bold=True),))
    if found.after is not None:
        blocks.append((Span(found.after.text.strip(), italic=True),))
    blocks.append((Span("— "), *source_spans(doc.title, doc.source, doc.url, passage.paragraph, lang)))
    return blocks


async def _send(message: Message, texts: list[str], markup: InlineKeyboardMarkup | None = None) -> None:
    for number, text in enumerate(texts, start=1):
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, do_quote=False,
            reply_markup=markup if number == len(texts) else None,
        )


async def on_callback(update: Update, context: Ctx) -> None:
    """Act on a button under an answer or a confirmation; always answer the callback query."""
    query = update.callback_query
    if query is None:
        return
    lang = lang_of(query.from_user)
    data = callbacks.parse(query.data)
    if isinstance(data, ConfirmRemove | CancelRemove):
        from .uploads import on_remove_button  # the admin side lives with the uploads

        await on_remove_button(update, context, data)
        return
    logged = await usage(context).question(data.query_id) if data is not None else None
    message = query.message if isinstance(query.message, Message) else None
    if data is None or logged is None or message is None:
        shown = (query.data or "")[:80]
        log.info("expired or forged callback data %r from user %s", shown, query.from_user.id)
        await query.answer(i18n.text(lang, "expired"), show_alert=False)
        return
    if isinstance(data, Vote):
        outcome = await usage(context).record_vote(data.query_id, query.from_user.id, data.vote)
        await query.answer(i18n.text(lang, VOTE_REPLIES.get(outcome or "", "expired")))
    elif isinstance(data, More):
        answer = await engine(context).ask(logged.question, k=PAGE, offset=data.offset)
        if not answer.hits:
            await query.answer(i18n.text(lang, "no_more"))
            return
        await query.answer()
        keyboard = answer_keyboard(answer, data.query_id, lang, offset=data.offset)
        await _send(message, to_messages(more_blocks(answer, data.offset, lang), lang), keyboard)
    elif isinstance(data, ShowContext):
        found = await engine(context).context(data.passage_id)
        if found is None:
            await query.answer(i18n.text(lang, "expired"))
            return
        await query.answer()
        await _send(message, to_messages(context_blocks(found, lang), lang))

"""The one callback router: every button press of the bot arrives here.

The buttons under an answer (more passages, the passage's context, 👍 / 👎), the remove buttons
of ``/sources`` and the confirm / cancel buttons of ``/remove``. The data is parsed by
``bot.callbacks`` and checked against the query log and the index; the callback query is always
answered: stale or forged data gets "this answer has expired" instead of an error. Follow-ups are
sent as new messages so the first answer stays.
"""

from __future__ import annotations

import logging

from telegram import Update

from . import admin, callbacks, i18n, render
from .callbacks import AskRemove, AskSuggested, CancelRemove, ConfirmRemove, More, ShowContext, Unpin, Vote
from .context import BotContext, language_of, reply
from .handlers import answer_question
from .querylog import LoggedQuestion

log = logging.getLogger(__name__)
PAGE = 3  # passages per "more passages" message
VOTE_REPLIES = {"recorded": "vote_recorded", "changed": "vote_changed", "unchanged": "vote_unchanged"}


async def on_button(update: Update, context: BotContext) -> None:
    """Act on a button under an answer or a confirmation; always answer the callback query."""
    query = update.callback_query
    if query is None:
        return
    data = callbacks.parse(query.data)
    if isinstance(data, ConfirmRemove | CancelRemove):
        await admin.remove_button(update, context, data)
        return
    if isinstance(data, AskRemove):
        await admin.ask_remove_button(update, context, data)
        return
    if isinstance(data, Unpin):
        await admin.unpin_button(update, context, data)
        return
    if isinstance(data, AskSuggested):
        await _ask_suggested(update, context, data)
        return
    logged = await context.querylog.question(data.query_id) if data is not None else None
    if data is None or logged is None or query.message is None:
        shown = (query.data or "")[:80]
        log.info("expired or forged callback data %r from user %s", shown, query.from_user.id)
        await query.answer(i18n.text(language_of(update), "expired"), show_alert=False)
    elif isinstance(data, Vote):
        outcome = await context.querylog.record_vote(data.query_id, query.from_user.id, data.vote)
        await query.answer(i18n.text(language_of(update), VOTE_REPLIES.get(outcome or "", "expired")))
    elif isinstance(data, More):
        await _more(update, context, data, logged)
    elif isinstance(data, ShowContext):
        await _context(update, context, data)


async def _ask_suggested(update: Update, context: BotContext, data: AskSuggested) -> None:
    """A suggested question's button: ask it, as if the user had typed it."""
    query = update.callback_query
    assert query is not None
    question = context.bot_data.suggested.question(data.token)
    if question is None:
        log.info("expired or forged suggestion token from user %s", query.from_user.id)
        await query.answer(i18n.text(language_of(update), "expired"))
        return
    await query.answer()
    await answer_question(update, context, question)


async def _more(update: Update, context: BotContext, data: More, logged: LoggedQuestion) -> None:
    """The next page of passages for the logged question."""
    query, lang = update.callback_query, language_of(update)
    assert query is not None
    answer = await context.engine.ask(logged.question, k=PAGE, offset=data.offset)
    if not answer.hits:
        await query.answer(i18n.text(language_of(update), "no_more"))
        return
    await query.answer()
    markup = callbacks.keyboard_for(answer, data.query_id, lang, offset=data.offset)
    await reply(update, context, render.more_blocks(answer, data.offset, lang), markup)


async def _context(update: Update, context: BotContext, data: ShowContext) -> None:
    """The passage with the paragraphs before and after it."""
    query = update.callback_query
    assert query is not None
    found = await context.engine.context(data.passage_id)
    if found is None:
        await query.answer(i18n.text(language_of(update), "expired"))
        return
    await query.answer()
    await reply(update, context, render.context_blocks(found, language_of(update)))

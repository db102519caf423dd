"""Inline mode: ``@botname question`` in any chat offers the story's best passages as results.

Each result is an article: title = document title and paragraph, description = the answering
sentence, message = the passage (answering sentence in bold) with its source, as escaped HTML.
Answers are cached briefly per normalized query text, because clients send a query per keystroke;
Telegram caches the results on its side for ``CACHE_SECONDS`` as well.
"""

from __future__ import annotations

import logging

from telegram import InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent, Update
from telegram.constants import ParseMode

from index import Answer, Hit

from . import render
from .cache import CACHE_SECONDS, MAX_QUERY_CHARS, normalize
from .features import Context, engine, features, is_admin, lang_of
from .i18n import text
from .render import Span

log = logging.getLogger("bot.inline")
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 200
MAX_MESSAGE_CHARS = 3800  # below Telegram's 4096 after the source line is added
START_PARAMETER = "inline"


def _shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def passage_html(hit: Hit, lang: str) -> str:
    """The passage with its answering sentence in bold, then its source; all of it escaped."""
    body = hit.text if len(hit.text) <= MAX_MESSAGE_CHARS else render.shorten(hit.text, MAX_MESSAGE_CHARS)
    start, end = hit.highlight if hit.highlight[1] <= len(body) else (0, 0)
    passage = tuple(
        span
        for span in (Span(body[:start]), Span(body[start:end], bold=True), Span(body[end:]))
        if span.text.strip()
    )
    source = (Span(text(lang, "source_prefix") + " "), *render.source_spans(
        hit.title, hit.source, hit.url, hit.paragraph, lang
    ))
    return render.to_html([passage, source])


def inline_results(answer: Answer, lang: str) -> list[InlineQueryResultArticle]:
    """One article per hit of an answered question; none when the story does not answer it."""
    if not answer.answered:
        return []
    return [
        InlineQueryResultArticle(
            id=str(hit.passage_id),
            title=_shorten(f"{hit.title} · {text(lang, 'paragraph', number=hit.paragraph)}", MAX_TITLE_CHARS),
            description=_shorten(hit.sentence or hit.text, MAX_DESCRIPTION_CHARS),
            input_message_content=InputTextMessageContent(
                passage_html(hit, lang), parse_mode=ParseMode.HTML
            ),
        )
        for hit in answer.hits
    ]


def hint_button(lang: str, key: str, **values: object) -> InlineQueryResultsButton:
    """The button above the results: a hint that opens a private chat with the bot."""
    label = _shorten(text(lang, key, **values), 64)
    return InlineQueryResultsButton(text=label, start_parameter=START_PARAMETER)


async def on_inline_query(update: Update, context: Context) -> None:
    """Offer the best passages for an inline query; a hint when it is empty or not answered."""
    query = update.inline_query
    if query is None:
        return
    lang = lang_of(query.from_user)
    question = " ".join(query.query.split())[:MAX_QUERY_CHARS]
    if not question:
        button = hint_button(lang, "inline_hint")
        await query.answer([], cache_time=CACHE_SECONDS, is_personal=True, button=button)
        return
    state, key = features(context), normalize(question)
    answer = state.inline_cache.get(key)
    if answer is None:
        wait = 0 if is_admin(context, query.from_user) else state.limiter.wait_seconds(query.from_user.id)
        if wait:
            button = hint_button(lang, "inline_wait", seconds=wait)
            await query.answer([], cache_time=0, is_personal=True, button=button)
            return
        answer = await engine(context).ask(question)
        state.inline_cache.put(key, answer)
    results = inline_results(answer, lang)
    missing = None if results else hint_button(lang, "inline_not_found")
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True, button=missing)

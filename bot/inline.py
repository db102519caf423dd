"""Inline mode: ``@botname question`` in any chat offers the story's best passages as results.

Each result is an article: title = document title and paragraph, description = the answering
sentence, message = the passage (answering sentence in bold) with its source, as escaped HTML
(``render.inline_message``). Answers are cached briefly per index version and normalized query
text, because clients send a query per keystroke; Telegram caches the results on its side for
``CACHE_SECONDS`` as well.
"""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent, Update
from telegram.constants import ParseMode

from index import Answer

from . import i18n, render
from .answer_cache import CACHE_SECONDS, MAX_QUERY_CHARS
from .context import INLINE_PAYLOAD, BotContext

MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 200


def _shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def inline_results(answer: Answer, lang: str,
                   passage_link: render.PassageLink | None = None) -> list[InlineQueryResultArticle]:
    """One article per hit of an answered question, or per candidate when the bot is unsure; none
    when the story does not answer it or the query is small talk."""
    if answer.outcome not in ("answer", "unsure"):
        return []
    return [
        InlineQueryResultArticle(
            id=str(hit.passage_id),
            title=_shorten(f"{hit.title} · {i18n.text(lang, 'paragraph', number=hit.paragraph)}",
                           MAX_TITLE_CHARS),
            description=_shorten(hit.sentence or hit.text, MAX_DESCRIPTION_CHARS),
            input_message_content=InputTextMessageContent(
                render.inline_message(hit, lang, passage_link), parse_mode=ParseMode.HTML
            ),
        )
        for hit in answer.hits
    ]


def hint_button(lang: str, key: str, **values: object) -> InlineQueryResultsButton:
    """The button above the results: a hint that opens a private chat with the bot."""
    label = _shorten(i18n.text(lang, key, **values), 64)
    return InlineQueryResultsButton(text=label, start_parameter=INLINE_PAYLOAD)


async def suggested_results(context: BotContext, lang: str) -> list[InlineQueryResultArticle]:
    """For an empty query: the suggested questions, each with its answer's passage."""
    results = []
    version = context.engine.version
    for question in await context.suggested_questions():
        answer = context.answers.get(version, question)
        if answer is None:
            answer = await context.engine.ask(question)
            context.answers.put(version, question, answer)
        if answer.outcome == "answer" and answer.hits:
            hit = answer.hits[0]
            results.append(InlineQueryResultArticle(
                id=f"s{hit.passage_id}", title=_shorten(question, MAX_TITLE_CHARS),
                description=_shorten(hit.sentence or hit.text, MAX_DESCRIPTION_CHARS),
                input_message_content=InputTextMessageContent(
                    render.inline_message(hit, lang, context.passage_link), parse_mode=ParseMode.HTML),
            ))
    return results


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Offer the best passages for an inline query; a hint when it is empty, limited or not answered."""
    query = update.inline_query
    if query is None:
        return
    lang = i18n.language(query.from_user.language_code)
    question = " ".join(query.query.split())[:MAX_QUERY_CHARS]
    if not question:
        hint = hint_button(lang, "inline_hint")
        await query.answer(await suggested_results(context, lang), cache_time=CACHE_SECONDS, is_personal=True,
                           button=hint)
        return
    version = context.engine.version
    answer = context.answers.get(version, question)
    if answer is None:
        wait = await context.wait_seconds(query.from_user)
        if wait:
            waiting = hint_button(lang, "inline_wait", seconds=wait)
            await query.answer([], cache_time=0, is_personal=True, button=waiting)
            return
        answer = await context.engine.ask(question)
        context.answers.put(version, question, answer)
    results = inline_results(answer, lang, context.passage_link)
    hints = {"unsure": "inline_unsure", "small_talk": "inline_hint", "not_found": "inline_not_found"}
    key = hints.get(answer.outcome)
    button = hint_button(lang, key) if key else None
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True, button=button)

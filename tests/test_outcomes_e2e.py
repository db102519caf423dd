"""The four outcomes of a message, end to end: the real Application over HTTP against the Bot API
stand-in, the fake embedder and a plain scorer (``support/scorers.py``) whose bands are known."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from support.botapi import BotApi, Call, settled
from support.scorers import plain
from telegram.ext import Application

from bot import i18n
from index.chunking import paragraph_spans

ALICE = 2002
StartBot = Callable[..., Awaitable[Application]]
UNSURE = ("Die französische Polizei hatte Durov festgenommen, nachdem sein Privatjet in Berlin am Strand "
          "gelandet war?")


@pytest.fixture
async def app(start_bot: StartBot) -> Application:
    return await start_bot(scorer=plain(unsure_at=0.02))


def _paragraph(corpus_dir: Path, number: int) -> str:
    text = (corpus_dir / "durov-telegram.de.txt").read_text(encoding="utf-8")
    start, end = paragraph_spans(text)[number - 1]
    return text[start:end]


async def _reply(api: BotApi, text: str, lang: str = "de") -> Call:
    api.text(ALICE, text, language_code=lang)
    [reply] = await api.next_calls("sendMessage", ALICE)
    return reply


def _buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_an_answer_shows_the_passage_in_bold_with_its_source(
    bot_api: BotApi, app: Application, corpus_dir: Path
) -> None:
    reply = await _reply(bot_api, _paragraph(corpus_dir, 5))
    assert "<b>" in reply.text and "Absatz 5" in reply.plain
    assert "Weitere Stellen" in _buttons(reply)


async def test_unsure_shows_the_closest_passages_as_candidates(bot_api: BotApi, app: Application) -> None:
    reply = await _reply(bot_api, UNSURE)
    assert reply.plain.startswith(i18n.text("de", "unsure"))
    assert reply.plain.count("•") >= 2 and "Absatz 11" in reply.plain
    assert i18n.text("de", "not_in_story") not in reply.plain


async def test_not_found_says_so_and_offers_the_closest_passage(bot_api: BotApi, app: Application) -> None:
    reply = await _reply(bot_api, "Rezept für Apfelkuchen mit Zimt und Sahne")
    assert reply.plain.startswith(i18n.text("de", "not_in_story"))
    assert i18n.text("de", "closest") in reply.plain


async def test_small_talk_gets_what_the_bot_does_and_example_questions(
    bot_api: BotApi, app: Application
) -> None:
    reply = await _reply(bot_api, "Hallo", lang="de")
    assert reply.plain.startswith(i18n.text("de", "small_talk"))
    for example in i18n.text("de", "examples").split("|"):
        assert example in reply.plain
    assert i18n.text("de", "not_in_story") not in reply.plain and not _buttons(reply)


async def test_a_question_about_the_whole_story_gets_title_and_lead(
    bot_api: BotApi, app: Application, corpus_dir: Path
) -> None:
    reply = await _reply(bot_api, "Worum geht es?")
    assert reply.plain.startswith(i18n.text("de", "lead_prefix"))
    assert "Durov: Telegram ist kein sicherer Hafen für Kriminelle" in reply.plain
    lead = " ".join(_paragraph(corpus_dir, 2).split())
    assert lead in " ".join(reply.plain.split())


@pytest.mark.parametrize(
    ("query", "results", "hint"),
    [
        ("answer", True, None),
        (UNSURE, True, "inline_unsure"),
        ("Rezept für Apfelkuchen mit Zimt und Sahne", False, "inline_not_found"),
        ("Hallo", False, "inline_hint"),
    ],
)
async def test_inline_results_follow_the_outcome(
    bot_api: BotApi, app: Application, corpus_dir: Path, query: str, results: bool, hint: str | None
) -> None:
    text = _paragraph(corpus_dir, 5) if query == "answer" else query
    bot_api.push({"inline_query": {"id": "iq-1", "from": bot_api.user(ALICE, language_code="en"),
                                   "query": text, "offset": ""}})
    (call,) = await bot_api.next_calls("answerInlineQuery")
    assert bool(call.params["results"]) is results
    button = call.params.get("button")
    assert (button["text"] if button else None) == (i18n.text("en", hint)[:64] if hint else None)


async def test_a_reload_never_leaves_an_old_inline_answer_cached(
    bot_api: BotApi, app: Application, corpus_dir: Path, admin_id: int
) -> None:
    zoo = "Im Berliner Zoo kamen im Frühling drei Pinguinküken zur Welt."

    def ask_inline(query_id: str) -> None:
        query = {"id": query_id, "from": bot_api.user(ALICE), "query": zoo, "offset": ""}
        bot_api.push({"inline_query": query})

    ask_inline("iq-before")
    (before,) = await bot_api.next_calls("answerInlineQuery")
    assert before.params["results"] == []  # not in the story yet, and now cached
    (corpus_dir / "zoo.txt").write_text(zoo + "\n", encoding="utf-8")
    bot_api.text(admin_id, "/reload")
    await bot_api.next_calls("sendMessage", admin_id)  # "reloading", then edited to the summary
    await bot_api.next_matching("editMessageText", admin_id, settled)
    ask_inline("iq-after")
    (after,) = await bot_api.next_calls("answerInlineQuery")
    assert [r["description"] for r in after.params["results"]][:1] == [zoo]

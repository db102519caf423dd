"""Suggested questions: listed in a document's metadata, checked by every build, joined by the
questions readers liked; shown as buttons that ask them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from support.botapi import BotApi
from support.botrun import logged, serve, settings_for
from support.fakes import FakeEmbedder

from bot import callbacks, i18n
from bot.querylog import QueryLog
from bot.suggestions import SuggestionTokens, pick
from index import Engine, IndexConfig
from index.suggestions import listed_questions

ADMIN, ALICE = 1001, 2002


def test_listed_questions_are_cleaned_and_a_malformed_list_is_ignored(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    (tmp_path / "a.toml").write_text('questions = ["  Wer  ist das? ", "Wer ist das?", "", "Wo?"]\n')
    assert listed_questions(doc) == ("Wer ist das?", "Wo?")
    (tmp_path / "a.toml").write_text('questions = "not a list"\n')
    assert listed_questions(doc) == ()
    (tmp_path / "a.toml").write_text("questions = [1, 2]\n")
    assert listed_questions(doc) == ()
    assert listed_questions(tmp_path / "none.txt") == ()


def test_the_pool_takes_listed_questions_first_without_repeats() -> None:
    assert pick(["A?", "B?"], ["b?", "C?", "D?"]) == ["A?", "B?", "C?"]
    assert pick([], []) == []


def test_suggestion_tokens_map_to_their_question_and_old_ones_expire() -> None:
    tokens = SuggestionTokens(size=2)
    first, second, third = tokens.issue("1?"), tokens.issue("2?"), tokens.issue("3?")
    assert (tokens.question(first), tokens.question(second), tokens.question(third)) == (None, "2?", "3?")
    assert tokens.question("forged-token") is None


async def test_a_build_keeps_only_the_listed_questions_their_document_answers(
    engine_config: IndexConfig,
    fake_embedder: FakeEmbedder,
    corpus_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (corpus_dir / "zoo.txt").write_text(
        "Der Elefant im Stadtzoo frisst täglich zweihundert Kilo Heu.\n\n"
        "Die Giraffen leben im neuen Gehege am Teich.\n",
        encoding="utf-8",
    )
    (corpus_dir / "zoo.toml").write_text(
        'questions = ["Wie viel Heu frisst der Elefant im Stadtzoo?", "Wo wurde Durov festgenommen?"]\n'
    )
    engine = await Engine.open(dataclasses.replace(engine_config, threshold=0.0), fake_embedder)
    try:
        kept = await engine.suggestions()
    finally:
        await engine.close()
    assert ("Wie viel Heu frisst der Elefant im Stadtzoo?", "zoo") in [(s.question, s.doc_id) for s in kept]
    assert ("Wo wurde Durov festgenommen?", "zoo") not in [(s.question, s.doc_id) for s in kept]
    assert "'Wo wurde Durov festgenommen?' of zoo is not answered from it" in caplog.text


async def test_answered_questions_voted_up_or_asked_often_join_the_pool(
    tmp_path: Path, database_url: str
) -> None:
    log = await QueryLog.open(tmp_path, database_url)
    try:
        liked = await logged(log, "Was hat Durov versprochen?")
        await log.record_vote(liked, 7, 1)
        for _ in range(3):
            await logged(log, "Wie viele Nutzer hat Telegram?")
        for _ in range(3):
            await logged(log, "Wie heißt der Hund?", outcome="not_found")
        await log.record_vote(await logged(log, "Und wann? (durov festgenommen)"), 7, 1)
        assert await log.good_questions() == ["Was hat Durov versprochen?", "Wie viele Nutzer hat Telegram?"]
    finally:
        await log.close()


@pytest.fixture
async def app(bot_api: BotApi, corpus_dir: Path, tmp_path: Path) -> Any:
    settings = settings_for(bot_api, corpus_dir, tmp_path / "data", ADMIN, threshold=0.0)
    async with serve(settings) as application:
        yield application


async def test_start_offers_the_listed_questions_and_a_button_asks_one(bot_api: BotApi, app: Any) -> None:
    bot_api.text(ALICE, "/start", language_code="en")
    (greeting,) = await bot_api.next_calls("sendMessage", ALICE)
    offered = greeting.buttons
    assert list(offered) == [
        "Wo wurde Durov festgenommen?",
        "Wie viele Nutzer hat Telegram?",
        "In welchen Ländern war Telegram verboten?",
    ]
    bot_api.press(ALICE, offered["Wie viele Nutzer hat Telegram?"], greeting.message)
    (answer,) = await bot_api.next_calls("sendMessage", ALICE)
    assert "Source:" in answer.plain  # answered, and logged as the button's question
    asked = await app.bot_data.querylog.last_question(ALICE, ALICE, 0)
    assert asked is not None and asked.question == "Wie viele Nutzer hat Telegram?"
    forged = bot_api.press(ALICE, callbacks.suggested("AAAAAAAAAAAA"), greeting.message)
    expired = [
        c
        for c in await bot_api.next_calls("answerCallbackQuery", n=2)
        if c.params["callback_query_id"] == forged
    ]
    assert expired[0].params["text"] == i18n.text("en", "expired")


async def test_small_talk_and_an_empty_inline_query_offer_the_suggestions(bot_api: BotApi, app: Any) -> None:
    bot_api.text(ALICE, "Hallo!", language_code="en")
    (reply,) = await bot_api.next_calls("sendMessage", ALICE)
    assert "Wo wurde Durov festgenommen?" in reply.buttons
    bot_api.push({"inline_query": {"id": "iq-empty", "from": bot_api.user(ALICE), "query": "", "offset": ""}})
    (results,) = await bot_api.next_calls("answerInlineQuery")
    titles = [r["title"] for r in results.params["results"]]
    assert titles and set(titles) <= {
        "Wo wurde Durov festgenommen?",
        "Wie viele Nutzer hat Telegram?",
        "In welchen Ländern war Telegram verboten?",
    }

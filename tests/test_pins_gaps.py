"""What the story lacks: /gaps groups the unanswered questions by meaning; /pin makes a passage the
answer for questions like one; pins live in the query log and outlive rebuilds with their text."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.botapi import BotApi, Call
from support.botrun import logged, serve, settings_for, watching
from support.fakes import FakeEmbedder

from bot import i18n
from bot.querylog import QueryLog
from index import Engine, IndexConfig
from index.build import sha256
from index.pins import Pin, closest_pin, group

ADMIN, ALICE = 1001, 2002
PINNED = "Wie alt ist Pavel Durov?"


def unit(*rows: list[float]) -> np.ndarray:
    matrix = np.array(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_questions_are_grouped_by_meaning_largest_group_first() -> None:
    vectors = unit([1, 0, 0], [0, 1, 0], [0.95, 0.05, 0], [0, 0.97, 0.1], [0.99, 0, 0.02], [0, 0, 1])
    assert group(vectors) == [[0, 2, 4], [1, 3], [5]]
    assert group(np.zeros((0, 3), dtype=np.float32)) == []


def test_a_pin_applies_only_to_questions_close_to_its_own() -> None:
    pins = [Pin(1, "a", "d", "h1"), Pin(2, "b", "d", "h2")]
    vectors = unit([1, 0], [0, 1])
    assert closest_pin(unit([0.1, 1])[0], pins, vectors) == pins[1]
    assert closest_pin(unit([1, 1])[0], pins, vectors) is None  # between both: neither
    assert closest_pin(unit([1, 0])[0], [], np.zeros((0, 2))) is None


async def test_gap_questions_are_the_unanswered_unsure_and_voted_down_of_the_last_week(
    tmp_path: Path, database_url: str
) -> None:
    log = await QueryLog.open(tmp_path, database_url)
    try:
        await logged(log, "Wie alt ist Durov?", "not_found")
        await logged(log, "wie alt ist durov?", "unsure")  # the same question again
        await logged(log, "Hallo", "small_talk")
        await logged(log, "Wo wurde er verhaftet?", "answer")
        await log.record_vote(await logged(log, "Was hat er versprochen?", "answer"), 5, -1)
        assert await log.gap_questions() == ["Wie alt ist Durov?", "Was hat er versprochen?"]
        assert await log.gap_questions(now=time.time() + 8 * 86400) == []
        pin_id = await log.add_pin("Wie alt?", "doc", "abc", "Der Text …", 1001)
        assert [(p.pin.id, p.pin.question, p.excerpt) for p in await log.pins()] == [
            (pin_id, "Wie alt?", "Der Text …")
        ]
        assert await log.remove_pin(pin_id) and not await log.remove_pin(pin_id) and await log.pins() == []
    finally:
        await log.close()


async def test_a_pin_outlives_a_rebuild_while_its_text_exists(
    engine_config: IndexConfig, fake_embedder: FakeEmbedder, corpus_dir: Path
) -> None:
    engine = await Engine.open(dataclasses.replace(engine_config, threshold=0.0), fake_embedder)
    try:
        [document] = await engine.documents()
        shown = await engine.context((await engine.ask("Wer hat Durov festgenommen?")).hits[0].passage_id)
        assert shown is not None
        pin = Pin(1, PINNED, document.id, sha256(shown.passage.text))
        answer = await engine.ask("Wie alt ist Pavel Durov eigentlich?", pins=[pin])
        assert answer.pinned == PINNED and answer.hits[0].text == shown.passage.text
        assert (await engine.ask("Was löscht Telegram jeden Tag?", pins=[pin])).pinned == ""
        story = corpus_dir / "durov-telegram.de.txt"
        story.write_text(
            story.read_text(encoding="utf-8") + "\n\nEin neuer letzter Absatz.\n", encoding="utf-8"
        )
        await engine.rebuild()
        assert (await engine.ask("Wie alt ist Pavel Durov?", pins=[pin])).pinned == PINNED  # text unchanged
        story.write_text(
            story.read_text(encoding="utf-8").replace(shown.passage.text, "Ganz anders."), encoding="utf-8"
        )
        await engine.rebuild()
        assert (await engine.ask("Wie alt ist Pavel Durov?", pins=[pin])).pinned == ""  # its text is gone
    finally:
        await engine.close()


@pytest.fixture
async def app(bot_api: BotApi, corpus_dir: Path, tmp_path: Path) -> Any:
    async with serve(
        settings_for(bot_api, corpus_dir, tmp_path / "data", ADMIN, threshold=0.0)
    ) as application:
        yield application


async def send(api: BotApi, user: int, text: str, **content: Any) -> Call:
    api.text(user, text, language_code="en", **content)
    (call,) = await api.next_calls("sendMessage", user)
    return call


async def test_pin_then_a_similar_question_is_answered_from_the_pin(bot_api: BotApi, app: Any) -> None:
    with watching("bot.handlers", "delivered: yes") as recorded:
        answer = await send(bot_api, ADMIN, "Wer hat Durov festgenommen?")
        await recorded.reached(1)
    replied = answer.message
    refused = await send(
        bot_api,
        ALICE,
        f"/pin {PINNED}",
        reply_to_message={**replied, "chat": {"id": ALICE, "type": "private"}},
    )
    assert refused.plain == "Sorry, only admins may use /pin."
    usage = await send(bot_api, ADMIN, f"/pin {PINNED}")  # not a reply
    assert usage.plain == i18n.text("en", "pin_usage")
    done = await send(bot_api, ADMIN, f"/pin {PINNED}", reply_to_message=replied)
    assert done.plain.startswith(f"📌 Pinned: questions like “{PINNED}” are answered with Durov")
    pinned = await send(bot_api, ALICE, "Wie alt ist Pavel Durov eigentlich?")
    assert pinned.plain.endswith(i18n.text("en", "pinned_answer"))
    first_line = answer.plain.split("\n")[0][:60]
    assert first_line in pinned.plain


async def test_gaps_groups_the_unanswered_questions_and_lists_the_pins(bot_api: BotApi, app: Any) -> None:
    log: QueryLog = app.bot_data.querylog
    for question in (
        "Wie alt ist Durov?",
        "Wie alt ist Durov eigentlich?",
        "Wie alt ist Durov heute?",
        "Hat Telegram einen Hund?",
    ):
        await logged(log, question, "not_found", user_id=ALICE)
    pin_id = await log.add_pin(PINNED, "durov-telegram.de", "hash", "Die französische Polizei …", ADMIN)
    refused = await send(bot_api, ALICE, "/gaps")
    assert refused.plain == "Sorry, only admins may use /gaps."
    shown = await send(bot_api, ADMIN, "/gaps")
    assert "Not answered in the last 7 days: 4 questions in 2 groups" in shown.plain
    assert "• 3× “Wie alt ist Durov?”, “Wie alt ist Durov eigentlich?”" in shown.plain
    assert "• 1× “Hat Telegram einen Hund?”" in shown.plain
    assert f"📌 “{PINNED}” → Die französische Polizei …" in shown.plain
    (button,) = [b for row in shown.params["reply_markup"]["inline_keyboard"] for b in row]
    for user, query_id in ((ALICE, "cq-alice"), (ADMIN, "cq-admin")):
        bot_api.press(user, button["callback_data"], shown.message, query_id)
        (answered,) = await bot_api.next_calls("answerCallbackQuery")
        assert answered.params["callback_query_id"] == query_id
        if user == ALICE:
            assert answered.params["show_alert"] is True and await log.pins()
    assert answered.params["text"] == i18n.text("en", "pin_removed") and await log.pins() == []
    assert pin_id

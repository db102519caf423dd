"""The query log: questions stored with what they found, numbered migrations run once."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from bot.querylog import MIGRATIONS, QueryLog, m001_questions
from index import migrations


async def test_a_question_is_stored_with_user_chat_passages_and_latency(
    tmp_path: Path, database_url: str
) -> None:
    log = await QueryLog.open(tmp_path, database_url)
    try:
        first = await log.record_question(
            user_id=42,
            chat_id=42,
            chat_type="private",
            question="Wer ist Durov?",
            passage_ids=[3, 1, 8],
            answered=True,
            latency_ms=12.5,
            language="de",
        )
        second = await log.record_question(
            user_id=7,
            chat_id=-100,
            chat_type="group",
            question="Weather?",
            passage_ids=[],
            answered=False,
            latency_ms=3.0,
            shortened=True,
        )
        assert second > first
        rows = await log.db.fetchall(
            "SELECT user_id, chat_id, chat_type, question, passage_ids, answered, latency_ms,"
            " language, shortened FROM questions ORDER BY id")
    finally:
        await log.close()
    assert rows[0] == (42, 42, "private", "Wer ist Durov?", "[3, 1, 8]", 1, 12.5, "de", 0)
    assert rows[1][:6] == (7, -100, "group", "Weather?", "[]", 0) and rows[1][8] == 1
    assert json.loads(rows[0][4]) == [3, 1, 8]


async def test_the_previous_question_delivery_and_answer_messages_are_kept(
    tmp_path: Path, database_url: str
) -> None:
    log = await QueryLog.open(tmp_path, database_url)
    try:
        async def ask(user: int, chat: int, question: str, outcome: str) -> int:
            return await log.record_question(
                user_id=user, chat_id=chat, chat_type="private", question=question, passage_ids=[5],
                answered=outcome == "answer", latency_ms=1.0, language="de", outcome=outcome)

        assert await log.last_question(42, 42, 0) is None  # nothing asked yet
        first = await ask(42, 42, "Wo wurde Durov festgenommen?", "answer")
        await ask(42, 42, "Hallo", "small_talk")  # small talk is nothing to follow up on
        await ask(7, 42, "Wer ist Durov?", "answer")  # another user in the same chat
        await ask(42, -100, "Wann?", "answer")  # the same user in another chat
        previous = await log.last_question(42, 42, 0)
        assert previous is not None and previous.id == first
        assert previous.question == "Wo wurde Durov festgenommen?"
        assert previous.passage_ids == (5,) and previous.answered and previous.language == "de"
        assert await log.last_question(42, 42, float("inf")) is None  # too long ago
        assert await log.question(first) == previous and await log.question(first + 1000) is None

        await log.set_delivered(first, "sent")
        await log.record_answer_messages(first, [(42, 900), (42, 901)])
        await log.record_answer_messages(first + 3, [(42, 901)])  # a message edited to show another answer
        delivered = await log.db.fetchone("SELECT delivered FROM questions WHERE id = ?", first)
        shown = [await log.answer_of_message(42, m) for m in (900, 901, 902)]
    finally:
        await log.close()
    assert delivered == ("sent",)
    assert shown == [first, first + 3, None]


async def test_the_sqlite_log_commits_without_waiting_for_the_disk_and_keeps_what_it_committed(
    tmp_path: Path,
) -> None:
    log = await QueryLog.open(tmp_path)
    try:
        modes = [await log.db.fetchone(f"PRAGMA {name}") for name in ("journal_mode", "synchronous")]
        asked = await log.record_question(user_id=1, chat_id=1, chat_type="private",
                                          question="Wer ist Durov?", passage_ids=[1], answered=True,
                                          latency_ms=1.0)
    finally:
        await log.close()
    assert modes == [("wal",), (1,)]  # 1: NORMAL
    reopened = await QueryLog.open(tmp_path)
    try:
        assert (await reopened.question(asked)) is not None
    finally:
        await reopened.close()


async def test_questions_survive_reopening_and_migrations_run_once(tmp_path: Path) -> None:
    log = await QueryLog.open(tmp_path)
    await log.record_question(
        user_id=1,
        chat_id=1,
        chat_type="private",
        question="q",
        passage_ids=[1],
        answered=True,
        latency_ms=1.0,
    )
    await log.close()
    log = await QueryLog.open(tmp_path)
    try:
        assert await log.question_count() == 1
        applied = [row[0] for row in await log.db.fetchall("SELECT name FROM migrations ORDER BY name")]
        assert applied == [m.__name__ for m in MIGRATIONS]
    finally:
        await log.close()


def test_a_new_migration_runs_on_an_old_file(tmp_path: Path) -> None:
    def m002_extra() -> str:
        return "CREATE TABLE extra (id INTEGER PRIMARY KEY)"

    path = tmp_path / "usage.db"
    assert migrations.migrate_file(path, [m001_questions]) == ["m001_questions"]
    assert migrations.migrate_file(path, [m001_questions, m002_extra]) == ["m002_extra"]
    assert migrations.migrate_file(path, [m001_questions, m002_extra]) == []
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert "questions" in tables and "extra" in tables


async def test_a_query_log_that_counted_migrations_in_user_version_is_opened_with_its_questions(
    tmp_path: Path,
) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / "usage.db")) as db:
        db.executescript(m001_questions() + MIGRATIONS[1]() + "; PRAGMA user_version = 2;")
        db.execute("INSERT INTO questions (created, chat_type, question, passage_ids, answered, latency_ms)"
                   " VALUES (1, 'private', 'Wer ist Durov?', '[1]', 1, 5)")
        db.commit()
    log = await QueryLog.open(tmp_path)
    try:
        assert await log.question_count() == 1
    finally:
        await log.close()

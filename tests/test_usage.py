"""The query log: questions stored with what they found, numbered migrations run once."""

from __future__ import annotations

import json
from pathlib import Path

import aiosqlite
import pytest

from index.usage import MIGRATIONS, UsageLog, m001_questions, migrate


async def test_a_question_is_stored_with_user_chat_passages_and_latency(tmp_path: Path) -> None:
    log = await UsageLog.open(tmp_path)
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
        async with log.db.execute(
            "SELECT user_id, chat_id, chat_type, question, passage_ids, answered, latency_ms,"
            " language, shortened FROM questions ORDER BY id"
        ) as cursor:
            rows = list(await cursor.fetchall())
    finally:
        await log.close()
    assert rows[0] == (42, 42, "private", "Wer ist Durov?", "[3, 1, 8]", 1, 12.5, "de", 0)
    assert rows[1][:6] == (7, -100, "group", "Weather?", "[]", 0) and rows[1][8] == 1
    assert json.loads(rows[0][4]) == [3, 1, 8]


async def test_questions_survive_reopening_and_migrations_run_once(tmp_path: Path) -> None:
    log = await UsageLog.open(tmp_path)
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
    log = await UsageLog.open(tmp_path)
    try:
        assert await log.question_count() == 1
        async with log.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == len(MIGRATIONS)
    finally:
        await log.close()


async def test_a_new_migration_runs_on_an_old_file(tmp_path: Path) -> None:
    async def m002_extra(db: aiosqlite.Connection) -> None:
        await db.execute("CREATE TABLE extra (id INTEGER PRIMARY KEY)")

    async with aiosqlite.connect(tmp_path / "usage.db", isolation_level=None) as db:
        assert await migrate(db, [m001_questions]) == 1
        assert await migrate(db, [m001_questions, m002_extra]) == 2
        assert await migrate(db, [m001_questions, m002_extra]) == 2
        async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") as cursor:
            tables = [row[0] for row in await cursor.fetchall()]
    assert "questions" in tables and "extra" in tables


async def test_a_failing_migration_leaves_the_file_at_its_old_version(tmp_path: Path) -> None:
    async def m002_broken(db: aiosqlite.Connection) -> None:
        await db.execute("CREATE TABLE half (id INTEGER)")
        raise RuntimeError("migration failed")

    async with aiosqlite.connect(tmp_path / "usage.db", isolation_level=None) as db:
        await migrate(db, [m001_questions])
        with pytest.raises(RuntimeError, match="migration failed"):
            await migrate(db, [m001_questions, m002_broken])
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        async with db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'") as cursor:
            half = await cursor.fetchone()
    assert row is not None and row[0] == 1
    assert half is not None and half[0] == 0

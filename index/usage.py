"""The query log: every question asked, what it found, whether it was answered, how fast.

One SQLite file (``usage.db`` in the data folder) through aiosqlite, with numbered migrations run
at open; its schema version is SQLite's ``user_version``. Only questions are stored with their
text; user ids are stored, names are not. No Telegram here: callers pass plain ids.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiosqlite

FILENAME = "usage.db"


async def m001_questions(db: aiosqlite.Connection) -> None:
    await db.execute(
        """
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            created REAL NOT NULL,          -- unix time
            user_id INTEGER,                -- Telegram user id; NULL for the terminal
            chat_id INTEGER,
            chat_type TEXT NOT NULL,        -- private, group, supergroup, channel, terminal, inline
            question TEXT NOT NULL,         -- as searched (after trimming and shortening)
            language TEXT NOT NULL DEFAULT '',
            passage_ids TEXT NOT NULL,      -- JSON list of passage ids, best first
            answered INTEGER NOT NULL,      -- 0: "not in the story"
            shortened INTEGER NOT NULL DEFAULT 0,
            latency_ms REAL NOT NULL
        )
        """
    )
    await db.execute("CREATE INDEX questions_created ON questions (created)")
    await db.execute("CREATE INDEX questions_user ON questions (user_id, created)")


Migration = Callable[[aiosqlite.Connection], Awaitable[None]]
MIGRATIONS: list[Migration] = [m001_questions]


async def migrate(db: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Run the migrations newer than the file's ``user_version``; return the new version."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    for number, migration in enumerate(migrations, start=1):
        if number <= version:
            continue
        await db.execute("BEGIN")
        try:
            await migration(db)
            await db.execute(f"PRAGMA user_version = {number}")
            await db.commit()
        except BaseException:
            await db.rollback()
            raise
        version = number
    return version


class UsageLog:
    """Open with ``await UsageLog.open(data_dir)``; close with ``await log.close()``."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    async def open(cls, data_dir: Path) -> UsageLog:
        """Open (creating if needed) the query log in ``data_dir`` and bring its schema up to date."""
        await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
        path = data_dir / FILENAME
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA busy_timeout = 5000")
            await migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        """Close the database connection."""
        await self.db.close()

    async def record_question(
        self,
        *,
        user_id: int | None,
        chat_id: int | None,
        chat_type: str,
        question: str,
        passage_ids: Sequence[int],
        answered: bool,
        latency_ms: float,
        language: str = "",
        shortened: bool = False,
    ) -> int:
        """Store one question and what it found; return its query id."""
        cursor = await self.db.execute(
            "INSERT INTO questions (created, user_id, chat_id, chat_type, question, language, passage_ids,"
            " answered, shortened, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(), user_id, chat_id, chat_type, question, language,
                json.dumps([int(i) for i in passage_ids]), int(answered), int(shortened), float(latency_ms),
            ),
        )
        query_id = cursor.lastrowid
        await cursor.close()
        if query_id is None:
            raise RuntimeError("SQLite returned no row id for the new question")
        return query_id

    async def question_count(self) -> int:
        """Number of questions logged."""
        async with self.db.execute("SELECT count(*) FROM questions") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

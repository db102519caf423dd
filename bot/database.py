"""Where the query log lives: one SQLite file (the default, for one process) or PostgreSQL (for
several replicas: ``[store] url`` / env ``DATABASE_URL``).

Both are one small interface, so ``querylog.py`` writes its queries once: ``?`` placeholders
(turned into ``$1, $2 …`` for PostgreSQL), ``RETURNING`` and ``ON CONFLICT … DO UPDATE``, which
both speak. The schema is each backend's own list of numbered migrations; PostgreSQL's run in one
transaction under an advisory lock, so replicas starting together apply each once.

    db = await open_database(data_dir, url)   # SqliteDatabase or PostgresDatabase
    rows = await db.fetchall("SELECT id FROM questions WHERE user_id = ?", 42)
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from index import ConfigError, migrations
from index.concurrency import run_sync

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
_PLACEHOLDER = re.compile(r"\?")
_COUNT = re.compile(r"(\d+)$")


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def run(self, sql: str, *args: Any) -> None:
        """Run one statement whose count is not needed (with SQLite: one hop, not two)."""
        ...

    async def fetchone(self, sql: str, *args: Any) -> Row | None: ...

    async def fetchall(self, sql: str, *args: Any) -> list[Row]: ...

    async def close(self) -> None: ...


class SqliteDatabase:
    """One aiosqlite connection (its own thread), in autocommit mode, WAL journal."""

    dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db, self.path = db, path

    @classmethod
    async def open(cls, path: Path, schema: Sequence[migrations.Migration]) -> SqliteDatabase:
        """Connect, check the file's integrity and run the migrations; a damaged file is renamed
        ``<name>.corrupt-<unix time>`` (kept, logged) and a new one takes its place."""
        await run_sync(path.parent.mkdir, parents=True, exist_ok=True)
        try:
            return cls(await _connect(path, schema), path)
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            log.error("the database %s is damaged (%s): moved to %s, starting a new one",
                      path, exc, aside.name)
            await run_sync(_set_aside, path, aside)
        return cls(await _connect(path, schema), path)

    async def execute(self, sql: str, *args: Any) -> int:
        cursor = await self.db.execute(sql, args)
        changed = cursor.rowcount
        await cursor.close()
        return int(changed)

    async def run(self, sql: str, *args: Any) -> None:
        await self.db.execute_fetchall(sql, args)

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        """The first row (the queries here return at most one), read in one hop to the
        connection's thread rather than three (execute, fetch, close)."""
        rows = await self.db.execute_fetchall(sql, args)
        return next((tuple(row) for row in rows), None)

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return [tuple(row) for row in await self.db.execute_fetchall(sql, args)]

    async def close(self) -> None:
        await self.db.close()


async def _connect(path: Path, schema: Sequence[migrations.Migration]) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA journal_mode = WAL")
        # with WAL, NORMAL syncs at checkpoints rather than at every commit: a commit no longer
        # waits for the disk (0.37 -> 0.04 ms here, more on a slow disk), and the file stays
        # consistent; a power cut (not a crash of the bot) can take back the last few questions
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA busy_timeout = 5000")
        async with db.execute("PRAGMA quick_check") as cursor:
            problems = [str(row[0]) for row in await cursor.fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(problems[:3]))
        await run_sync(migrations.migrate_file, path, schema)
    except BaseException:
        await db.close()
        raise
    return db


def _set_aside(path: Path, aside: Path) -> None:
    """Rename a damaged database and its journal files out of the way."""
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.replace(aside.with_name(aside.name + suffix))


def postgres_sql(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2 …`` (the queries here hold no literal ``?``)."""
    numbers = iter(range(1, sql.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql)


class PostgresDatabase:
    """An asyncpg pool; every statement on a connection of its own (autocommit)."""

    dialect = "postgresql"

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str, schema: Sequence[Callable[[], str]]) -> PostgresDatabase:
        """Connect to ``url`` and bring the schema up to date; ``ConfigError`` naming the server
        (never the password) if it cannot be reached."""
        import asyncpg

        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=4, command_timeout=30, timeout=10)
        except (OSError, asyncpg.PostgresError, ValueError, TimeoutError) as exc:
            raise ConfigError(f"[store] url: cannot reach the PostgreSQL database at {redact(url)}: "
                              f"{redact(str(exc))}") from None
        database = cls(pool)
        try:
            await database.migrate(schema)
        except BaseException:
            await pool.close()
            raise
        return database

    async def migrate(self, schema: Sequence[Callable[[], str]]) -> list[str]:
        """Apply the migrations not yet recorded, in order, in one transaction; their names."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(4242001)")  # one replica migrates at a time
            await conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, "
                               "applied TIMESTAMPTZ NOT NULL DEFAULT now())")
            done = {row["name"] for row in await conn.fetch("SELECT name FROM migrations")}
            applied = []
            for migration in schema:
                if migration.__name__ not in done:
                    await conn.execute(migration())
                    await conn.execute("INSERT INTO migrations (name) VALUES ($1)", migration.__name__)
                    applied.append(migration.__name__)
        return applied

    async def execute(self, sql: str, *args: Any) -> int:
        status = await self.pool.execute(postgres_sql(sql), *args)
        found = _COUNT.search(str(status))
        return int(found.group(1)) if found else 0

    async def run(self, sql: str, *args: Any) -> None:
        await self.pool.execute(postgres_sql(sql), *args)

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row = await self.pool.fetchrow(postgres_sql(sql), *args)
        return tuple(row.values()) if row is not None else None

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return [tuple(row.values()) for row in await self.pool.fetch(postgres_sql(sql), *args)]

    async def close(self) -> None:
        await self.pool.close()


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)

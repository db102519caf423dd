"""Numbered schema migrations for the index's two SQLite databases.

Each migration is a function ``mNNN_what`` returning the SQL script that takes the schema one step
further. A ``migrations`` table records the names already applied, so each runs once, in order:

- ``GENERATION``: ``generations/<version>/index.sqlite`` (documents, passages, keyword index); a
  generation file is written once by a build and read-only afterwards, so its migrations run when
  it is created, and a generation missing one is rebuilt rather than served.
- ``CACHE``: ``cache.sqlite`` (embedding cache), migrated whenever it is opened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import aiosqlite

Migration = Callable[[], str]

_TABLE = "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"


def m001_documents_passages_keywords() -> str:
    return """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        title TEXT NOT NULL,
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        language TEXT NOT NULL,
        date TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        passages INTEGER NOT NULL
    );
    CREATE TABLE passages (
        id INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES documents(id),
        paragraph INTEGER NOT NULL,
        window_no INTEGER NOT NULL,
        text TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        sentences TEXT NOT NULL,      -- JSON [[start, end], ...] within text
        sentence_row INTEGER NOT NULL, -- first row of this passage's sentences in sentences.npy
        sentence_count INTEGER NOT NULL
    );
    CREATE INDEX passages_by_position ON passages (doc_id, paragraph, window_no);
    CREATE VIRTUAL TABLE passage_keywords USING fts5 (stemmed, tokenize = 'unicode61');
    """


def m001_embedding_cache() -> str:
    return """
    CREATE TABLE embeddings (
        model TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,            -- 'passage' or 'sentence'
        vector BLOB NOT NULL,          -- float32, little-endian
        PRIMARY KEY (model, sha256, kind)
    ) WITHOUT ROWID;
    """


GENERATION: tuple[Migration, ...] = (m001_documents_passages_keywords,)
CACHE: tuple[Migration, ...] = (m001_embedding_cache,)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations ``conn`` has not seen yet; return their names."""
    conn.execute(_TABLE)
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    applied = []
    for migration in migrations:
        if migration.__name__ in done:
            continue
        conn.executescript(migration())
        conn.execute("INSERT INTO migrations VALUES (?, ?)", (migration.__name__, _now()))
        conn.commit()
        applied.append(migration.__name__)
    return applied


async def migrate_async(db: aiosqlite.Connection, migrations: Sequence[Migration]) -> list[str]:
    """``migrate`` for an aiosqlite connection."""
    await db.execute(_TABLE)
    async with db.execute("SELECT name FROM migrations") as cursor:
        done = {row[0] async for row in cursor}
    applied = []
    for migration in migrations:
        if migration.__name__ in done:
            continue
        await db.executescript(migration())
        await db.execute("INSERT INTO migrations VALUES (?, ?)", (migration.__name__, _now()))
        await db.commit()
        applied.append(migration.__name__)
    return applied


async def pending_async(db: aiosqlite.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Names of the migrations a (read-only) database has not had."""
    try:
        async with db.execute("SELECT name FROM migrations") as cursor:
            done = {row[0] async for row in cursor}
    except sqlite3.DatabaseError:
        done = set()
    return [m.__name__ for m in migrations if m.__name__ not in done]

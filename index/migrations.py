"""Numbered schema migrations, and the one runner every SQLite file of the bot uses.

A migration is a function ``mNNN_what`` returning the SQL script that takes the schema one step
further. The runner applies, in order, those a file has not had, each in one transaction together
with its row in the file's ``migrations`` table (name, time), so a failing migration leaves the
file as it was. The files:

- ``GENERATION``: ``generations/<version>/index.sqlite`` (documents, passages, keyword index); a
  generation file is written once by a build and read-only afterwards, so its migrations run when
  it is created, and a generation missing one is rebuilt rather than served.
- ``CACHE``: ``cache.sqlite`` (embedding cache), migrated whenever it is opened.
- the bot's query log (``bot/querylog.py``), migrated whenever it is opened. Query logs written
  before the ``migrations`` table counted their migrations in ``PRAGMA user_version``; those are
  taken as applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

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


def m002_boilerplate_flag() -> str:
    return "ALTER TABLE passages ADD COLUMN boilerplate INTEGER NOT NULL DEFAULT 0;"


def m003_pages_and_sections() -> str:
    return """
    ALTER TABLE documents ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
    ALTER TABLE documents ADD COLUMN pages INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE documents ADD COLUMN author TEXT NOT NULL DEFAULT '';
    ALTER TABLE passages ADD COLUMN page INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE passages ADD COLUMN on_page INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE passages ADD COLUMN section TEXT NOT NULL DEFAULT '';
    """


GENERATION: tuple[Migration, ...] = (
    m001_documents_passages_keywords, m002_boilerplate_flag, m003_pages_and_sections,
)
CACHE: tuple[Migration, ...] = (m001_embedding_cache,)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _script(migration: Migration) -> str:
    """The migration and its record as one transaction."""
    name = migration.__name__.replace("'", "''")
    return (f"BEGIN;\n{migration()}\n;INSERT INTO migrations VALUES ('{name}', '{_now()}');\nCOMMIT;")


def _adopted(user_version: int, migrations: Sequence[Migration]) -> list[tuple[str, str]]:
    """Rows for the migrations an older file counted in ``user_version``."""
    return [(m.__name__, _now()) for m in migrations[:user_version]]


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations ``conn`` has not had yet; return their names."""
    fresh = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'migrations'").fetchone() is None
    conn.execute(_TABLE)
    if fresh:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.executemany("INSERT INTO migrations VALUES (?, ?)", _adopted(version, migrations))
    conn.commit()
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    applied = []
    for migration in migrations:
        if migration.__name__ in done:
            continue
        try:
            conn.executescript(_script(migration))
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        applied.append(migration.__name__)
    return applied


def migrate_file(path: Path, migrations: Sequence[Migration]) -> list[str]:
    """``migrate`` on the file at ``path`` (created if missing), for callers that then open it with
    aiosqlite: run it through ``run_sync``. ``sqlite3.DatabaseError`` if the file is damaged."""
    conn = sqlite3.connect(path)
    try:
        return migrate(conn, migrations)
    finally:
        conn.close()


def pending(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Names of the migrations a (read-only) database has not had."""
    try:
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    except sqlite3.DatabaseError:
        done = set()
    return [m.__name__ for m in migrations if m.__name__ not in done]

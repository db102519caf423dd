"""A generation's SQLite file: documents, passages and the FTS5 keyword index.

``write_store`` creates the file once, synchronously, inside the build thread before the generation
is published. Everything that serves questions reads it through ``Store`` (aiosqlite, read-only).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import numpy as np

from . import language, migrations
from .concurrency import run_sync
from .models import Document, Passage

log = logging.getLogger(__name__)

_PASSAGE_COLUMNS = "id, doc_id, paragraph, window_no, text, sentences, boilerplate, page, on_page, section"
_TEXT_HASH = 10  # position of text_sha256 after _PASSAGE_COLUMNS


@dataclass(frozen=True)
class PassageRecord:
    """A passage as a build writes it: the passage plus where its sentence vectors are."""

    passage: Passage
    text_sha256: str
    sentence_row: int
    language: str  # the document's language, which picks the stemmer


def write_store(path: Path, documents: Sequence[Document], records: Iterable[PassageRecord]) -> None:
    """Create ``path`` with the schema, the documents and the passages (with stemmed keywords)."""
    conn = sqlite3.connect(path)
    try:
        migrations.migrate(conn, migrations.GENERATION)
        with conn:
            conn.executemany(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (d.id, i, d.title, d.source, d.url, d.language, d.date, d.path, d.sha256, d.passages,
                     d.kind, d.pages, d.author)
                    for i, d in enumerate(documents)
                ],
            )
            for r in records:
                p = r.passage
                conn.execute(
                    "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (p.id, p.doc_id, p.paragraph, p.window, p.text, r.text_sha256,
                     json.dumps(p.sentences), r.sentence_row, len(p.sentences), int(p.boilerplate),
                     p.page, p.on_page, p.section),
                )
                conn.execute(
                    "INSERT INTO passage_keywords (rowid, stemmed) VALUES (?, ?)",
                    (p.id, language.stemmed_text(p.text, r.language)),
                )
    finally:
        conn.close()


def _pending(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return migrations.pending(conn, migrations.GENERATION)
    finally:
        conn.close()


def _passage(row: Sequence) -> Passage:
    return Passage(
        id=row[0], doc_id=row[1], paragraph=row[2], window=row[3], text=row[4],
        sentences=tuple((int(s), int(e)) for s, e in json.loads(row[5])), boilerplate=bool(row[6]),
        page=row[7], on_page=row[8], section=row[9],
    )


def _document(row: Sequence) -> Document:
    return Document(
        id=row[0], title=row[1], source=row[2], url=row[3], language=row[4], date=row[5],
        path=row[6], sha256=row[7], passages=row[8], kind=row[9], pages=row[10], author=row[11],
    )


class Store:
    """Read access to one generation's database."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> Store:
        return cls(await aiosqlite.connect(f"file:{path}?mode=ro", uri=True), path)

    async def lookups(self, text: str, lang: str | None, limit: int,
                      stems: Iterable[str]) -> tuple[list[int], dict[str, int]]:
        """``keyword(text, lang, limit)`` (skipped when ``lang`` is None) and, for each of ``stems``,
        how many passages hold it: 0, 1, or 2 for two or more. One statement, so one trip to the
        database thread, for the question path. A stem's count reads at most two entries of the
        keyword index, however many passages hold it; FTS5's vocabulary table would count them
        all (see README "Performance", scale)."""
        expression = language.match_expression(text, lang) if lang is not None and limit > 0 else None
        wanted = sorted({stem for stem in stems if stem})
        parts: list[str] = []
        args: list[Any] = []
        if expression is not None:
            parts.append("SELECT 0, rowid, rank FROM (SELECT rowid, bm25(passage_keywords) AS rank"
                         " FROM passage_keywords WHERE passage_keywords MATCH ? ORDER BY rank LIMIT ?)")
            args += [expression, limit]
        if wanted:  # each stem as a quoted phrase: never read as query syntax
            parts.append("SELECT 1, value, (SELECT count(*) FROM (SELECT rowid FROM passage_keywords WHERE"
                         " passage_keywords MATCH '\"' || replace(value, '\"', '\"\"') || '\"' LIMIT 2))"
                         " FROM json_each(?)")
            args.append(json.dumps(wanted))
        if not parts:
            return [], {}
        try:
            rows = list(await self._db.execute_fetchall(" UNION ALL ".join(parts), args))
        except sqlite3.OperationalError as exc:  # should not happen: quoted stems only
            log.warning("keyword look-up failed for %r: %s", text[:80], exc)
            return [], {}
        hits = sorted((rank, n) for n, (kind, _, rank) in enumerate(rows) if kind == 0)
        return [rows[n][1] for _, n in hits], {str(stem): int(held) for kind, stem, held in rows if kind == 1}

    async def leads(self, paragraphs: int) -> dict[str, str]:
        """Each document's first ``paragraphs`` paragraphs (first windows), joined: its lead."""
        sql = ("SELECT doc_id, text FROM passages WHERE window_no = 0 AND paragraph <= ? "
               "ORDER BY doc_id, paragraph")
        found: dict[str, list[str]] = {}
        for doc_id, text in await self._db.execute_fetchall(sql, (paragraphs,)):
            found.setdefault(doc_id, []).append(text)
        return {doc_id: "\n\n".join(texts) for doc_id, texts in found.items()}

    async def close(self) -> None:
        await self._db.close()

    async def pending_migrations(self) -> list[str]:
        """The generation migrations this file lacks (read through a read-only connection)."""
        return await run_sync(_pending, self.path)

    async def count(self) -> int:
        rows = list(await self._db.execute_fetchall("SELECT count(*) FROM passages"))
        return int(rows[0][0]) if rows else 0

    async def documents(self) -> list[Document]:
        sql = ("SELECT id, title, source, url, language, date, path, sha256, passages, kind, pages, author "
               "FROM documents ORDER BY position")
        return [_document(row) for row in await self._db.execute_fetchall(sql)]

    async def passages(self, ids: Sequence[int]) -> dict[int, Passage]:
        """The passages with these ids (missing ids are absent from the result)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id IN ({marks})"
        return {row[0]: _passage(row) for row in await self._db.execute_fetchall(sql, [int(i) for i in ids])}

    async def passage_at(self, doc_id: str, paragraph: int, *, last: bool) -> Passage | None:
        """The first (or last) window of a paragraph of a document."""
        order = "DESC" if last else "ASC"
        sql = (f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE doc_id = ? AND paragraph = ? "
               f"ORDER BY window_no {order} LIMIT 1")
        rows = list(await self._db.execute_fetchall(sql, (doc_id, paragraph)))
        return _passage(rows[0]) if rows else None

    async def passage_with_hash(self, doc_id: str, text_sha256: str) -> Passage | None:
        """The first passage of a document whose text has this hash (what a pin names)."""
        sql = (f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE doc_id = ? AND text_sha256 = ? "
               "ORDER BY paragraph, window_no LIMIT 1")
        rows = list(await self._db.execute_fetchall(sql, (doc_id, text_sha256)))
        return _passage(rows[0]) if rows else None

    async def passage_keys(self) -> list[tuple[int, str, int, int, str]]:
        """(id, doc_id, paragraph, window, text hash) of every passage: what keeps ids stable."""
        sql = "SELECT id, doc_id, paragraph, window_no, text_sha256 FROM passages"
        async with self._db.execute(sql) as cursor:
            return [(r[0], r[1], r[2], r[3], r[4]) async for r in cursor]

    async def passages_of(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[Passage, str]]]:
        """Each listed document's passages in order, with their text hashes: what a build reuses."""
        sql = (f"SELECT {_PASSAGE_COLUMNS}, text_sha256 FROM passages "
               "WHERE doc_id IN (SELECT value FROM json_each(?)) ORDER BY doc_id, paragraph, window_no")
        found: dict[str, list[tuple[Passage, str]]] = {}
        async with self._db.execute(sql, (json.dumps(list(doc_ids)),)) as cursor:
            async for row in cursor:
                found.setdefault(row[1], []).append((_passage(row), row[_TEXT_HASH]))
        return found

    async def layout(self) -> np.ndarray:
        """One row per passage, by id: id, first sentence-vector row, sentence count, document
        position, paragraph, boilerplate flag (what the query path needs without reading texts)."""
        sql = ("SELECT p.id, p.sentence_row, p.sentence_count, d.position, p.paragraph, p.boilerplate "
               "FROM passages p JOIN documents d ON d.id = p.doc_id ORDER BY p.id")
        async with self._db.execute(sql) as cursor:
            rows = await cursor.fetchall()
        return np.array(rows, dtype=np.int64).reshape(-1, 6)

    async def keyword(self, text: str, lang: str, limit: int) -> list[int]:
        """Passage ids matching the words of ``text``, best bm25 first.

        ``text`` is user text: only its quoted stems reach FTS5, so it never acts as query syntax.
        """
        expression = language.match_expression(text, lang)
        if expression is None or limit <= 0:
            return []
        sql = ("SELECT rowid FROM passage_keywords WHERE passage_keywords MATCH ? "
               "ORDER BY bm25(passage_keywords) LIMIT ?")
        try:
            return [row[0] for row in await self._db.execute_fetchall(sql, (expression, limit))]
        except sqlite3.OperationalError as exc:  # should not happen with quoted stems
            log.warning("keyword search failed for %r: %s", expression, exc)
            return []

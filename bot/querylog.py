"""The query log: every question asked, what it found, whether it was answered, how fast, and
the 👍 / 👎 feedback on answers.

One SQLite file (``usage.db`` in the data folder) through aiosqlite, with numbered migrations
(``index.migrations``) run at open. Only questions are stored with their text; user ids are
stored, names are not. No Telegram here: callers pass plain ids.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from index import migrations
from index.concurrency import run_sync
from index.pins import Pin

FILENAME = "usage.db"
log = logging.getLogger(__name__)


def m001_questions() -> str:
    return """
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
        );
        CREATE INDEX questions_created ON questions (created);
        CREATE INDEX questions_user ON questions (user_id, created);
    """


def m002_feedback() -> str:
    return """
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            query_id INTEGER NOT NULL REFERENCES questions(id),
            user_id INTEGER NOT NULL,
            vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
            question TEXT NOT NULL,         -- copied from the question, as asked
            passage_ids TEXT NOT NULL,      -- JSON list of the passage ids the answer showed
            created REAL NOT NULL,
            updated REAL NOT NULL,
            UNIQUE (query_id, user_id)      -- pressing again changes the vote
        );
        CREATE INDEX feedback_updated ON feedback (updated);
    """


def m003_outcome() -> str:
    # answer, unsure, not_found, small_talk ('' for questions logged before outcomes existed)
    return "ALTER TABLE questions ADD COLUMN outcome TEXT NOT NULL DEFAULT '';"


def m004_delivered() -> str:
    # yes, no (failed after its retries), unknown (timed out after sending), '' (logged before)
    return "ALTER TABLE questions ADD COLUMN delivered TEXT NOT NULL DEFAULT '';"


def m005_answer_messages() -> str:
    return """
        CREATE TABLE answer_messages (  -- the bot's messages that carry an answer: reactions vote
            chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            query_id INTEGER NOT NULL REFERENCES questions(id),
            PRIMARY KEY (chat_id, message_id)
        ) WITHOUT ROWID;
    """


def m006_pins() -> str:
    return """
        CREATE TABLE pins (  -- "questions like this are answered by that passage", set by an admin
            id INTEGER PRIMARY KEY,
            question TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            text_sha256 TEXT NOT NULL,   -- of the passage's text: the pin outlives rebuilds with it
            excerpt TEXT NOT NULL,       -- the passage's start, to list the pin by
            admin_id INTEGER NOT NULL,
            created REAL NOT NULL
        );
    """


MIGRATIONS: tuple[migrations.Migration, ...] = (
    m001_questions, m002_feedback, m003_outcome, m004_delivered, m005_answer_messages, m006_pins,
)


@dataclass(frozen=True)
class StoredPin:
    """A pin as the query log keeps it: what the index matches on, and an excerpt to list it by."""

    pin: Pin
    excerpt: str


@dataclass(frozen=True)
class LoggedQuestion:
    """A question as the query log holds it (follow-up buttons refer to it by id)."""

    id: int
    user_id: int | None
    question: str
    passage_ids: tuple[int, ...]
    answered: bool
    language: str


@dataclass(frozen=True)
class UsageStats:
    """What ``/stats`` shows; "week" is the last 7 days, "today" the current UTC day."""

    questions_today: int
    questions_week: int
    users_week: int  # distinct user ids
    answered_week: int
    unanswered_week: int
    latency_median_ms: float | None  # None without questions
    latency_p95_ms: float | None
    votes_up: int  # 👍 on answers given this week
    votes_down: int
    top_questions: tuple[tuple[str, int], ...]  # (question, times asked), most frequent first
    recent_unanswered: tuple[tuple[str, float], ...]  # (question, unix time), newest first


async def _connect(path: Path) -> aiosqlite.Connection:
    """Connect, check the file's integrity and run the migrations; ``sqlite3.DatabaseError`` if damaged."""
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA busy_timeout = 5000")
        async with db.execute("PRAGMA quick_check") as cursor:
            problems = [str(row[0]) for row in await cursor.fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(problems[:3]))
        await run_sync(migrations.migrate_file, path, MIGRATIONS)
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


class QueryLog:
    """Open with ``await QueryLog.open(data_dir)``; close with ``await log.close()``."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    async def open(cls, data_dir: Path) -> QueryLog:
        """Open (creating if needed) the query log in ``data_dir`` and bring its schema up to date.

        A damaged file is renamed ``usage.db.corrupt-<unix time>`` (kept for inspection, logged)
        and a new, empty log takes its place: a broken log never keeps the bot from answering.
        """
        await run_sync(data_dir.mkdir, parents=True, exist_ok=True)
        path = data_dir / FILENAME
        try:
            return cls(await _connect(path), path)
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{FILENAME}.corrupt-{int(time.time())}")
            log.error("the query log %s is damaged (%s): moved to %s, starting a new one",
                      path, exc, aside.name)
            await run_sync(_set_aside, path, aside)
        return cls(await _connect(path), path)

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
        outcome: str = "",
    ) -> int:
        """Store one question and what it found; return its query id."""
        cursor = await self.db.execute(
            "INSERT INTO questions (created, user_id, chat_id, chat_type, question, language, passage_ids,"
            " answered, shortened, latency_ms, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(), user_id, chat_id, chat_type, question, language,
                json.dumps([int(i) for i in passage_ids]), int(answered), int(shortened), float(latency_ms),
                outcome,
            ),
        )
        query_id = cursor.lastrowid
        await cursor.close()
        if query_id is None:
            raise RuntimeError("SQLite returned no row id for the new question")
        return query_id

    async def set_delivered(self, query_id: int, delivered: str) -> None:
        """Record whether the answer to a logged question reached the user (``delivery.py``)."""
        async with self.db.execute("UPDATE questions SET delivered = ? WHERE id = ?", (delivered, query_id)):
            pass

    async def record_answer_messages(self, query_id: int, messages: Sequence[tuple[int, int]]) -> None:
        """Remember which (chat id, message id) messages show the answer to ``query_id``."""
        for chat, message in messages:
            async with self.db.execute("INSERT OR REPLACE INTO answer_messages VALUES (?, ?, ?)",
                                       (chat, message, query_id)):
                pass

    async def answer_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The query id whose answer a message of the bot shows, None for any other message."""
        row = await self._one("SELECT query_id FROM answer_messages WHERE chat_id = ? AND message_id = ?",
                              chat_id, message_id)
        return int(row[0]) if row else None  # type: ignore[call-overload]

    async def remove_vote(self, query_id: int, user_id: int) -> bool:
        """Withdraw a user's vote on an answer; False if there was none."""
        cursor = await self.db.execute("DELETE FROM feedback WHERE query_id = ? AND user_id = ?",
                                       (query_id, user_id))
        removed = cursor.rowcount
        await cursor.close()
        return removed > 0

    async def question_count(self) -> int:
        """Number of questions logged."""
        async with self.db.execute("SELECT count(*) FROM questions") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def good_questions(self, limit: int = 10, days: float = 30.0,
                             now: float | None = None) -> list[str]:
        """Questions of the last ``days`` that were answered and voted 👍, or answered and asked
        at least three times: most 👍 first. Follow-ups are left out: logged as read, with the
        previous question's words in parentheses, they are not questions to offer."""
        since = (time.time() if now is None else now) - days * 86400
        sql = ("SELECT min(q.question), count(DISTINCT q.id) AS asked, count(DISTINCT CASE WHEN f.vote > 0 "
               "THEN f.id END) AS up FROM questions q LEFT JOIN feedback f ON f.query_id = q.id "
               "WHERE q.outcome = 'answer' AND q.created >= ? AND q.question NOT LIKE '%)' "
               "GROUP BY lower(q.question) HAVING up > 0 OR asked >= 3 ORDER BY up DESC, asked DESC LIMIT ?")
        async with self.db.execute(sql, (since, limit)) as cursor:
            return [str(row[0]) async for row in cursor]

    async def gap_questions(self, days: float = 7.0, now: float | None = None) -> list[str]:
        """Distinct questions of the last ``days`` that got "not in the story" or "not sure", or a 👎."""
        since = (time.time() if now is None else now) - days * 86400
        sql = ("SELECT min(q.question) FROM questions q WHERE q.created >= ? AND q.outcome != 'small_talk' "
               "AND (q.outcome IN ('not_found', 'unsure') OR EXISTS (SELECT 1 FROM feedback f "
               "WHERE f.query_id = q.id AND f.vote < 0)) GROUP BY lower(q.question) ORDER BY min(q.id)")
        async with self.db.execute(sql, (since,)) as cursor:
            return [str(row[0]) async for row in cursor]

    async def add_pin(self, question: str, doc_id: str, text_sha256: str, excerpt: str, admin_id: int) -> int:
        cursor = await self.db.execute(
            "INSERT INTO pins (question, doc_id, text_sha256, excerpt, admin_id, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (question, doc_id, text_sha256, excerpt, admin_id, time.time()))
        pin_id = cursor.lastrowid
        await cursor.close()
        return int(pin_id or 0)

    async def pins(self) -> list[StoredPin]:
        sql = "SELECT id, question, doc_id, text_sha256, excerpt FROM pins ORDER BY id"
        async with self.db.execute(sql) as cursor:
            rows = await cursor.fetchall()
        return [StoredPin(Pin(int(r[0]), str(r[1]), str(r[2]), str(r[3])), str(r[4])) for r in rows]

    async def remove_pin(self, pin_id: int) -> bool:
        cursor = await self.db.execute("DELETE FROM pins WHERE id = ?", (pin_id,))
        removed = cursor.rowcount > 0
        await cursor.close()
        return removed

    async def last_question(self, chat_id: int, user_id: int, since: float) -> LoggedQuestion | None:
        """The user's latest question in this chat since ``since`` (unix time) that was about the
        documents (not small talk): what a follow-up leans on."""
        row = await self._one(
            "SELECT max(id) FROM questions WHERE user_id = ? AND chat_id = ? AND created >= ?"
            " AND outcome != 'small_talk'", user_id, chat_id, since)
        return await self.question(int(str(row[0]))) if row and row[0] is not None else None

    async def question(self, query_id: int) -> LoggedQuestion | None:
        """The logged question with this id, or None (unknown, e.g. forged or from another log)."""
        async with self.db.execute(
            "SELECT id, user_id, question, passage_ids, answered, language FROM questions WHERE id = ?",
            (query_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        ids = tuple(int(i) for i in json.loads(row[3]))
        return LoggedQuestion(int(row[0]), row[1], str(row[2]), ids, bool(row[4]), str(row[5]))

    async def record_vote(
        self, query_id: int, user_id: int, vote: int, passage_ids: Sequence[int] | None = None
    ) -> str | None:
        """Store a 👍 (+1) or 👎 (-1) on an answer, one per user and question; pressing again
        changes it. Returns "recorded", "changed" or "unchanged"; None if the question is unknown.
        ``passage_ids`` are the passages the answer showed (default: the logged top passages)."""
        if vote not in (1, -1):
            raise ValueError(f"a vote is +1 or -1, not {vote}")
        async with self.db.execute(
            "SELECT vote FROM feedback WHERE query_id = ? AND user_id = ?", (query_id, user_id)
        ) as cursor:
            before = await cursor.fetchone()
        now = time.time()
        shown = None if passage_ids is None else json.dumps([int(i) for i in passage_ids])
        cursor = await self.db.execute(
            "INSERT INTO feedback (query_id, user_id, vote, question, passage_ids, created, updated)"
            " SELECT id, ?, ?, question, coalesce(?, passage_ids), ?, ? FROM questions WHERE id = ?"
            " ON CONFLICT (query_id, user_id) DO UPDATE SET vote = excluded.vote, updated = excluded.updated",
            (user_id, vote, shown, now, now, query_id),
        )
        stored = cursor.rowcount
        await cursor.close()
        if stored == 0:
            return None
        if before is None:
            return "recorded"
        return "unchanged" if int(before[0]) == vote else "changed"

    async def _one(self, sql: str, *args: object) -> tuple[object, ...]:
        async with self.db.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row else ()

    async def _percentile(self, since: float, until: float, count: int, share: float) -> float | None:
        """Nearest-rank percentile of this week's answer latencies."""
        if count == 0:
            return None
        rank = max(1, math.ceil(share * count))
        row = await self._one(
            "SELECT latency_ms FROM questions WHERE created >= ? AND created <= ?"
            " ORDER BY latency_ms LIMIT 1 OFFSET ?",
            since, until, rank - 1,
        )
        return float(row[0]) if row else None  # type: ignore[arg-type]

    async def stats(self, now: float | None = None) -> UsageStats:
        """Questions today and this week, users, answered share, latency, votes, what is asked
        most, and what the story could not answer lately."""
        now = time.time() if now is None else now
        today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        week = now - 7 * 86400
        counts = await self._one(
            "SELECT count(*), coalesce(sum(created >= ?), 0), count(DISTINCT user_id),"
            " coalesce(sum(answered), 0) FROM questions WHERE created >= ? AND created <= ?",
            today.timestamp(), week, now,
        )
        total, today_count, users, answered = (int(v) for v in counts)  # type: ignore[call-overload]
        votes = await self._one(
            "SELECT coalesce(sum(vote > 0), 0), coalesce(sum(vote < 0), 0) FROM feedback"
            " JOIN questions ON questions.id = feedback.query_id WHERE questions.created >= ?",
            week,
        )
        async with self.db.execute(
            "SELECT min(question), count(*) AS n FROM questions WHERE created >= ?"
            " GROUP BY lower(question) ORDER BY n DESC, max(created) DESC LIMIT 5",
            (week,),
        ) as cursor:
            top = tuple((str(q), int(n)) for q, n in await cursor.fetchall())
        async with self.db.execute(
            "SELECT question, created FROM questions WHERE answered = 0 AND outcome != 'small_talk'"
            " ORDER BY created DESC, id DESC LIMIT 5"
        ) as cursor:
            unanswered = tuple((str(q), float(c)) for q, c in await cursor.fetchall())
        return UsageStats(
            questions_today=today_count,
            questions_week=total,
            users_week=users,
            answered_week=answered,
            unanswered_week=total - answered,
            latency_median_ms=await self._percentile(week, now, total, 0.5),
            latency_p95_ms=await self._percentile(week, now, total, 0.95),
            votes_up=int(votes[0]),  # type: ignore[call-overload]
            votes_down=int(votes[1]),  # type: ignore[call-overload]
            top_questions=top,
            recent_unanswered=unanswered,
        )

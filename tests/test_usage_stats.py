"""Feedback votes and the /stats figures of the query log, on SQLite and on PostgreSQL."""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.querylog import QueryLog

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC).timestamp()
HOUR, DAY = 3600.0, 86400.0


@pytest.fixture
async def usage(tmp_path: Path, database_url: str) -> AsyncIterator[QueryLog]:
    log = await QueryLog.open(tmp_path, database_url)
    yield log
    await log.close()


async def ask(usage: QueryLog, question: str, *, at: float, user: int = 1, answered: bool = True,
              latency: float = 100.0, passages: tuple[int, ...] = (3, 1)) -> int:
    query_id = await usage.record_question(
        user_id=user, chat_id=user, chat_type="private", question=question, passage_ids=passages,
        answered=answered, latency_ms=latency,
    )
    await usage.db.execute("UPDATE questions SET created = ? WHERE id = ?", at, query_id)
    return query_id


async def feedback_rows(usage: QueryLog) -> list[tuple[int, int, int, str, str]]:
    return await usage.db.fetchall("SELECT query_id, user_id, vote, question, passage_ids FROM feedback")


async def test_vote_is_stored_with_question_and_passages(usage: QueryLog) -> None:
    query_id = await ask(usage, "Wo wurde Durov festgenommen?", at=NOW)
    assert await usage.record_vote(query_id, 7, 1) == "recorded"
    assert await feedback_rows(usage) == [(query_id, 7, 1, "Wo wurde Durov festgenommen?", "[3, 1]")]


async def test_pressing_again_changes_the_vote_without_duplicating(usage: QueryLog) -> None:
    query_id = await ask(usage, "Wer?", at=NOW)
    assert await usage.record_vote(query_id, 7, 1) == "recorded"
    assert await usage.record_vote(query_id, 7, -1) == "changed"
    assert await usage.record_vote(query_id, 7, -1) == "unchanged"
    assert await usage.record_vote(query_id, 8, 1) == "recorded"
    assert sorted((r[1], r[2]) for r in await feedback_rows(usage)) == [(7, -1), (8, 1)]


async def test_vote_on_unknown_question_is_not_stored(usage: QueryLog) -> None:
    assert await usage.record_vote(12345, 7, 1) is None
    assert await feedback_rows(usage) == []


async def test_vote_must_be_plus_or_minus_one(usage: QueryLog) -> None:
    query_id = await ask(usage, "Wer?", at=NOW)
    with pytest.raises(ValueError):
        await usage.record_vote(query_id, 7, 0)


async def test_logged_question_is_found_by_id(usage: QueryLog) -> None:
    query_id = await ask(usage, "Wann?", at=NOW, user=5, answered=False, passages=(9,))
    found = await usage.question(query_id)
    assert found is not None
    assert (found.question, found.user_id, found.passage_ids, found.answered) == ("Wann?", 5, (9,), False)
    assert await usage.question(query_id + 1) is None


async def test_stats_count_today_week_users_and_answered_share(usage: QueryLog) -> None:
    await ask(usage, "a", at=NOW - HOUR, user=1)
    await ask(usage, "b", at=NOW - 2 * HOUR, user=2, answered=False)
    await ask(usage, "c", at=NOW - 3 * DAY, user=2)
    await ask(usage, "d", at=NOW - 8 * DAY, user=3, answered=False)  # outside the week
    stats = await usage.stats(now=NOW)
    assert (stats.questions_today, stats.questions_week, stats.users_week) == (2, 3, 2)
    assert (stats.answered_week, stats.unanswered_week) == (2, 1)


async def test_stats_latency_median_and_p95_by_nearest_rank(usage: QueryLog) -> None:
    latencies = [float(v) for v in range(10, 210, 10)]  # 20 values
    for value in latencies:
        await ask(usage, "q", at=NOW - HOUR, latency=value)
    stats = await usage.stats(now=NOW)
    ordered = sorted(latencies)
    assert stats.latency_median_ms == ordered[9] == statistics.median_low(latencies)
    assert stats.latency_p95_ms == ordered[18]


async def test_stats_without_questions_have_no_latency(usage: QueryLog) -> None:
    stats = await usage.stats(now=NOW)
    assert stats.questions_week == 0
    assert stats.latency_median_ms is None and stats.latency_p95_ms is None
    assert stats.top_questions == () and stats.recent_unanswered == ()


async def test_stats_votes_top_questions_and_recent_unanswered(usage: QueryLog) -> None:
    first = await ask(usage, "Wer ist Durov?", at=NOW - 5 * HOUR)
    await ask(usage, "wer ist durov?", at=NOW - 4 * HOUR)
    await ask(usage, "Wer ist Durov?", at=NOW - 3 * HOUR)
    second = await ask(usage, "Wie viele Nutzer?", at=NOW - 2 * HOUR)
    await ask(usage, "Wetter?", at=NOW - 90 * 60, answered=False)
    await ask(usage, "Rezept?", at=NOW - HOUR, answered=False)
    await usage.record_vote(first, 1, 1)
    await usage.record_vote(first, 2, -1)
    await usage.record_vote(second, 1, 1)
    stats = await usage.stats(now=NOW)
    assert (stats.votes_up, stats.votes_down) == (2, 1)
    assert stats.top_questions[0][1] == 3
    assert stats.top_questions[0][0].lower() == "wer ist durov?"
    assert [q for q, _ in stats.recent_unanswered] == ["Rezept?", "Wetter?"]


def test_stats_render_escapes_questions_and_names_the_figures() -> None:
    from bot.querylog import UsageStats
    from bot.render import stats_blocks, to_messages

    stats = UsageStats(
        questions_today=2, questions_week=4, users_week=3, answered_week=3, unanswered_week=1,
        latency_median_ms=81.4, latency_p95_ms=240.0, votes_up=5, votes_down=1,
        top_questions=(("<b>Wer</b> & wie?", 2),), recent_unanswered=(("Wetter?", NOW),),
    )
    (english,) = to_messages(stats_blocks(stats, "en"), "en")
    assert "Questions: 2 today (UTC), 4 in the last 7 days" in english
    assert "Answered: 3 (75 %) · not in the story: 1 (25 %)" in english
    assert "median 81 ms, p95 240 ms" in english
    assert "👍 5 · 👎 1" in english
    assert "&lt;b&gt;Wer&lt;/b&gt; &amp; wie?" in english and "<b>Wer</b>" not in english
    assert "2026-03-10 15:00 „Wetter?“" in english
    (german,) = to_messages(stats_blocks(stats, "de"), "de")
    assert "Fragen: 2 heute (UTC), 4 in den letzten 7 Tagen" in german

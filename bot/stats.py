"""``/stats`` for admins: the query log's figures rendered as one message (a pure function)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.querylog import UsageStats

from . import i18n
from .render import Block, Span, shorten, to_messages

QUESTION_CHARS = 120


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def stats_blocks(stats: UsageStats, lang: str) -> list[Block]:
    """Questions, users, answered share, latency, votes, top questions, recent unanswered ones."""
    t = i18n.text
    week = stats.questions_week
    lines = [
        t(lang, "stats_questions", today=stats.questions_today, week=week),
        t(lang, "stats_users", users=stats.users_week),
        t(
            lang, "stats_answered",
            answered=stats.answered_week, answered_pct=_percent(stats.answered_week, week),
            unanswered=stats.unanswered_week, unanswered_pct=_percent(stats.unanswered_week, week),
        ),
        t(lang, "stats_latency", median=_ms(stats.latency_median_ms), p95=_ms(stats.latency_p95_ms)),
        t(lang, "stats_votes", up=stats.votes_up, down=stats.votes_down),
    ]
    blocks: list[Block] = [(Span(t(lang, "stats_header"), bold=True), Span("\n" + "\n".join(lines)))]
    top: list[Span] = [Span(t(lang, "stats_top"), bold=True)]
    for question, count in stats.top_questions:
        top.append(Span(f"\n{count} × „{shorten(question, QUESTION_CHARS)}“"))
    if not stats.top_questions:
        top.append(Span("\n" + t(lang, "stats_none"), italic=True))
    missing: list[Span] = [Span(t(lang, "stats_unanswered"), bold=True)]
    for question, created in stats.recent_unanswered:
        when = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d %H:%M")
        missing.append(Span(f"\n{when} „{shorten(question, QUESTION_CHARS)}“"))
    if not stats.recent_unanswered:
        missing.append(Span("\n" + t(lang, "stats_none"), italic=True))
    return [*blocks, tuple(top), tuple(missing)]


def render_stats(stats: UsageStats, lang: str) -> list[str]:
    """``/stats`` as Telegram HTML messages."""
    return to_messages(stats_blocks(stats, lang), lang)


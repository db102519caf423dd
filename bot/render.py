"""Everything the bot shows, as pure functions: answers, further passages, context, inline results,
sources, greetings, reload and ``/stats`` summaries -> HTML messages or plain text.

A reply is built as blocks of styled spans, then written either as Telegram HTML (every text from a
document or a user escaped) or as plain text for the terminal. HTML replies are split into messages
of at most 4096 characters by ``bot.split``. A passage with its answering sentence in bold is
always made by ``passage_block``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from index import Answer, BuildReport, Document, Hit, PassageContext

from . import i18n
from .querylog import StoredPin, UsageStats
from .split import TELEGRAM_LIMIT, split_html

EXCERPT_CHARS = 220  # further passages and the closest non-answer are shown this short
FURTHER_MIN_SCORE = 0.75  # calibrated relevance (``Hit.score``) a further passage needs to be listed
QUESTION_CHARS = 120  # questions quoted in /stats are shown this short
GAP_GROUPS = 15  # /gaps lists at most this many groups
MAX_MESSAGES = 4  # a reply longer than this many messages is shortened
MAX_URL_CHARS = 512  # longer or non-http links are shown without a link


@dataclass(frozen=True)
class Span:
    """A run of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    link: str = ""
    quote: bool = False  # the block holding this span is an expandable quote (folded until opened)
    passage: int = 0  # a link to this passage's context (a deep link): shown only where there is one


PassageLink = Callable[[int], str]  # passage id -> the deep link that opens it in a private chat


Block = tuple[Span, ...]  # one paragraph of a reply


def to_html(blocks: Iterable[Block], passage_link: PassageLink | None = None) -> str:
    """Telegram HTML: text escaped, styles as <b>, <i>, <a href>; a block with a ``quote`` span as
    ``<blockquote expandable>``, which Telegram shows folded to a few lines until it is opened.
    Passage spans link to ``passage_link(id)``, and are left out without one."""
    out = []
    for block in blocks:
        parts = []
        for span in block:
            if span.passage:
                if passage_link is not None:
                    parts.append(f' · <a href="{html.escape(passage_link(span.passage), quote=True)}">'
                                 f"{html.escape(span.text, quote=False)}</a>")
                continue
            piece = html.escape(span.text, quote=False)
            if span.bold:
                piece = f"<b>{piece}</b>"
            if span.italic:
                piece = f"<i>{piece}</i>"
            if span.link:
                piece = f'<a href="{html.escape(span.link, quote=True)}">{piece}</a>'
            parts.append(piece)
        joined = "".join(parts)
        out.append(f"<blockquote expandable>{joined}</blockquote>" if any(s.quote for s in block) else joined)
    return "\n\n".join(out)


def to_plain(blocks: Iterable[Block]) -> str:
    """Plain text for a terminal: bold as **…**, links in parentheses, each line of a quoted block
    (further passages) set off by a bar."""
    out = []
    for block in blocks:
        parts = []
        for span in block:
            if span.passage:
                continue
            piece = f"**{span.text}**" if span.bold and span.text.strip() else span.text
            if span.link and span.link != span.text:
                piece = f"{piece} ({span.link})"
            parts.append(piece)
        joined = "".join(parts)
        out.append("\n".join(f"│ {line}" for line in joined.split("\n")) if any(s.quote for s in block)
                   else joined)
    return "\n\n".join(out)


def to_messages(blocks: Iterable[Block], lang: str, limit: int = TELEGRAM_LIMIT,
                passage_link: PassageLink | None = None) -> list[str]:
    """HTML messages of at most ``limit`` characters (at most ``MAX_MESSAGES``, shortened beyond)."""
    note = html.escape(i18n.text(lang, "truncated"), quote=False)
    return split_html(to_html(blocks, passage_link), limit, max_parts=MAX_MESSAGES, note=note)


def safe_link(url: str) -> str:
    """``url`` if it is a short http(s) link, else "" (shown as text only)."""
    url = url.strip()
    if len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        return ""
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def shorten(text: str, chars: int = EXCERPT_CHARS) -> str:
    """``text`` cut at a word boundary to about ``chars`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    cut = text.rfind(" ", 0, chars)
    return text[: cut if cut > chars // 2 else chars].rstrip(" ,;:") + "…"


def _source_name(source: str, url: str) -> str:
    return source or urlsplit(url).netloc or url


def where(lang: str, paragraph: int, page: int = 0, on_page: int = 0, section: str = "") -> str:
    """"page 3, paragraph 2" for a PDF, "Section, paragraph 4" under a heading, else "paragraph 4"."""
    if page:
        return i18n.text(lang, "page_paragraph", page=page, number=on_page or 1)
    place = i18n.text(lang, "paragraph", number=paragraph)
    return f"{section}, {place}" if section else place


def source_spans(title: str, source: str, url: str, paragraph: int | None, lang: str, *,
                 page: int = 0, on_page: int = 0, section: str = "") -> list[Span]:
    """"Title, paragraph N · Source" (page and section where the document has them), the source
    linked when the link is safe."""
    spans = [Span(title, italic=True)]
    if paragraph is not None:
        spans.append(Span(", " + where(lang, paragraph, page, on_page, section)))
    link = safe_link(url)
    name = _source_name(source, link)
    if name:
        spans += [Span(" · "), Span(name, link=link)]
    return spans


def _hit_source(hit: Hit, lang: str) -> list[Span]:
    spans = source_spans(hit.title, hit.source, hit.url, hit.paragraph, lang, page=hit.page,
                         on_page=hit.on_page, section=hit.section)
    return [*spans, Span(i18n.text(lang, "open_context"), passage=hit.passage_id)]


def passage_block(text: str, highlight: tuple[int, int] | None = None, limit: int = 0) -> Block:
    """A passage with its answering sentence (``highlight``, character offsets) in bold; ``limit``
    > 0 shortens a longer passage first (a highlight beyond the cut is dropped)."""
    if limit and len(text) > limit:
        text = shorten(text, limit)
    if highlight is None or not 0 <= highlight[0] < highlight[1] <= len(text):
        return (Span(text.strip()),)
    start, end = highlight
    spans = (Span(text[:start].lstrip()), Span(text[start:end], bold=True), Span(text[end:].rstrip()))
    return tuple(span for span in spans if span.text.strip())


def hit_blocks(hit: Hit, lang: str, *, prefix: str = "— ") -> list[Block]:
    """A hit's passage (answering sentence in bold) and its source line."""
    return [passage_block(hit.text, hit.highlight), (Span(prefix), *_hit_source(hit, lang))]


def _excerpt(hit: Hit) -> str:
    """The hit's best sentence, shortened and in quotation marks (unless it is a quotation)."""
    text = shorten(hit.sentence or hit.text)
    return text if text[:1] in "„“\"«»" else f"„{text}“"


def further_hits(answer: Answer, min_score: float = FURTHER_MIN_SCORE, limit: int = 2) -> list[Hit]:
    """Up to ``limit`` relevant hits after the first, skipping other windows of the same paragraph."""
    if not answer.hits:
        return []
    seen = {(answer.hits[0].doc_id, answer.hits[0].paragraph)}
    out = []
    for hit in answer.hits[1:]:
        key = (hit.doc_id, hit.paragraph)
        if hit.score >= min_score and key not in seen:
            out.append(hit)
            seen.add(key)
        if len(out) == limit:
            break
    return out


def answer_blocks(answer: Answer, lang: str, *, min_score: float = FURTHER_MIN_SCORE) -> list[Block]:
    """The reply to a question, by its outcome: the answering passage and its source (or the lead of
    the story), the closest passages as candidates ("unsure"), "not in the story", or small talk."""
    t = i18n.text
    blocks: list[Block]
    if answer.outcome == "small_talk":
        blocks = small_talk_blocks(lang)
    elif answer.outcome == "answer" and answer.whole_story and answer.hits:
        blocks = lead_blocks(answer.hits, lang)
    elif answer.outcome == "answer" and answer.hits:
        blocks = hit_blocks(answer.hits[0], lang, prefix=t(lang, "source_prefix") + " ")
        more = further_hits(answer, min_score)
        if more:
            blocks.append(excerpt_list(t(lang, "more_header"), more, lang, quote=True))
    elif answer.outcome == "unsure" and answer.hits:
        blocks = [excerpt_list(t(lang, "unsure"), answer.hits, lang, bold_title=False)]
    else:
        blocks = [(Span(t(lang, "not_in_story"), bold=True),)]
        if answer.hits:
            closest = answer.hits[0]
            blocks.append((Span(t(lang, "closest") + "\n"), Span(_excerpt(closest), italic=True)))
            blocks.append((Span("— "), *_hit_source(closest, lang)))
    if answer.shortened:
        blocks.append((Span(t(lang, "shortened", chars=len(answer.question)), italic=True),))
    if answer.pinned:
        blocks.append((Span(t(lang, "pinned_answer"), italic=True),))
    if answer.follow_up_of:  # how it was read, so that a misreading shows
        read_as = t(lang, "follow_up_of", question=shorten(answer.follow_up_of, 160))
        blocks.insert(0, (Span(read_as, italic=True),))
    return blocks


def excerpt_list(title: str, hits: Sequence[Hit], lang: str, *, bold_title: bool = True,
                 quote: bool = False) -> Block:
    """A titled list of hits, each as its best sentence in quotes with its source; ``quote``: as an
    expandable quote (further passages under an answer stay folded)."""
    lines: list[Span] = [Span(title, bold=bold_title, quote=quote)]
    for hit in hits:
        lines += [Span("\n• " + _excerpt(hit) + " — "), *_hit_source(hit, lang)]
    return tuple(lines)


def lead_blocks(hits: Sequence[Hit], lang: str) -> list[Block]:
    """The answer to a question about the whole story: its title and lead, then the source."""
    first = hits[0]
    blocks: list[Block] = [(Span(i18n.text(lang, "lead_prefix") + " "), Span(first.title, bold=True))]
    blocks += [passage_block(hit.text, hit.highlight) for hit in hits]
    blocks.append((Span(i18n.text(lang, "source_prefix") + " "), *_hit_source(first, lang)))
    return blocks


def small_talk_blocks(lang: str) -> list[Block]:
    """What the bot does, with example questions it answers well (the reply to small talk)."""
    examples = [Span(f"\n• {example}") for example in i18n.text(lang, "examples").split("|")]
    return [(Span(i18n.text(lang, "small_talk")), *examples)]


def render_answer(answer: Answer, lang: str, *, min_score: float = FURTHER_MIN_SCORE,
                  passage_link: PassageLink | None = None) -> list[str]:
    """The reply to a question as Telegram HTML messages."""
    return to_messages(answer_blocks(answer, lang, min_score=min_score), lang, passage_link=passage_link)


def render_answer_plain(answer: Answer, lang: str, *, min_score: float = FURTHER_MIN_SCORE) -> str:
    """The reply to a question as plain text (terminal chat)."""
    return to_plain(answer_blocks(answer, lang, min_score=min_score))


def _document_line(doc: Document, lang: str) -> list[Span]:
    spans = [Span("• "), Span(doc.title, bold=True)]
    link = safe_link(doc.url)
    name = _source_name(doc.source, link)
    if name:
        spans += [Span(" — "), Span(name, link=link)]
    return spans


def start_blocks(documents: Sequence[Document], lang: str) -> list[Block]:
    """The greeting: what the bot knows about and how to ask."""
    t = i18n.text
    listed: list[Span] = [Span(t(lang, "greeting"))]
    for doc in documents:
        listed += [Span("\n"), *_document_line(doc, lang)]
    return [tuple(listed), (Span(t(lang, "how_to_ask", example=t(lang, "example"))),)]


# the command menu and /help list these; admin commands only for admins
PUBLIC_COMMANDS = ("start", "help", "sources", "ask")
ADMIN_COMMANDS = ("add", "reload", "remove", "stats", "gaps", "pin")


def help_blocks(lang: str, *, admin: bool = False) -> list[Block]:
    """How to ask and what the commands do (admin commands only for admins)."""
    t = i18n.text
    commands = [Span(t(lang, "commands_header"), bold=True)]
    for name in PUBLIC_COMMANDS:
        commands.append(Span(f"\n/{name} – {t(lang, 'cmd_' + name)}"))
    blocks: list[Block] = [(Span(t(lang, "help")),), tuple(commands)]
    if admin:
        lines = [Span(t(lang, "admin_commands_header"), bold=True)]
        lines += [Span(f"\n/{name} – {t(lang, 'cmd_' + name)}") for name in ADMIN_COMMANDS]
        lines.append(Span("\n" + t(lang, "admin_upload_hint")))
        blocks.append(tuple(lines))
    return blocks


def sources_blocks(documents: Sequence[Document], lang: str) -> list[Block]:
    """The documents in the index, each with title, source name and link."""
    t = i18n.text
    if not documents:
        return [(Span(t(lang, "sources_empty")),)]
    lines: list[Span] = [Span(t(lang, "sources_header"), bold=True)]
    for doc in documents:
        details = " · ".join(document_details(doc, lang))
        lines += [Span("\n"), *_document_line(doc, lang), Span(f"\n   {details}")]
    return [tuple(lines)]


def document_details(doc: Document, lang: str) -> list[str]:
    """id · type · pages · language · passages · date, where known."""
    t = i18n.text
    details = [doc.id, t(lang, f"kind_{doc.kind}") if i18n.has(lang, f"kind_{doc.kind}") else doc.kind]
    if doc.pages:
        details.append(t(lang, "pages", count=doc.pages))
    if doc.language:
        details.append(doc.language)
    details.append(t(lang, "passages", count=doc.passages))
    return details + ([doc.date] if doc.date else [])


def added_blocks(doc: Document, report: BuildReport, lang: str) -> list[Block]:
    """What an upload or link added: title, id, passages; type, pages, language; link; skipped parts."""
    t = i18n.text
    summary = t(lang, "upload_added", title=doc.title, doc_id=doc.id, passages=doc.passages,
                documents=report.documents)
    blocks: list[Block] = [(Span(summary),), (Span(" · ".join(document_details(doc, lang)[1:])),)]
    link = safe_link(doc.url)
    if link:
        blocks.append((Span(doc.url, link=link),))
    skipped = [t(lang, "reload_skipped", name=name, reason=reason) for name, reason in report.skipped
               if name.startswith(doc.id)]
    if skipped:
        blocks.append((Span("\n".join(skipped)),))
    return blocks


def reload_blocks(report: BuildReport, lang: str) -> list[Block]:
    """The summary of a finished reload."""
    t = i18n.text
    summary = t(
        lang, "reload_done", seconds=report.seconds, documents=report.documents, passages=report.passages,
        added=report.added, changed=report.changed, removed=report.removed,
    )
    blocks: list[Block] = [(Span(summary),)]
    if report.links is not None and (report.links.unchanged or report.links.updated or report.links.failed):
        links = report.links
        blocks.append((Span(t(lang, "reload_links", unchanged=links.unchanged, updated=links.updated,
                              failed=len(links.failed))),))
        failures = [t(lang, "reload_link_failed", doc_id=doc_id, reason=why) for doc_id, why in links.failed]
        if failures:
            blocks.append((Span("\n".join(failures)),))
    skipped = [t(lang, "reload_skipped", name=name, reason=reason) for name, reason in report.skipped]
    if skipped:
        blocks.append((Span("\n".join(skipped)),))
    return blocks


def gaps_blocks(groups: Sequence[Sequence[str]], pins: Sequence[StoredPin], lang: str) -> list[Block]:
    """``/gaps``: the groups of unanswered questions, largest first, two examples each; then the pins."""
    t = i18n.text
    total = sum(len(g) for g in groups)
    lines: list[Span] = [Span(t(lang, "gaps_header", questions=total, groups=len(groups)), bold=True)]
    if not groups:
        lines.append(Span("\n" + t(lang, "gaps_none")))
    for found in groups[:GAP_GROUPS]:
        examples = ", ".join(f"“{shorten(q, QUESTION_CHARS)}”" for q in found[:2])
        lines.append(Span(f"\n• {len(found)}× {examples}"))
    blocks: list[Block] = [tuple(lines)]
    listed: list[Span] = [Span(t(lang, "pins_header"), bold=True)]
    listed += [Span(f"\n📌 “{shorten(p.pin.question, QUESTION_CHARS)}” → {p.excerpt}") for p in pins] or [
        Span("\n" + t(lang, "pins_none"))]
    blocks.append(tuple(listed))
    return blocks


def plain_blocks(*texts: str) -> list[Block]:
    """Blocks of unstyled text (short replies: refusals, errors, hints)."""
    return [(Span(text),) for text in texts]


def more_blocks(answer: Answer, offset: int, lang: str) -> list[Block]:
    """Passages ranked ``offset + 1`` onwards for the question, each with its source."""
    header = i18n.text(
        lang, "more_title", first=offset + 1, last=offset + len(answer.hits), question=answer.question[:200]
    )
    blocks: list[Block] = [(Span(header, bold=True),)]
    for hit in answer.hits:
        blocks += hit_blocks(hit, lang)
    return blocks


def context_blocks(found: PassageContext, lang: str) -> list[Block]:
    """The paragraph before the passage, the passage in bold, the paragraph after; then the source."""
    doc, passage = found.document, found.passage
    blocks: list[Block] = [(Span(i18n.text(lang, "context_title"), bold=True),)]
    if found.before is not None:  # the neighbours fold, the passage itself stays open
        blocks.append((Span(found.before.text.strip(), italic=True, quote=True),))
    blocks.append((Span(passage.text.strip(), bold=True),))
    if found.after is not None:
        blocks.append((Span(found.after.text.strip(), italic=True, quote=True),))
    blocks.append((Span("— "), *source_spans(doc.title, doc.source, doc.url, passage.paragraph, lang,
                                             page=passage.page, on_page=passage.on_page,
                                             section=passage.section)))
    return blocks


INLINE_MESSAGE_CHARS = 3800  # an inline result's passage, below Telegram's 4096 with its source line


def inline_message(hit: Hit, lang: str, passage_link: PassageLink | None = None) -> str:
    """The message an inline result sends: the passage (answering sentence in bold) and its source."""
    blocks = [passage_block(hit.text, hit.highlight, limit=INLINE_MESSAGE_CHARS),
              (Span(i18n.text(lang, "source_prefix") + " "), *_hit_source(hit, lang))]
    return to_html(blocks, passage_link)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _question_list(title: str, rows: Sequence[str], lang: str) -> Block:
    spans = [Span(title, bold=True), *(Span(f"\n{row}") for row in rows)]
    if not rows:
        spans.append(Span("\n" + i18n.text(lang, "stats_none"), italic=True))
    return tuple(spans)


def stats_blocks(stats: UsageStats, lang: str) -> list[Block]:
    """``/stats``: questions, users, answered share, latency, votes, top and recent unanswered ones."""
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
    top = [f"{count} × „{shorten(question, QUESTION_CHARS)}“" for question, count in stats.top_questions]
    missing = [
        f"{datetime.fromtimestamp(when, UTC):%Y-%m-%d %H:%M} „{shorten(question, QUESTION_CHARS)}“"
        for question, when in stats.recent_unanswered
    ]
    return [
        (Span(t(lang, "stats_header"), bold=True), Span("\n" + "\n".join(lines))),
        _question_list(t(lang, "stats_top"), top, lang),
        _question_list(t(lang, "stats_unanswered"), missing, lang),
    ]

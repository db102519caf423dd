"""Rendering answers as Telegram HTML and plain text: pure functions, results in, text out.

Every HTML message is checked with the Bot API stand-in's parser, which refuses what Telegram
refuses (unknown or unbalanced tags, unescaped ``<`` or ``&``, more than 4096 characters).
"""

from __future__ import annotations

import html

import pytest
from support.botapi import parse_html, utf16_len

from bot import i18n, render
from bot.split import split_html
from index import Answer, BuildReport, Document, Hit

STORY = "Durov: Telegram ist kein sicherer Hafen für Kriminelle"


def make_hit(
    text: str,
    sentence: str,
    *,
    paragraph: int = 3,
    score: float = 0.9,
    passage_id: int = 7,
    title: str = STORY,
    source: str = "SeaPRwire",
    url: str = "https://www.seaprwire.com/",
) -> Hit:
    start = text.index(sentence)
    return Hit(
        passage_id=passage_id,
        doc_id="story",
        title=title,
        source=source,
        url=url,
        paragraph=paragraph,
        text=text,
        score=score,
        highlight=(start, start + len(sentence)),
    )


def make_answer(
    *hits: Hit, answered: bool = True, question: str = "Wie viele Nutzer?", shortened: bool = False
) -> Answer:
    return Answer(question=question, answered=answered, hits=hits, shortened=shortened)


def visible(messages: list[str]) -> str:
    return "\n".join(parse_html(message) for message in messages)


PASSAGE = "Telegram wächst. Es hat mehr als 950 Millionen Nutzer. Durov verspricht Besserung."


def test_answer_shows_the_answering_sentence_in_bold_and_its_source() -> None:
    answer = make_answer(make_hit(PASSAGE, "Es hat mehr als 950 Millionen Nutzer.", paragraph=5))
    [message] = render.render_answer(answer, "de")
    assert "<b>Es hat mehr als 950 Millionen Nutzer.</b>" in message
    assert message.count("<b>") == 1
    text = parse_html(message)
    assert text.startswith(PASSAGE)
    assert f"Quelle: {STORY}, Absatz 5 · SeaPRwire" in text
    assert '<a href="https://www.seaprwire.com/">SeaPRwire</a>' in message


def test_english_source_line_says_paragraph() -> None:
    answer = make_answer(make_hit(PASSAGE, "Telegram wächst.", paragraph=2))
    assert f"Source: {STORY}, paragraph 2" in visible(render.render_answer(answer, "en"))


@pytest.mark.parametrize(
    "nasty", ["<b>bold</b>", "<script>alert(1)</script>", "Tom & Jerry &amp; co", "a < b > c"]
)
def test_text_from_documents_and_users_is_escaped(nasty: str) -> None:
    text = f"Vorher. Der Satz {nasty} hier. Nachher."
    hit = make_hit(
        text,
        f"Der Satz {nasty} hier.",
        title=f"Titel {nasty}",
        source=f"Quelle {nasty}",
        url='https://example.org/?a=1&b="2"',
    )
    answer = make_answer(
        hit, make_hit(text, "Nachher.", paragraph=9, title=nasty), question=nasty, shortened=True
    )
    messages = render.render_answer(answer, "en")
    text_out = visible(messages)  # parses like Telegram: would fail on any unescaped markup
    assert f"Der Satz {nasty} hier." in text_out
    assert f"Titel {nasty}" in text_out and f"Quelle {nasty}" in text_out
    assert f"<b>Der Satz {html.escape(nasty, quote=False)} hier.</b>" in messages[0]
    assert "<script>" not in "".join(messages)
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in messages[0]


def test_links_other_than_http_are_shown_without_a_link() -> None:
    answer = make_answer(make_hit(PASSAGE, "Telegram wächst.", url="javascript:alert(1)", source="Evil"))
    [message] = render.render_answer(answer, "en")
    assert "javascript" not in message and "<a " not in message
    assert "Evil" in parse_html(message)


def test_not_answered_says_plainly_it_is_not_in_the_story_in_german() -> None:
    closest = make_hit(PASSAGE, "Es hat mehr als 950 Millionen Nutzer.", score=0.1)
    [message] = render.render_answer(make_answer(closest, answered=False), "de")
    text = parse_html(message)
    assert "steht nicht in der Geschichte" in text
    assert "ähnlichste Stelle" in text and "nicht beantwortet" in text
    assert "Es hat mehr als 950 Millionen Nutzer." in text
    assert "<b>Es hat" not in message  # never presented as the answer
    assert "Quelle:" not in text


def test_not_answered_in_english_without_any_hit() -> None:
    [message] = render.render_answer(make_answer(answered=False), "en")
    assert parse_html(message) == i18n.text("en", "not_in_story")


def test_further_passages_are_relevant_excerpts_from_other_paragraphs() -> None:
    best = make_hit(PASSAGE, "Telegram wächst.", paragraph=1, passage_id=1)
    same_paragraph = make_hit(PASSAGE, "Durov verspricht Besserung.", paragraph=1, passage_id=2)
    other = make_hit(
        "Lang. " * 100 + "Frankreich ermittelt.", "Frankreich ermittelt.", paragraph=4, passage_id=3
    )
    weak = make_hit("Ganz anders.", "Ganz anders.", paragraph=8, score=0.1, passage_id=4)
    text = visible(render.render_answer(make_answer(best, same_paragraph, weak, other), "de", min_score=0.5))
    assert "Weitere Stellen:" in text
    assert "„Frankreich ermittelt.“ — " + STORY + ", Absatz 4" in text
    assert "Ganz anders" not in text and "Absatz 8" not in text
    assert text.count("Absatz 1") == 1


def test_a_shortened_question_is_noted() -> None:
    answer = make_answer(make_hit(PASSAGE, "Telegram wächst."), question="x" * 1000, shortened=True)
    assert "first 1000 characters" in visible(render.render_answer(answer, "en"))
    assert "ersten 1000 Zeichen" in visible(render.render_answer(answer, "de"))


def test_a_long_passage_is_split_into_messages_of_at_most_4096_characters() -> None:
    sentences = [f"Satz Nummer {i} über Telegram & Durov <sicher>." for i in range(180)]
    text = " ".join(sentences)
    answer = make_answer(make_hit(text, sentences[100]))
    messages = render.render_answer(answer, "de")
    assert len(messages) >= 3
    assert all(utf16_len(m) <= 4096 for m in messages)
    joined = " ".join(parse_html(m) for m in messages)
    assert all(sentence in joined for sentence in sentences)
    assert f"<b>{html.escape(sentences[100], quote=False)}</b>" in "".join(messages)


def test_split_prefers_paragraph_boundaries_and_keeps_tags_balanced() -> None:
    paragraphs = [f"<b>Absatz {i}</b> " + "Wort &amp; Wort. " * 40 for i in range(20)]
    messages = split_html("\n\n".join(paragraphs), 2000)
    assert all(len(m) <= 2000 for m in messages)
    assert all(m.startswith("<b>Absatz") for m in messages)  # cut between paragraphs only
    joined = "".join(parse_html(m) for m in messages)
    assert joined.count("Wort & Wort.") == 20 * 40 and "Absatz 19" in joined


def test_split_inside_bold_closes_and_reopens_the_tag() -> None:
    messages = split_html("<b>" + "fett " * 1000 + "</b>", 1000)
    assert len(messages) >= 5
    for message in messages:
        assert message.startswith("<b>") and message.endswith("</b>") and len(message) <= 1000
        parse_html(message)


def test_split_counts_emoji_as_two_characters_like_telegram() -> None:
    messages = split_html("😀" * 5000)
    assert all(utf16_len(m) <= 4096 for m in messages)
    assert "".join(messages) == "😀" * 5000


def test_split_without_any_break_point_still_fits() -> None:
    messages = split_html("&amp;" * 3000 + "x" * 5000, 4096)
    assert all(len(m) <= 4096 for m in messages)
    assert "".join(parse_html(m) for m in messages) == "&" * 3000 + "x" * 5000


def test_a_reply_beyond_the_message_cap_is_shortened_with_a_note() -> None:
    text = "Wort. " * 20000
    messages = render.render_answer(make_answer(make_hit(text, "Wort.")), "en")
    assert len(messages) == render.MAX_MESSAGES
    assert all(utf16_len(m) <= 4096 for m in messages)
    assert messages[-1].endswith(html.escape(i18n.text("en", "truncated"), quote=False))


def test_plain_text_variant_has_no_markup_and_marks_the_sentence() -> None:
    answer = make_answer(make_hit(PASSAGE + " <b>&", "Es hat mehr als 950 Millionen Nutzer.", paragraph=5))
    text = render.render_answer_plain(answer, "en")
    assert "**Es hat mehr als 950 Millionen Nutzer.**" in text
    assert f"Source: {STORY}, paragraph 5 · SeaPRwire (https://www.seaprwire.com/)" in text
    assert "<b>&" in text and "&amp;" not in text


def test_not_answered_plain_text_says_so() -> None:
    answer = make_answer(make_hit(PASSAGE, "Telegram wächst.", score=0.0), answered=False)
    assert "not in the story" in render.render_answer_plain(answer, "en")


DOC = Document(
    id="durov-telegram.de",
    title=STORY,
    source="SeaPRwire",
    url="https://www.seaprwire.com/",
    language="de",
    date="2024-09",
    path="durov-telegram.de.txt",
    sha256="0" * 64,
    passages=14,
)


def test_sources_list_each_document_with_source_and_link() -> None:
    [message] = render.to_messages(render.sources_blocks([DOC], "en"), "en")
    text = parse_html(message)
    assert STORY in text and "SeaPRwire" in text
    assert "durov-telegram.de" in text and "14 passages" in text
    assert '<a href="https://www.seaprwire.com/">SeaPRwire</a>' in message


def test_start_names_the_story_and_how_to_ask_in_both_languages() -> None:
    german = parse_html(render.to_messages(render.start_blocks([DOC], "de"), "de")[0])
    english = parse_html(render.to_messages(render.start_blocks([DOC], "en"), "en")[0])
    assert german.startswith("Hallo!") and STORY in german and "SeaPRwire" in german
    assert english.startswith("Hello!") and STORY in english and "SeaPRwire" in english


def test_reload_summary_names_every_figure() -> None:
    report = BuildReport(
        documents=2,
        passages=30,
        added=1,
        changed=0,
        removed=3,
        embedded=5,
        seconds=1.25,
        skipped=(("bad.txt", "empty"),),
    )
    text = render.to_plain(render.reload_blocks(report, "en"))
    assert "1.2 s" in text or "1.3 s" in text
    for figure in ("2 documents", "30 passages", "1 added", "0 changed", "3 removed", "bad.txt: empty"):
        assert figure in text


def test_every_language_has_every_text() -> None:
    keys = set(i18n.TEXTS[i18n.DEFAULT])
    for lang, table in i18n.TEXTS.items():
        assert set(table) == keys, lang


@pytest.mark.parametrize(
    ("code", "lang"),
    [("de", "de"), ("de-AT", "de"), ("DE_ch", "de"), ("en-US", "en"), ("fr", "en"), (None, "en"), ("", "en")],
)
def test_language_code_picks_the_table(code: str | None, lang: str) -> None:
    assert i18n.language(code) == lang


def test_an_excerpt_that_is_a_quotation_is_not_quoted_twice() -> None:
    quote = "„Wir tun Gutes“, schrieb Durov."
    best = make_hit(PASSAGE, "Telegram wächst.", paragraph=1, passage_id=1)
    other = make_hit(quote, quote, paragraph=8, passage_id=2)
    text = render.render_answer_plain(make_answer(best, other), "de")
    assert f"• {quote} — " in text and "„„" not in text


def test_further_passages_in_plain_text_are_set_off_without_markup() -> None:
    best = make_hit(PASSAGE, "Telegram wächst.", paragraph=1, passage_id=1)
    other = make_hit("Durov schrieb auf seinem Kanal.", "Durov schrieb auf seinem Kanal.", paragraph=4,
                     passage_id=2)
    answer = make_answer(best, other)
    assert "<blockquote expandable>" in "".join(render.render_answer(answer, "en"))  # in Telegram: folded
    text = render.render_answer_plain(answer, "en")
    assert "blockquote" not in text
    quoted = [line for line in text.splitlines() if line.startswith("│ ")]
    assert quoted and any("Durov schrieb auf seinem Kanal." in line for line in quoted)
    assert not any(line.startswith("│ ") and "Telegram wächst" in line for line in text.splitlines())


def test_the_terminal_greeting_shows_each_link_once() -> None:
    text = render.to_plain(render.start_blocks([DOC], "en"))
    assert text.count("https://www.seaprwire.com/") == 1


@pytest.mark.parametrize("lang", ["en", "de"])
def test_help_lists_admin_commands_and_uploads_only_for_admins(lang: str) -> None:
    user_text = "".join(render.to_messages(render.help_blocks(lang, admin=False), lang))
    admin_text = "".join(render.to_messages(render.help_blocks(lang, admin=True), lang))
    for name in render.PUBLIC_COMMANDS:
        assert f"/{name} " in user_text and f"/{name} " in admin_text
    for name in render.ADMIN_COMMANDS:
        assert f"/{name} " not in user_text
        assert f"/{name} " in admin_text
    assert ".html" in admin_text and ".html" not in user_text


def test_further_passages_and_context_fold_into_expandable_quotes() -> None:
    block = render.excerpt_list("Weitere Stellen:", [], "de", quote=True)
    html_text = render.to_html([block, (render.Span("offen"),)])
    assert html_text == "<blockquote expandable><b>Weitere Stellen:</b></blockquote>\n\noffen"
    assert parse_html(html_text) == "Weitere Stellen:\n\noffen"  # valid Telegram HTML
    long = render.to_html([(render.Span("Wort " * 2000, quote=True),)])
    parts = split_html(long, 4096)
    assert len(parts) > 1 and all(p.startswith("<blockquote expandable>") for p in parts)
    assert all(p.endswith("</blockquote>") and parse_html(p) for p in parts)


def test_utf16_units_count_astral_characters_twice_and_a_lone_surrogate_once() -> None:
    from bot.split import units

    assert units("") == 0
    assert units("Durov ä ß") == 9
    assert units("😀a𝄞") == 5
    assert units("a\ud800b") == 3  # a lone surrogate, as JSON can carry one
    assert units("😀" * 5000) == utf16_len("😀" * 5000) == 10_000

"""End to end: the real Application, long-polling over HTTP a Bot API stand-in on 127.0.0.1, with
the real Engine (fake embedder) over a temporary copy of the corpus.

The fake embedder ranks by shared words but cannot be calibrated like the real model, so tests
about how an answer is shown run with threshold 0 (every question answered) and the off-topic
tests with the configured threshold.
"""

from __future__ import annotations

import asyncio
import errno
import html
import json
import logging
import os
import tomllib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import faiss
import pytest
from support.botapi import BOT_USER, BotApi, Call, settled
from support.fakes import FakeEmbedder, GatedEmbedder
from telegram import helpers
from telegram.ext import Application

from bot import i18n, render
from bot.querylog import QueryLog
from index import Engine
from index.chunking import paragraph_spans, split_sentences

StartBot = Callable[..., Awaitable[Application]]
ALICE, BOB = 2002, 3003
STORY_FILE = "durov-telegram.de"
ENGLISH_NOTE = (
    "Telegram says it removes millions of harmful posts every day.\n\n"
    "The company added that a team of moderators reviews reports from users. Automated tools help "
    "the team to find illegal content faster. Critics say the tools are not enough.\n\n"
    "Durov promised to publish more data about moderation next year."
)
NEW_DOCUMENT = (
    "Der Zoo von Paris bekam im Sommer zwei junge Pandabären.\n\nDie Pfleger füttern sie mit Bambus."
)


def engine_of(app: Application) -> Engine:
    engine: Engine = app.bot_data.engine
    return engine


def usage_of(app: Application) -> QueryLog:
    usage: QueryLog = app.bot_data.querylog
    return usage


def paragraphs(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [text[start:end] for start, end in paragraph_spans(text)]


def sentence_of(path: Path, language: str) -> tuple[int, str, str]:
    """(paragraph number, a later sentence of it, the paragraph) from the first multi-sentence paragraph."""
    for number, paragraph in enumerate(paragraphs(path), start=1):
        spans = split_sentences(paragraph, language)
        if len(spans) >= 2:
            start, end = spans[1]
            return number, paragraph[start:end], paragraph
    raise AssertionError(f"no paragraph with two sentences in {path}")


def metadata(corpus: Path, doc_id: str) -> dict[str, Any]:
    with open(corpus / f"{doc_id}.toml", "rb") as fh:
        return tomllib.load(fh)


def joined_plain(calls: Sequence[Call]) -> str:
    return "\n".join(call.plain for call in calls)


async def reply_to(api: BotApi, user: int, text: str, *, language_code: str = "de", n: int = 1) -> list[Call]:
    api.text(user, text, language_code=language_code)
    return await api.next_calls("sendMessage", chat_id=user, n=n)


async def test_a_german_question_gets_the_passage_with_its_sentence_in_bold_and_the_source(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path
) -> None:
    await start_bot(threshold=0.0)
    number, sentence, paragraph = sentence_of(corpus_dir / f"{STORY_FILE}.txt", "de")
    [call] = await reply_to(bot_api, ALICE, sentence)
    meta = metadata(corpus_dir, STORY_FILE)
    assert f"<b>{html.escape(sentence, quote=False)}</b>" in call.text
    assert call.plain.startswith(paragraph)  # the whole passage, the sentence highlighted within it
    assert f"Quelle: {meta['title']}, Absatz {number} · {meta['source']}" in call.plain
    assert f'<a href="{meta["url"]}">' in call.text
    assert call.params["parse_mode"] == "HTML"


async def test_an_english_question_gets_an_english_passage_with_its_source(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path
) -> None:
    (corpus_dir / "moderation.en.txt").write_text(ENGLISH_NOTE, encoding="utf-8")
    (corpus_dir / "moderation.en.toml").write_text(
        'title = "Moderation on Telegram"\nsource = "Example News"\nurl = "https://example.org/moderation"\n'
        'language = "en"\n',
        encoding="utf-8",
    )
    await start_bot(threshold=0.0)
    number, sentence, _ = sentence_of(corpus_dir / "moderation.en.txt", "en")
    [call] = await reply_to(bot_api, BOB, sentence, language_code="en-GB")
    assert f"<b>{html.escape(sentence, quote=False)}</b>" in call.text
    assert f"Source: Moderation on Telegram, paragraph {number} · Example News" in call.plain
    assert '<a href="https://example.org/moderation">Example News</a>' in call.text


@pytest.mark.parametrize(
    ("question", "language_code", "wording"),
    [
        ("Wie wird das Wetter morgen in Hamburg?", "de", "steht nicht in der Geschichte"),
        ("Which football club won the cup final?", "en", "not in the story"),
    ],
)
async def test_an_off_topic_question_gets_not_in_the_story(
    start_bot: StartBot, bot_api: BotApi, question: str, language_code: str, wording: str
) -> None:
    await start_bot()
    [call] = await reply_to(bot_api, ALICE, question, language_code=language_code)
    lang = i18n.language(language_code)
    assert wording in call.plain
    assert call.text.startswith(f"<b>{html.escape(i18n.text(lang, 'not_in_story'), quote=False)}</b>")
    assert call.text.count("<b>") == 1  # no passage sentence presented as the answer ...
    assert i18n.text(lang, "closest") in call.plain  # ... the closest one is marked as such
    assert i18n.text(lang, "source_prefix") not in call.plain


async def test_every_question_is_logged_and_other_messages_are_not(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path
) -> None:
    app = await start_bot(threshold=0.0)
    _, sentence, _ = sentence_of(corpus_dir / f"{STORY_FILE}.txt", "de")
    await reply_to(bot_api, ALICE, sentence)
    bot_api.sticker(BOB)
    await bot_api.next_calls("sendMessage", chat_id=BOB)
    expected = await engine_of(app).ask(sentence)
    rows = await usage_of(app).db.fetchall(
        "SELECT user_id, chat_id, chat_type, question, passage_ids, answered, latency_ms FROM questions")
    assert len(rows) == 1
    user_id, chat_id, chat_type, question, passage_ids, answered, latency_ms = rows[0]
    assert (user_id, chat_id, chat_type, question, answered) == (ALICE, ALICE, "private", sentence, 1)
    assert passage_ids == str([hit.passage_id for hit in expected.hits])
    assert latency_ms > 0


async def start_blocked_reload(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path, admin_id: int
) -> tuple[Application, GatedEmbedder]:
    """A bot whose admin has started a /reload that is now stuck embedding a new document."""
    embedder = GatedEmbedder()
    app = await start_bot(embedder=embedder, threshold=0.0)
    (corpus_dir / "zoo.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
    embedder.arm()
    [started] = await reply_to(bot_api, admin_id, "/reload", language_code="en")
    assert started.plain == i18n.text("en", "reload_started")
    assert await asyncio.to_thread(embedder.entered.wait, 30)
    assert engine_of(app).rebuilding
    return app, embedder


async def test_an_admin_reloads_while_another_user_asks_and_both_are_answered(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path, admin_id: int
) -> None:
    app, embedder = await start_blocked_reload(start_bot, bot_api, corpus_dir, admin_id)
    number, sentence, _ = sentence_of(corpus_dir / f"{STORY_FILE}.txt", "de")
    [answer] = await reply_to(bot_api, ALICE, sentence)  # answered from the old index meanwhile
    assert (
        f"<b>{html.escape(sentence, quote=False)}</b>" in answer.text and f"Absatz {number}" in answer.plain
    )
    assert engine_of(app).rebuilding
    embedder.release.set()
    summary = await bot_api.next_matching("editMessageText", admin_id, settled)
    assert "1 added, 0 changed, 0 removed" in summary.plain
    assert f"{len(await engine_of(app).documents())} documents" in summary.plain
    [zoo] = [doc for doc in await engine_of(app).documents() if doc.id == "zoo"]
    [after] = await reply_to(bot_api, ALICE, NEW_DOCUMENT.split("\n")[0])
    assert f"Quelle: {zoo.title}, Absatz 1" in after.plain


async def test_a_second_reload_while_one_runs_gets_already_reloading(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path, admin_id: int
) -> None:
    _, embedder = await start_blocked_reload(start_bot, bot_api, corpus_dir, admin_id)
    [second] = await reply_to(bot_api, admin_id, "/reload", language_code="en")
    assert second.plain == i18n.text("en", "reload_running")
    embedder.release.set()
    summary = await bot_api.next_matching("editMessageText", admin_id, settled)
    assert "1 added" in summary.plain


async def test_a_failed_reload_tells_the_admin_why_and_the_old_index_keeps_answering(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path, admin_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    app = await start_bot(threshold=0.0)
    version = engine_of(app).version
    (corpus_dir / "zoo.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
    monkeypatch.setattr(faiss, "write_index", disk_full)
    [started] = await reply_to(bot_api, admin_id, "/reload", language_code="de")
    failed = await bot_api.next_matching("editMessageText", admin_id, settled)
    assert started.plain == i18n.text("de", "reload_started")
    assert "Neuladen fehlgeschlagen" in failed.plain and os.strerror(errno.ENOSPC) in failed.plain
    assert engine_of(app).version == version
    _, sentence, _ = sentence_of(corpus_dir / f"{STORY_FILE}.txt", "de")
    [answer] = await reply_to(bot_api, ALICE, sentence)
    assert f"<b>{html.escape(sentence, quote=False)}</b>" in answer.text


async def test_a_non_admin_reload_is_refused_and_logged_with_the_user_id(
    start_bot: StartBot, bot_api: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_bot()
    version = engine_of(app).version
    with caplog.at_level(logging.WARNING, logger="bot.admin"):
        [call] = await reply_to(bot_api, BOB, "/reload", language_code="en")
    assert call.plain == i18n.text("en", "not_admin", command="reload")
    assert any(
        str(BOB) in r.getMessage() and "reload" in r.getMessage()
        for r in caplog.records
        if r.name == "bot.admin" and r.levelno == logging.WARNING
    )
    assert engine_of(app).version == version and not engine_of(app).rebuilding


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}]},
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 2}},
        {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "notes.txt"}},
        {"text": "   \n\t "},
    ],
    ids=["sticker", "photo", "voice", "document", "whitespace"],
)
async def test_a_message_that_is_not_a_question_gets_the_friendly_reply(
    start_bot: StartBot, bot_api: BotApi, content: dict[str, Any]
) -> None:
    app = await start_bot()
    bot_api.message(BOB, language_code="en", **content)
    [call] = await bot_api.next_calls("sendMessage", chat_id=BOB)
    assert call.plain == i18n.text("en", "cannot_do", example=i18n.text("en", "example"))
    assert await usage_of(app).question_count() == 0


async def test_a_reply_over_4096_characters_is_split_into_several_messages(
    start_bot: StartBot, bot_api: BotApi, tmp_path: Path
) -> None:
    corpus = tmp_path / "long-corpus"
    corpus.mkdir()
    sentences = [
        f"Im Jahr {1900 + i} bekam die Plattform {i} neue Funktionen für Kanäle." for i in range(120)
    ]
    (corpus / "chronik.txt").write_text("Kurzer erster Absatz.\n\n" + " ".join(sentences), encoding="utf-8")
    app = await start_bot(
        corpus=corpus, embedder=FakeEmbedder(max_tokens=10_000), max_passage_tokens=10_000, threshold=0.0
    )
    question = sentences[60]
    link = helpers.create_deep_linked_url(BOT_USER["username"], "p_")
    answer = await engine_of(app).ask(question)
    expected = render.render_answer(answer, "de", passage_link=lambda p: f"{link}{p}")
    assert len(expected) >= 2
    calls = await reply_to(bot_api, ALICE, question, n=len(expected))
    assert [call.text for call in calls] == expected
    assert all(len(call.plain) <= 4096 and len(call.text) <= 4096 for call in calls)
    text = joined_plain(calls)
    assert all(sentence in text for sentence in sentences)
    assert f"<b>{html.escape(question, quote=False)}</b>" in "".join(call.text for call in calls)
    [document] = await engine_of(app).documents()
    assert f"Quelle: {document.title}, Absatz 2" in text


@pytest.mark.parametrize(
    ("language_code", "hello"), [("de-DE", "Hallo!"), ("en", "Hello!"), ("fr", "Hello!")]
)
async def test_start_greets_in_the_users_language_naming_the_story(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path, language_code: str, hello: str
) -> None:
    await start_bot()
    [call] = await reply_to(bot_api, ALICE, "/start", language_code=language_code)
    meta = metadata(corpus_dir, STORY_FILE)
    assert call.plain.startswith(hello)
    assert meta["title"] in call.plain and meta["source"] in call.plain
    assert "/help" in call.plain


async def test_help_explains_the_commands_and_shows_reload_only_to_admins(
    start_bot: StartBot, bot_api: BotApi, admin_id: int
) -> None:
    await start_bot()
    [user] = await reply_to(bot_api, ALICE, "/help", language_code="en")
    [admin] = await reply_to(bot_api, admin_id, "/help", language_code="en")
    assert all(f"/{name}" in user.plain for name in ("start", "help", "sources"))
    assert "/reload" not in user.plain and "/reload" in admin.plain


async def test_sources_lists_the_document_with_its_link(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path
) -> None:
    app = await start_bot()
    [call] = await reply_to(bot_api, ALICE, "/sources", language_code="en")
    meta = metadata(corpus_dir, STORY_FILE)
    [document] = await engine_of(app).documents()
    assert meta["title"] in call.plain and meta["source"] in call.plain
    assert f'<a href="{meta["url"]}">{meta["source"]}</a>' in call.text
    assert f"{document.id} · text · de · {document.passages} passages" in call.plain
    assert "reply_markup" not in call.params  # remove buttons are for admins


async def test_an_unknown_command_points_to_help(start_bot: StartBot, bot_api: BotApi) -> None:
    await start_bot()
    [call] = await reply_to(bot_api, ALICE, "/frobnicate", language_code="de")
    assert call.plain == i18n.text("de", "unknown_command")


async def test_profile_and_command_menus_are_published_per_language_and_admin_menus_per_admin(
    start_bot: StartBot, bot_api: BotApi, admin_id: int
) -> None:
    await start_bot()
    calls = bot_api.calls_of("setMyCommands")
    public = [c for c in calls if "scope" not in c.params]
    admin = [c for c in calls if "scope" in c.params]
    assert {call.params.get("language_code") for call in public} == {None, "de"}
    assert all([c["command"] for c in call.params["commands"]] == ["start", "help", "sources", "ask"]
               for call in public)
    scopes = {(c.params.get("language_code"), json.dumps(c.params["scope"], sort_keys=True)) for c in admin}
    mine = json.dumps({"chat_id": admin_id, "type": "chat"}, sort_keys=True)
    assert scopes == {(None, mine), ("de", mine)}
    for call in admin:
        assert {"reload", "remove", "stats"} <= {c["command"] for c in call.params["commands"]}
    for method, key in (("setMyDescription", "description"), ("setMyShortDescription", "short_description")):
        sent = {c.params.get("language_code"): c.params[key] for c in bot_api.calls_of(method)}
        assert sent == {None: i18n.text("en", key), "de": i18n.text("de", key)}


async def test_a_server_refusing_the_command_menu_does_not_stop_the_bot(
    start_bot: StartBot, bot_api: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    bot_api.fail("setMyCommands", status=400, description="Bad Request: not today", times=4)
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        await start_bot()
    assert sum("profile" in r.getMessage() for r in caplog.records if r.name == "bot.app") == 4
    [call] = await reply_to(bot_api, ALICE, "/start", language_code="en")
    assert call.plain.startswith("Hello!")


async def test_an_unexpected_error_is_logged_and_the_user_gets_an_apology(
    start_bot: StartBot,
    bot_api: BotApi,
    corpus_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    embedder = GatedEmbedder()
    await start_bot(threshold=0.0, embedder=embedder)
    embedder.fail_queries = "the index exploded"
    with caplog.at_level(logging.ERROR, logger="bot.handlers"):
        [apology] = await reply_to(bot_api, ALICE, "Was ist passiert?")
    assert apology.plain == i18n.text("de", "error")
    assert any(r.exc_info and "the index exploded" in str(r.exc_info[1]) for r in caplog.records)
    embedder.fail_queries = ""
    _, sentence, _ = sentence_of(corpus_dir / f"{STORY_FILE}.txt", "de")
    [answer] = await reply_to(bot_api, ALICE, sentence)  # still alive
    assert f"<b>{html.escape(sentence, quote=False)}</b>" in answer.text


async def test_the_token_never_appears_in_the_logs(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await start_bot(threshold=0.0)
    _, sentence, _ = sentence_of(corpus_dir / f"{STORY_FILE}.txt", "de")
    await reply_to(bot_api, ALICE, sentence)
    bot_api.fail("sendMessage", status=500)  # an error whose text may carry the URL
    bot_api.text(BOB, "/start")
    await bot_api.next_calls("sendMessage", chat_id=BOB)  # the apology
    assert "getUpdates" in caplog.text  # the HTTP traffic was logged ...
    assert bot_api.token not in caplog.text  # ... without the token


@pytest.mark.model
async def test_with_the_real_model_german_and_english_questions_find_the_story_and_off_topic_is_declined(
    start_bot: StartBot, bot_api: BotApi
) -> None:
    await start_bot(real_model=True)
    [german] = await reply_to(bot_api, ALICE, "Wie viele Nutzer hat Telegram?")
    english_question = "How many monthly active users does Telegram have?"
    [english] = await reply_to(bot_api, BOB, english_question, language_code="en")
    [off_topic] = await reply_to(bot_api, BOB, "Which football club won the cup final?", language_code="en")
    for call, source in ((german, "Quelle:"), (english, "Source:")):
        bold = call.text.split("<b>")[1].split("</b>")[0]
        assert "950 Millionen" in bold
        assert source in call.plain
    assert "not in the story" in off_topic.plain


async def test_a_question_longer_than_the_index_accepts_is_shortened_and_the_reply_says_so(
    start_bot: StartBot, bot_api: BotApi, corpus_dir: Path
) -> None:
    app = await start_bot(threshold=0.0)
    _, sentence, _ = sentence_of(corpus_dir / f"{STORY_FILE}.txt", "de")
    question = (sentence + " ") * (2 * engine_of(app).config.max_question_chars // len(sentence) + 1)
    [call] = await reply_to(bot_api, ALICE, question, language_code="en")
    searched = (await engine_of(app).ask(question)).question
    assert len(searched) <= engine_of(app).config.max_question_chars < len(question)
    assert i18n.text("en", "shortened", chars=len(searched)) in call.plain

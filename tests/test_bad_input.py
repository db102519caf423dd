"""Bad input, one table: each hostile or odd update through the Bot API stand-in, the reply it must
get (by its wording), and the stored data intact afterwards (documents, passages, query log).

The bot runs with the configured threshold and the fake embedder: a sentence of the story is
answered, anything sharing no words with it is "not in the story".
"""

from __future__ import annotations

import html
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.botapi import BOT_USER, BotApi, Call, settled
from support.botrun import first_block, passage_texts, query_id, serve, settings_for

from bot import i18n

ADMIN, USER = 1001, 3003
CHANNEL = -100777
MAX_UPLOAD = 4096
SENTENCE = ("Durov veröffentlichte am Donnerstag eine lange Erklärung auf seinem Telegram-Kanal, in der er "
            "sagte, dass er in der Vergangenheit mit den französischen Strafverfolgungsbehörden "
            "zusammengearbeitet habe.")
_ids = itertools.count(90_000)

Push = Callable[[BotApi], None]
OUTCOME = "outcome"  # the final text of a status message (an upload's), after its progress edits
Check = Callable[[Call], None]


@dataclass(frozen=True)
class Case:
    name: str
    push: Push
    check: Check | None  # None: the update is ignored (no reply at all)
    method: str = "sendMessage"
    chat: int | None = USER
    questions: int = 0  # rows the query log gains
    documents: int = 0  # documents the index gains


# --- what to send ----------------------------------------------------------------------------------


def text(value: str, user: int = USER) -> Push:
    def push(api: BotApi) -> None:
        api.text(user, value, language_code="en")
    return push


def content(**fields: Any) -> Push:
    def push(api: BotApi) -> None:
        api.message(USER, language_code="en", **fields)
    return push


def edited(value: str) -> Push:
    def push(api: BotApi) -> None:
        chat = {"id": USER, "type": "private", "first_name": "U"}
        api.push({"edited_message": {"message_id": next(_ids), "date": int(time.time()) - 60,
                                     "edit_date": int(time.time()), "chat": chat,
                                     "from": api.user(USER), "text": value}})
    return push


def channel_post(value: str) -> Push:
    def push(api: BotApi) -> None:
        post: dict[str, Any] = {"message_id": next(_ids), "date": int(time.time()), "text": value,
                                "chat": {"id": CHANNEL, "type": "channel", "title": "News"}}
        if value.startswith("/"):
            post["entities"] = [{"type": "bot_command", "offset": 0, "length": len(value.split()[0])}]
        api.push({"channel_post": post})
    return push


def press(data: str, user: int = USER, with_message: bool = True) -> Push:
    def push(api: BotApi) -> None:
        query: dict[str, Any] = {"id": f"cb-{next(_ids)}", "from": api.user(user), "chat_instance": "ci",
                                 "data": data}
        if with_message:
            query["message"] = {"message_id": 1, "date": int(time.time()), "text": "an answer",
                                "chat": {"id": user, "type": "private", "first_name": "U"}, "from": BOT_USER}
        else:
            query["inline_message_id"] = "inline-1"
        api.push({"callback_query": query})
    return push


def upload(data: bytes, name: str, size: int | None = None) -> Push:
    def push(api: BotApi) -> None:
        file_id = api.add_file(data, "upload.bin")
        document = {"file_id": file_id, "file_unique_id": file_id, "file_name": name,
                    "file_size": len(data) if size is None else size}
        api.message(ADMIN, language_code="en", document=document)
    return push


def inline(query: str) -> Push:
    def push(api: BotApi) -> None:
        api.push({"inline_query": {"id": f"iq-{next(_ids)}", "from": api.user(USER), "query": query,
                                   "offset": ""}})
    return push


# --- what must come back -----------------------------------------------------------------------------


def says(key: str, **values: Any) -> Check:
    def check(call: Call) -> None:
        assert call.plain == i18n.text("en", key, **values)
    return check


def starts(key: str) -> Check:
    def check(call: Call) -> None:
        assert call.plain.startswith(i18n.text("en", key))
    return check


def answers(*notes: str) -> Check:
    def check(call: Call) -> None:
        assert query_id(call) is not None and SENTENCE in first_block(call)
        assert f"<b>{html.escape(SENTENCE, quote=False)}" in call.text
        assert i18n.text("en", "source_prefix") in call.plain
        assert all(note in call.plain for note in notes)
    return check


def shortened(call: Call) -> None:
    answers(i18n.text("en", "shortened", chars=999).split(" 999 ")[0])(call)


def not_in_story(call: Call) -> None:
    assert call.plain.startswith(i18n.text("en", "not_in_story"))
    assert i18n.text("en", "source_prefix") not in call.plain


def expired(call: Call) -> None:
    assert call.params["text"] == i18n.text("en", "expired")


def rejected(name: str, reason: str) -> Check:
    def check(call: Call) -> None:
        assert call.plain.startswith(i18n.text("en", "upload_rejected", name=name, reason=""))
        assert reason in call.plain
        if "<" in name:
            assert html.escape(name, quote=False) in call.text
    return check


def added(call: Call) -> None:
    assert call.plain.startswith("Added “")


def escaped_echo(literal: str) -> Check:
    def check(call: Call) -> None:
        assert call.plain == i18n.text("en", "remove_unknown", doc_id=literal)
        assert html.escape(literal, quote=False) in call.text
    return check


def no_results_with_hint(call: Call) -> None:
    assert call.params["results"] == []
    assert call.params["button"]["text"] == i18n.text("en", "inline_not_found")[:64]


STICKER = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
           "is_animated": False, "is_video": False}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256))
SCRIPTED = (b"<html><head><script>alert('x')</script><style>p{}</style></head><body>"
            b"<p>Die Stadtbibliothek verleiht jetzt auch Werkzeug.</p><p>Bohrmaschinen sind beliebt.</p>"
            b"</body></html>")
POLL = {"id": "p1", "question": "Ja?", "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
        "type": "regular", "allows_multiple_answers": False, "allows_revoting": True,
        "members_only": False,
        "options": [{"text": t, "voter_count": 0, "persistent_id": t} for t in ("ja", "nein")]}
TRAVERSAL = "Ein harmloser Text über Passwörter.".encode()
cannot_do = says("cannot_do", example=i18n.text("en", "example"))

CASES = [
    Case("empty text", text(""), cannot_do),
    Case("whitespace", text(" \n\t  "), cannot_do),
    Case("4096 characters", text((SENTENCE + " ") * (4096 // (len(SENTENCE) + 1))), shortened, questions=1),
    Case("100000 characters", text((SENTENCE + " ") * (100_000 // (len(SENTENCE) + 1))), shortened,
         questions=1),
    Case("only emoji", text("😀🎉🔥👍🏽🇩🇪"), cannot_do),
    Case("only zero-width characters", text("\u200b\u200c\u200d\u2060\ufeff"), cannot_do),
    Case("only punctuation", text("?!… ¿¡ --- ***"), cannot_do),
    Case("zero-width around a question", text("\u200b" + SENTENCE + "\u200d\ufeff"), answers(), questions=1),
    Case("RTL override", text("\u202e" + SENTENCE + "\u202c\u200f"), answers(), questions=1),
    Case("control characters", text("\x01\x07\x1b[31m" + SENTENCE + "\x7f"), answers(), questions=1),
    Case("NUL characters", text(SENTENCE + "\x00\x00"), answers(), questions=1),
    Case("HTML bold around a question", text(f"<b>{SENTENCE}</b>"), answers(), questions=1),
    Case("script tag", text("<script>alert(1)</script>"), not_in_story, questions=1),
    Case("ampersands and brackets", text("& &amp; &lt; < > &#0;"), not_in_story, questions=1),
    Case("Markdown specials", text("*_[]()~`>#+-=|{}.!"), cannot_do),
    Case("Markdown around a question", text(f"*{SENTENCE}* _[x](y)_ `z`"), answers(), questions=1),
    Case("SQL injection", text("'; DROP TABLE passages;--"), not_in_story, questions=1),
    Case("SQL injection in a question", text(SENTENCE + " '; DROP TABLE questions;--"), answers(),
         questions=1),
    Case("FTS5 NEAR(", text("NEAR("), not_in_story, questions=1),
    Case("FTS5 quote", text('"'), cannot_do),
    Case("FTS5 star", text("*"), cannot_do),
    Case("FTS5 operators", text("AND OR NOT"), not_in_story, questions=1),
    Case("FTS5 syntax in a question", text(SENTENCE + ' NEAR( " * AND OR NOT ^'), answers(), questions=1),
    Case("Cyrillic question", text("Где был арестован Павел Дуров?"), not_in_story, questions=1),
    Case("Chinese question", text("杜罗夫在哪里被捕？"), not_in_story, questions=1),
    Case("Arabic question", text("أين تم القبض على دوروف؟"), not_in_story, questions=1),
    Case("sticker", content(sticker=STICKER), cannot_do),
    Case("photo", content(photo=[{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}]),
         cannot_do),
    Case("voice", content(voice={"file_id": "v", "file_unique_id": "v", "duration": 2}), cannot_do),
    Case("location", content(location={"latitude": 48.85, "longitude": 2.35}), cannot_do),
    Case("contact", content(contact={"phone_number": "+33100000000", "first_name": "Pavel"}), cannot_do),
    Case("poll", content(poll=POLL), cannot_do),
    Case("dice", content(dice={"emoji": "🎲", "value": 3}), cannot_do),
    Case("edited question", edited(SENTENCE), answers(), questions=1),
    Case("edited into whitespace", edited("   "), cannot_do),
    Case("channel post", channel_post(SENTENCE), None, chat=CHANNEL),
    Case("channel post command", channel_post("/reload"), None, chat=CHANNEL),
    Case("unknown command", text("/frobnicate now"), says("unknown_command")),
    Case("command for another bot", text("/start@other_bot"), says("unknown_command")),
    Case("/help with junk arguments", text("/help \x00 <b> ../"), starts("help")),
    Case("/ask without a question", text("/ask"), says("group_hint")),
    Case("/ask with only spaces", text("/ask    "), says("group_hint")),
    Case("/ask with only emoji", text("/ask 🙂🙂"), says("group_hint")),
    Case("/remove without an id", text("/remove", ADMIN), says("remove_usage"), chat=ADMIN),
    Case("/remove with two ids", text("/remove a b", ADMIN), says("remove_usage"), chat=ADMIN),
    Case("/remove path traversal", text("/remove ../x", ADMIN), escaped_echo("../x"), chat=ADMIN),
    Case("/remove HTML", text("/remove <b>x</b>&", ADMIN), escaped_echo("<b>x</b>&"), chat=ADMIN),
    Case("forged callback", press("garbage"), expired, method="answerCallbackQuery", chat=None),
    Case("stale callback", press("1:m:99999:3"), expired, method="answerCallbackQuery", chat=None),
    Case("oversized callback", press("1:m:" + "9" * 200), expired, method="answerCallbackQuery", chat=None),
    Case("empty callback", press(""), expired, method="answerCallbackQuery", chat=None),
    Case("callback without a message", press("1:f:1:+1", with_message=False), expired,
         method="answerCallbackQuery", chat=None),
    Case("forged remove token", press("1:rm:AAAAAAAAAAAA", ADMIN), expired, method="answerCallbackQuery",
         chat=None),
    Case("upload too large", upload(b"x", "big.txt", size=MAX_UPLOAD + 1),
         says("upload_too_large", name="big.txt", size=MAX_UPLOAD + 1, limit=MAX_UPLOAD), chat=ADMIN),
    Case("binary disguised as .txt", upload(PNG, "notes.txt"), rejected("notes.txt", "not a text file"),
         chat=ADMIN, method=OUTCOME),
    Case("invalid UTF-8", upload("Grüße".encode("latin-1") + b" aus Wien", "latin.txt"),
         rejected("latin.txt", "invalid UTF-8"), chat=ADMIN, method=OUTCOME),
    Case("empty upload", upload(b"", "empty.txt"), rejected("empty.txt", "empty file"), chat=ADMIN,
         method=OUTCOME),
    Case("zip", upload(ZIP, "corpus.zip"), rejected("corpus.zip", "unsupported file type .zip"), chat=ADMIN,
         method=OUTCOME),
    Case("HTML with scripts", upload(SCRIPTED, "page.html"), added, chat=ADMIN, documents=1, method=OUTCOME),
    Case("path traversal without extension", upload(b"root:x:0:0", "../../etc/passwd"),
         rejected("../../etc/passwd", "unsupported file type"), chat=ADMIN, method=OUTCOME),
    Case("path traversal .txt", upload(TRAVERSAL, "../../etc/passwd.txt"),
         added, chat=ADMIN, documents=1, method=OUTCOME),
    Case("HTML in a file name", upload(b"text", "<b>x</b>.exe"), rejected("<b>x</b>.exe", "unsupported"),
         chat=ADMIN, method=OUTCOME),
    Case("inline query of control characters", inline("\x00\x01\x1b"), no_results_with_hint,
         method="answerInlineQuery", chat=None),
]


def outside(folder: Path) -> list[Path]:
    """Files under ``folder`` that resolve to somewhere else."""
    return [p for p in folder.rglob("*") if not p.resolve().is_relative_to(folder.resolve())]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_bad_input_gets_its_reply_and_nothing_stored_is_lost(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, case: Case
) -> None:
    data = tmp_path / "data"
    settings = settings_for(bot_api, corpus_dir, data, ADMIN, max_upload_bytes=MAX_UPLOAD)
    async with serve(settings) as app:
        engine, usage = app.bot_data.engine, app.bot_data.querylog
        documents, questions = len(await engine.documents()), await usage.question_count()
        case.push(bot_api)
        if case.check is None:
            text("/help")(bot_api)  # a later update that is answered: the ignored one came first
            await bot_api.next_calls("sendMessage", USER)
            assert bot_api.calls_of("sendMessage", case.chat) == []
        else:
            if case.method == OUTCOME:
                reply = await bot_api.next_matching("editMessageText", case.chat, settled)
            else:
                [reply] = await bot_api.next_calls(case.method, case.chat)
            case.check(reply)
        assert await usage.question_count() == questions + case.questions
        shown = await engine.documents()
    assert len(shown) == documents + case.documents
    texts = passage_texts(data)
    assert len(texts) == sum(doc.passages for doc in shown)  # the index is whole
    assert not any("alert(" in t or "root:x" in t for t in texts.values())
    assert [c for c in bot_api.calls if c.status != 200] == []  # every reply was valid Telegram HTML
    assert not any(c.plain == i18n.text("en", "error") for c in bot_api.calls_of("sendMessage"))
    assert outside(corpus_dir) == []

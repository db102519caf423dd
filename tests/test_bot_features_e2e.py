"""End to end through the local Bot API stand-in: the real Application over HTTP on 127.0.0.1.

Follow-up buttons, feedback, group chats, inline mode, German/English texts, the fair-use limit,
and the admins' uploads, /remove and /stats, each with its bad inputs. The index runs with the
fake embedder and threshold 0, so every story question is answered.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from support.botapi import BOT_USER, BotApi, Call, settled
from support.botrun import watching
from support.fakes import FakeEmbedder
from telegram.ext import Application

from bot.app import build_application, running
from bot.settings import BotSettings
from index import Engine, IndexConfig

ADMIN, ALICE, BOB = 1001, 2002, 3003
GROUP = -100500
QUESTION = "Wo hat Durov die Hotline mit Telegram eingerichtet?"
LIMIT = 3  # questions per minute in these tests
MAX_UPLOAD = 4096
_ids = itertools.count(1)
App = Application[Any, Any, Any, Any, Any, Any]
EXPIRED = "This answer has expired. Please ask again."


@pytest.fixture
def api(bot_api: BotApi) -> BotApi:
    """The shared Bot API stand-in (conftest), under this file's shorter name."""
    return bot_api


@pytest.fixture
async def app(
    api: BotApi, engine_config: IndexConfig, fake_embedder: FakeEmbedder
) -> AsyncIterator[App]:
    settings = BotSettings(
        index=dataclasses.replace(engine_config, threshold=0.0), token=api.token, api_base_url=api.base_url,
        admin_ids=frozenset({ADMIN}), questions_per_minute=LIMIT, max_upload_bytes=MAX_UPLOAD,
    )

    async def open_engine(config: IndexConfig) -> Engine:
        return await Engine.open(config, fake_embedder)

    application = build_application(settings, engine_factory=open_engine)
    async with running(application, poll_timeout=1.0):
        yield application


def listing(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


def engine_of(app: App) -> Engine:
    engine: Engine = app.bot_data.engine
    return engine


def buttons(call: Call) -> dict[str, str]:
    """Button text -> callback data of a sent message."""
    markup = call.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def press(api: BotApi, user_id: int, data: str, message: dict[str, Any], lang: str = "en") -> str:
    """Push a button press on ``message``; returns the callback query id."""
    query_id = f"cb-{next(_ids)}"
    api.push({"callback_query": {"id": query_id, "from": api.user(user_id, lang), "chat_instance": "ci",
                                 "data": data, "message": message}})
    return query_id


async def callback_answer(api: BotApi, query_id: str) -> Call:
    (call,) = await api.next_calls("answerCallbackQuery")
    assert call.params["callback_query_id"] == query_id
    return call


def inline(api: BotApi, user_id: int, query: str, lang: str = "en") -> str:
    query_id = f"iq-{next(_ids)}"
    sender = api.user(user_id, lang)
    api.push({"inline_query": {"id": query_id, "from": sender, "query": query, "offset": ""}})
    return query_id


async def ask(api: BotApi, user_id: int, text: str = QUESTION, lang: str = "en") -> Call:
    api.text(user_id, text, language_code=lang)
    (call,) = await api.next_calls("sendMessage", user_id)
    return call


async def test_answer_carries_more_context_and_feedback_buttons(api: BotApi, app: App) -> None:
    call = await ask(api, ALICE)
    data = buttons(call)
    assert set(data) == {"More passages", "Show context", "👍", "👎"}
    usage = app.bot_data.querylog
    logged = await usage.question(int(data["👍"].split(":")[2]))
    assert logged is not None and logged.question == QUESTION
    assert data["Show context"] == f"1:c:{logged.id}:{logged.passage_ids[0]}"
    assert data["More passages"] == f"1:m:{logged.id}:{len(logged.passage_ids)}"


# --- follow-ups and feedback ------------------------------------------------------------------------


async def test_more_passages_sends_the_next_results(api: BotApi, app: App) -> None:
    first = await ask(api, ALICE)
    data = buttons(first)["More passages"]
    offset = int(data.split(":")[3])
    expected = await engine_of(app).ask(QUESTION, k=3, offset=offset)
    query_id = press(api, ALICE, data, first.result)
    assert (await callback_answer(api, query_id)).params.get("text") is None
    (more,) = await api.next_calls("sendMessage", ALICE)
    assert more.plain.startswith(f"Passages {offset + 1}–{offset + len(expected.hits)}")
    for hit in expected.hits:
        assert hit.text.split(".")[0] in more.plain
    assert buttons(more)["More passages"].endswith(f":{offset + len(expected.hits)}")


async def test_show_context_sends_paragraphs_before_and_after(api: BotApi, app: App) -> None:
    first = await ask(api, ALICE)
    data = buttons(first)["Show context"]
    found = await engine_of(app).context(int(data.split(":")[3]))
    assert found is not None and found.before is not None and found.after is not None
    query_id = press(api, ALICE, data, first.result)
    await callback_answer(api, query_id)
    (context,) = await api.next_calls("sendMessage", ALICE)
    plain = context.plain
    assert plain.index(found.before.text[:40]) < plain.index(found.passage.text[:40]) < plain.index(
        found.after.text[:40]
    )


@pytest.mark.parametrize(
    "data", ["garbage", "1:m:abc:3", "1:m:1:3:4", "2:m:1:3", "1:f:1:+7", "1:c:1:" + "9" * 60, ""]
)
async def test_forged_callback_data_gets_expired(api: BotApi, app: App, data: str) -> None:
    first = await ask(api, ALICE)
    query_id = press(api, ALICE, data, first.result)
    assert (await callback_answer(api, query_id)).params["text"] == EXPIRED
    assert len(api.calls_of("sendMessage", ALICE)) == 1


@pytest.mark.parametrize("data", ["1:m:99999:3", "1:c:99999:1", "1:f:99999:+1"])
async def test_stale_callback_for_unknown_question_gets_expired(api: BotApi, app: App, data: str) -> None:
    first = await ask(api, ALICE)
    query_id = press(api, ALICE, data, first.result)
    assert (await callback_answer(api, query_id)).params["text"] == EXPIRED
    assert await app.bot_data.querylog.db.fetchone("SELECT count(*) FROM feedback") == (0,)


async def test_feedback_pressed_twice_keeps_one_row_with_the_changed_vote(api: BotApi, app: App) -> None:
    first = await ask(api, ALICE)
    data = buttons(first)
    replies = []
    for button in ("👍", "👎", "👎"):
        answered = await callback_answer(api, press(api, ALICE, data[button], first.result))
        replies.append(answered.params["text"])
    assert replies == ["Thanks for your feedback!", "Your vote was changed.", "You already voted like this."]
    query_id = int(data["👍"].split(":")[2])
    rows = await app.bot_data.querylog.db.fetchall("SELECT query_id, user_id, vote, question FROM feedback")
    assert rows == [(query_id, ALICE, -1, QUESTION)]


def react(api: BotApi, user_id: int, message: dict[str, Any], old: list[str], new: list[str]) -> None:
    def emoji(marks: list[str]) -> list[dict[str, str]]:
        return [{"type": "emoji", "emoji": mark} for mark in marks]

    api.push({"message_reaction": {"chat": message["chat"], "message_id": message["message_id"],
                                   "user": api.user(user_id), "date": 0,
                                   "old_reaction": emoji(old), "new_reaction": emoji(new)}})


async def _votes(app: App) -> list[tuple[int, int]]:
    return [(row[0], row[1]) for row in
            await app.bot_data.querylog.db.fetchall("SELECT user_id, vote FROM feedback ORDER BY id")]


async def test_a_reaction_on_an_answer_votes_and_taking_it_back_withdraws_the_vote(
    api: BotApi, app: App
) -> None:
    with watching("bot.handlers", "delivered: yes") as recorded:
        answer = await ask(api, ALICE)
        await recorded.reached(1)  # the answer's message is known as one
    with watching("bot.reactions", "reaction vote") as votes:
        react(api, ALICE, answer.result, [], ["👍"])
        await votes.reached(1)
        assert await _votes(app) == [(ALICE, 1)]
        react(api, ALICE, answer.result, ["👍"], ["👎"])
        await votes.reached(2)
        assert await _votes(app) == [(ALICE, -1)]
        react(api, ALICE, answer.result, ["👎"], ["🔥"])  # another emoji instead: the vote goes
        await votes.reached(3)
        assert await _votes(app) == []
        react(api, BOB, {**answer.result, "message_id": 99_999}, [], ["👍"])  # not an answer: ignored
        react(api, BOB, answer.result, [], ["👍"])
        await votes.reached(4)
    assert await _votes(app) == [(BOB, 1)]


# --- groups -------------------------------------------------------------------------------------------


def group_text(api: BotApi, user_id: int, text: str, **content: Any) -> dict[str, Any]:
    return api.message(user_id, chat_id=GROUP, chat_type="supergroup", text=text, **content)


async def test_group_answers_mention_reply_and_ask_as_replies_and_ignores_chatter(
    api: BotApi, app: App
) -> None:
    name = f"@{BOT_USER['username']}"
    chatter = group_text(api, ALICE, "Hat jemand das Spiel gestern gesehen?")
    mention = group_text(api, ALICE, f"{name} {QUESTION}",
                         entities=[{"type": "mention", "offset": 0, "length": len(name)}])
    (answer,) = await api.next_calls("sendMessage", GROUP)
    assert answer.params["reply_parameters"]["message_id"] == mention["message_id"]
    assert "Show context" in buttons(answer)
    reply = group_text(api, BOB, "Und wann war das?", reply_to_message=answer.result)
    (second,) = await api.next_calls("sendMessage", GROUP)
    assert second.params["reply_parameters"]["message_id"] == reply["message_id"]
    command = f"/ask{name} Wie viele Nutzer hat Telegram?"
    asked = api.text(BOB, command, chat_id=GROUP, chat_type="supergroup")
    (third,) = await api.next_calls("sendMessage", GROUP)
    assert third.params["reply_parameters"]["message_id"] == asked["message_id"]
    # the chatter came first and needs no I/O to be ignored: had it been answered, it would be here
    replied_to = [c.params["reply_parameters"]["message_id"] for c in api.calls_of("sendMessage", GROUP)]
    assert chatter["message_id"] not in replied_to
    assert len(replied_to) == 3


async def test_group_ask_for_another_bot_is_ignored(api: BotApi, app: App) -> None:
    api.text(ALICE, "/ask@other_bot Wer?", chat_id=GROUP, chat_type="group")
    asked = api.text(ALICE, "/ask Wer ist Durov?", chat_id=GROUP, chat_type="group")
    (answer,) = await api.next_calls("sendMessage", GROUP)
    assert answer.params["reply_parameters"]["message_id"] == asked["message_id"]
    assert len(api.calls_of("sendMessage", GROUP)) == 1


# --- inline mode ------------------------------------------------------------------------------------------


async def test_inline_query_offers_passages_and_caches_by_query_text(
    api: BotApi, app: App, fake_embedder: FakeEmbedder
) -> None:
    expected = await engine_of(app).ask(QUESTION)
    encoded = len(fake_embedder.calls)
    inline(api, ALICE, QUESTION)
    (call,) = await api.next_calls("answerInlineQuery")
    results = call.params["results"]
    assert [r["id"] for r in results] == [str(h.passage_id) for h in expected.hits]
    top = expected.hits[0]
    assert results[0]["title"] == f"{top.title} · paragraph {top.paragraph}"
    assert results[0]["description"] == " ".join(top.sentence.split())
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and f"<b>{top.sentence}</b>" in content["message_text"]
    assert call.params["cache_time"] > 0
    inline(api, BOB, "  " + QUESTION.upper() + " ")
    (again,) = await api.next_calls("answerInlineQuery")
    assert [r["id"] for r in again.params["results"]] == [r["id"] for r in results]
    assert len(fake_embedder.calls) == encoded + 1  # the second query came from the cache


async def test_inline_query_of_1000_characters_is_answered(api: BotApi, app: App) -> None:
    inline(api, ALICE, ("Durov Telegram Paris " * 60)[:1000])
    (call,) = await api.next_calls("answerInlineQuery")
    assert 1 <= len(call.params["results"]) <= 3


async def test_empty_inline_query_shows_a_hint_and_the_suggested_questions(api: BotApi, app: App) -> None:
    inline(api, ALICE, "   ", lang="de")
    (call,) = await api.next_calls("answerInlineQuery")
    listed = {s.question for s in await engine_of(app).suggestions()}
    assert listed and {r["title"] for r in call.params["results"]} <= listed
    assert call.params["button"] == {"text": "Tippe eine Frage zur Geschichte", "start_parameter": "inline"}


# --- languages and fair use ---------------------------------------------------------------------------------


async def test_texts_follow_the_language_code(api: BotApi, app: App) -> None:
    german = await ask(api, ALICE, lang="de-AT")
    assert set(buttons(german)) == {"Weitere Stellen", "Kontext zeigen", "👍", "👎"}
    english = await ask(api, BOB, lang="fr")
    assert set(buttons(english)) == {"More passages", "Show context", "👍", "👎"}
    query_id = press(api, ALICE, "forged", german.result, lang="de")
    german_expired = "Diese Antwort ist abgelaufen. Bitte frag noch einmal."
    assert (await callback_answer(api, query_id)).params["text"] == german_expired


async def test_rate_limit_asks_to_wait_but_never_blocks_admins(api: BotApi, app: App) -> None:
    for _ in range(LIMIT):
        await ask(api, ALICE, lang="de")
    refused = await ask(api, ALICE, lang="de")
    assert refused.plain.startswith("Du fragst sehr schnell. Bitte warte ")
    assert "reply_markup" not in refused.params
    wait = int(refused.plain.split("warte ")[1].split()[0])
    assert 1 <= wait <= 60
    for _ in range(LIMIT + 2):
        assert "Show context" in buttons(await ask(api, ADMIN))
    api.text(ADMIN, "/stats")
    (stats,) = await api.next_calls("sendMessage", ADMIN)
    assert f"Questions: {2 * LIMIT + 2} today (UTC)" in stats.plain
    assert "Distinct users (7 days): 2" in stats.plain


# --- admins: stats, uploads, removal -----------------------------------------------------------------


async def test_stats_shows_votes_and_top_questions_and_is_refused_to_others(api: BotApi, app: App) -> None:
    first = await ask(api, ALICE)
    await callback_answer(api, press(api, ALICE, buttons(first)["👎"], first.result))
    await ask(api, BOB)
    api.text(ADMIN, "/stats")
    (stats,) = await api.next_calls("sendMessage", ADMIN)
    assert "👍 0 · 👎 1" in stats.plain
    assert f"2 × „{QUESTION}“" in stats.plain
    api.text(BOB, "/stats")
    (refused,) = await api.next_calls("sendMessage", BOB)
    assert refused.plain == "Sorry, only admins may use /stats."


def upload(api: BotApi, user_id: int, data: bytes, name: str, *, size: int | None = None,
           caption: str | None = None) -> None:
    file_id = api.add_file(data, "upload.bin")
    document = {"file_id": file_id, "file_unique_id": file_id, "file_name": name,
                "file_size": len(data) if size is None else size}
    extra: dict[str, Any] = {"caption": caption} if caption else {}
    api.message(user_id, document=document, **extra)


async def test_admin_upload_is_indexed_and_answered_from(
    api: BotApi, app: App, corpus_dir: Path
) -> None:
    text = "Die Gemeinde Kleinwalsertal eröffnet ein neues Hallenbad.\n\nDas Hallenbad hat drei Becken."
    upload(api, ADMIN, text.encode(), "bad.txt", caption="Neues Hallenbad | https://example.org/bad")
    reply = await api.next_matching("editMessageText", ADMIN, settled)
    assert reply.plain.startswith("Added “Neues Hallenbad” (id ")
    assert "with 2 passages" in reply.plain
    added = [d for d in await engine_of(app).documents() if d.title == "Neues Hallenbad"]
    assert len(added) == 1 and added[0].url == "https://example.org/bad"
    assert (corpus_dir / added[0].path).read_text() == text
    answer = await ask(api, ALICE, "Wie viele Becken hat das Hallenbad?")
    assert "Neues Hallenbad" in answer.plain


async def test_oversized_upload_is_rejected_without_download(api: BotApi, app: App, corpus_dir: Path) -> None:
    before = listing(corpus_dir)
    upload(api, ADMIN, b"x", "big.txt", size=MAX_UPLOAD + 1)
    (reply,) = await api.next_calls("sendMessage", ADMIN)
    limit = f"the limit is {MAX_UPLOAD} bytes"
    assert reply.plain == f"I cannot add big.txt: it is {MAX_UPLOAD + 1} bytes, {limit}."
    assert api.calls_of("getFile") == []
    assert listing(corpus_dir) == before


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)), "notes.txt", "not a text file"),
        ("Grüße".encode("latin-1") + b" aus Wien", "latin.txt", "invalid UTF-8"),
        (b"", "empty.txt", "empty file"),
        (b"   \n\n  ", "blank.md", "no text"),
        (b"just text", "run.exe", "unsupported file type"),
    ],
)
async def test_bad_uploads_are_rejected_with_the_reason(
    api: BotApi, app: App, corpus_dir: Path, data: bytes, name: str, reason: str
) -> None:
    before = listing(corpus_dir)
    upload(api, ADMIN, data, name)
    reply = await api.next_matching("editMessageText", ADMIN, settled)
    assert reply.plain.startswith(f"I could not add {name}: ")
    assert reason in reply.plain
    assert listing(corpus_dir) == before
    assert len(await engine_of(app).documents()) == 1


async def test_path_traversal_file_name_is_stored_inside_the_corpus(
    api: BotApi, app: App, corpus_dir: Path, tmp_path: Path
) -> None:
    upload(api, ADMIN, "Ein harmloser Text über Passwörter.".encode(), "../../etc/passwd.txt")
    reply = await api.next_matching("editMessageText", ADMIN, settled)
    assert reply.plain.startswith("Added ")
    new = [d for d in await engine_of(app).documents() if "passwd" in d.path]
    assert len(new) == 1
    assert new[0].path in [p.name for p in listing(corpus_dir)]  # the text, beside its metadata
    assert "etc" not in [p.name for p in listing(tmp_path) + listing(tmp_path.parent)]


async def test_document_from_non_admin_gets_the_friendly_reply(
    api: BotApi, app: App, corpus_dir: Path
) -> None:
    before = listing(corpus_dir)
    upload(api, BOB, b"Ein Text.", "mine.txt")
    (reply,) = await api.next_calls("sendMessage", BOB)
    assert reply.plain.startswith("I can only read text questions.")
    assert api.calls_of("getFile") == [] and listing(corpus_dir) == before


async def test_remove_needs_an_id_and_names_an_unknown_one(api: BotApi, app: App) -> None:
    api.text(ADMIN, "/remove")
    (usage,) = await api.next_calls("sendMessage", ADMIN)
    assert usage.plain == "Usage: /remove <document id>. /sources lists the ids."
    api.text(ADMIN, "/remove <nope>")
    (unknown,) = await api.next_calls("sendMessage", ADMIN)
    assert unknown.plain == "There is no document with the id <nope>. /sources lists the ids."
    api.text(BOB, "/remove durov-telegram.de")
    (refused,) = await api.next_calls("sendMessage", BOB)
    assert refused.plain == "Sorry, only admins may use /remove."
    assert len(await engine_of(app).documents()) == 1


async def test_remove_confirm_is_refused_to_others_then_removes_for_the_admin(api: BotApi, app: App) -> None:
    (doc,) = await engine_of(app).documents()
    api.text(ADMIN, f"/remove {doc.id}")
    (confirm,) = await api.next_calls("sendMessage", ADMIN)
    assert confirm.plain.startswith(f"Remove “{doc.title}” (id {doc.id}, {doc.passages} passages)")
    data = buttons(confirm)
    stolen = press(api, BOB, data["Remove"], confirm.result)
    refusal = await callback_answer(api, stolen)
    assert refusal.params["text"] == "Only the admin who asked for this removal can confirm it."
    assert [d.id for d in await engine_of(app).documents()] == [doc.id]
    forged = press(api, BOB, "1:rm:AAAAAAAAAAAA", confirm.result)
    assert (await callback_answer(api, forged)).params["text"] == EXPIRED
    mine = press(api, ADMIN, data["Remove"], confirm.result)
    await callback_answer(api, mine)
    (edited,) = await api.next_calls("editMessageText")
    assert edited.plain == f"Removed {doc.id}. The index now has 0 documents, 0 passages."
    assert await engine_of(app).documents() == []
    again = press(api, ADMIN, data["Remove"], confirm.result)
    assert (await callback_answer(api, again)).params["text"] == EXPIRED


async def test_remove_can_be_cancelled(api: BotApi, app: App) -> None:
    (doc,) = await engine_of(app).documents()
    api.text(ADMIN, f"/remove {doc.id}", language_code="de")
    (confirm,) = await api.next_calls("sendMessage", ADMIN)
    await callback_answer(api, press(api, ADMIN, buttons(confirm)["Abbrechen"], confirm.result, lang="de"))
    (edited,) = await api.next_calls("editMessageText")
    assert edited.plain == "Abgebrochen; nichts wurde entfernt."
    assert len(await engine_of(app).documents()) == 1

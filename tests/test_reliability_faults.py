"""Faults: a Bot API server that rate-limits, fails, times out or refuses connections; the bot
killed with SIGKILL in the middle of a rebuild; index files or databases corrupt or missing at
start; a full disk or a read-only data folder during a rebuild.

The bot keeps answering through all of it, and never serves a passage whose text differs from
the one its id names.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest
from support.botapi import BotApi, Call, settled
from support.botrun import (
    HOLD_POINTS,
    BotProcess,
    first_block,
    logged_questions,
    passage_texts,
    process_env,
    query_id,
    serve,
    settings_for,
    watching,
    write_config,
)
from support.fakes import FakeEmbedder
from telegram.request import HTTPXRequest

from bot import i18n
from bot.delivery import SEND_ATTEMPTS
from index import Engine, IndexConfig
from index import build as index_build
from index.chunking import paragraph_spans
from index.embedding_cache import EmbeddingCache

ADMIN, ALICE = 1001, 2002
STORY = "durov-telegram.de.txt"
QUESTION = "Durov veröffentlichte am Donnerstag eine lange Erklärung auf seinem Telegram-Kanal"
ZOO = "Der Zoo von Paris bekam im Sommer zwei junge Pandabären.\n\nDie Pfleger füttern sie mit Bambus."
ZOO_QUESTION = "Der Zoo von Paris bekam im Sommer zwei junge Pandabären."
CHANGE = "Das sagte er am Freitag noch einmal."


async def ask(api: BotApi, text: str = QUESTION, user: int = ALICE, lang: str = "de") -> Call:
    api.text(user, text, language_code=lang)
    [call] = await api.next_calls("sendMessage", user)
    return call


def assert_consistent(call: Call, data: Path, question: str = QUESTION) -> str:
    """The reply shows the passage its logged id names in the serving index, and it answers."""
    qid = query_id(call)
    assert qid is not None, call.plain
    _, passage_ids = logged_questions(data)[qid]
    shown = first_block(call)
    assert shown == passage_texts(data)[passage_ids[0]].strip()
    assert question in shown
    return shown


def change_story(corpus: Path) -> None:
    """Append a sentence to the paragraph of ``QUESTION`` and add a second document."""
    path = corpus / STORY
    text = path.read_text(encoding="utf-8")
    end = next(e for s, e in paragraph_spans(text) if QUESTION in text[s:e])
    path.write_text(text[:end] + " " + CHANGE + text[end:], encoding="utf-8")
    (corpus / "zoo.txt").write_text(ZOO, encoding="utf-8")


async def build_index(corpus: Path, data: Path) -> None:
    engine = await Engine.open(IndexConfig(corpus_dir=corpus, data_dir=data), FakeEmbedder())
    await engine.close()


def generations(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "generations").iterdir())


# --- the Bot API server misbehaves ----------------------------------------------------------------


async def test_429_on_send_waits_retry_after_and_the_answer_arrives(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)):
        bot_api.fail("sendMessage", status=429, retry_after=1, times=2)
        call = await ask(bot_api)
    assert_consistent(call, data)
    statuses = [c.status for c in bot_api.calls if c.method == "sendMessage"]
    assert statuses == [429, 429, 200]  # retried after each retry_after, delivered once


@pytest.mark.parametrize(
    ("status", "retry_after"), [(429, 1), (500, None), (502, None)], ids=["429", "500", "502"]
)
async def test_get_updates_failing_for_a_while_then_answers(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, status: int, retry_after: int | None
) -> None:
    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)):
        bot_api.fail("getUpdates", status=status, retry_after=retry_after, times=2)
        call = await ask(bot_api)
    assert_consistent(call, data)
    assert len(bot_api.calls_of("getUpdates", failed=True)) - len(bot_api.calls_of("getUpdates")) == 2
    assert len(bot_api.calls_of("sendMessage", ALICE)) == 1


async def test_get_updates_timing_out_is_retried_and_answers(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    short = HTTPXRequest(read_timeout=0.5)  # getUpdates waits poll timeout (1 s) + 0.5 s
    settings = settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)
    async with serve(settings, get_updates_request=short):
        with watching("telegram.ext", "Timed out") as timeouts:
            bot_api.fail("getUpdates", status=504, description="Gateway Timeout", delay=2.5, times=2)
            bot_api.text(ALICE, QUESTION, language_code="de")
            await timeouts.reached(1)
            [call] = await bot_api.next_calls("sendMessage", ALICE)
    assert_consistent(call, data)
    assert len(bot_api.calls_of("sendMessage", ALICE)) == 1


async def test_refused_connections_for_a_while_then_answers(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)):
        port = bot_api.port
        with watching("telegram.ext.Updater", "Exception happened while polling") as errors:
            await bot_api.stop()
            bot_api.text(ALICE, QUESTION, language_code="de")  # waits on the server for the bot
            await errors.reached(2)  # two refused polls, each logged, the bot still running
            await bot_api.start(port)
            [call] = await bot_api.next_calls("sendMessage", ALICE)
    assert_consistent(call, data)


def _delivered(data: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(data / "usage.db")) as db:
        return [row[0] for row in db.execute("SELECT delivered FROM questions ORDER BY id")]


@pytest.mark.parametrize("status", [500, 502])
async def test_an_answer_failing_twice_is_sent_again_and_delivered_once(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, status: int
) -> None:
    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)):
        bot_api.fail("sendMessage", status=status, times=2)
        call = await ask(bot_api)
    assert_consistent(call, data)
    sends = [c.status for c in bot_api.calls if c.method == "sendMessage" and c.chat_id == ALICE]
    assert sends == [status, status, 200]  # two failures, then the one answer
    assert _delivered(data) == ["yes"]


async def test_a_timeout_after_telegram_accepted_the_answer_sends_no_second_copy(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    short = HTTPXRequest(read_timeout=0.5)
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0), request=short) as app:
        bot_api.fail("sendMessage", delay=1.5, accepted=True)
        with watching("bot.handlers", "delivered: unknown") as recorded:
            call = await ask(bot_api)  # Telegram has it; the bot never heard back
            await recorded.reached(1)
        assert_consistent(call, data)
        assert await app.bot_data.querylog.question_count() == 1
    answers = [c for c in bot_api.calls_of("sendMessage", ALICE) if c.text == call.text]
    assert len(answers) == 1 and _delivered(data)[0] == "unknown"


@pytest.mark.parametrize("status", [500, 502])
async def test_an_answer_failing_every_time_gets_an_apology_and_is_logged_undelivered(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)) as app:
        bot_api.fail("sendMessage", status=status, times=SEND_ATTEMPTS)
        apology = await ask(bot_api)
        assert apology.plain == i18n.text("de", "error")
        assert await app.bot_data.querylog.question_count() == 1  # the question was kept
        call = await ask(bot_api)
    assert_consistent(call, data)
    assert any(r.name == "bot.handlers" and r.levelno == logging.ERROR for r in caplog.records)
    assert _delivered(data) == ["no", "yes"]


# --- SIGKILL during a rebuild ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("point", HOLD_POINTS)
async def test_killed_during_a_rebuild_restarts_on_a_consistent_index_and_reloads(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, point: str
) -> None:
    data = tmp_path / "data"
    await build_index(corpus_dir, data)
    old = passage_texts(data)
    env = process_env(bot_api, corpus_dir, data, ADMIN)
    config = str(write_config(tmp_path))
    bot = await BotProcess.start({**env, "BOT_TEST_HOLD": point}, "--config", config, "run")
    assert_consistent(await ask(bot_api), data)
    change_story(corpus_dir)
    bot_api.text(ADMIN, "/reload", language_code="en")
    [started] = await bot_api.next_calls("sendMessage", ADMIN)
    assert started.plain == i18n.text("en", "reload_started")
    await bot.wait_for(f"HOLDING {point}")
    assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
    on_disk = generations(data)
    assert (data / "CURRENT").read_text(encoding="utf-8").strip() == on_disk[0]
    if point != "encode":  # the new generation was left behind half-written or unpublished
        assert len(on_disk) == 2
        assert (data / "generations" / on_disk[1] / "manifest.json").exists() == (point == "publish")

    restarted = await BotProcess.start(env, "--config", config, "run")
    try:
        shown = assert_consistent(await ask(bot_api), data)
        assert shown in old.values() and CHANGE not in shown  # the old index, whole
        bot_api.text(ADMIN, "/reload", language_code="en")
        await bot_api.next_calls("sendMessage", ADMIN)
        summary = await bot_api.next_matching("editMessageText", ADMIN, settled)
        assert "1 added, 1 changed, 0 removed" in summary.plain
        assert CHANGE in assert_consistent(await ask(bot_api), data)  # the new index, whole
        assert_consistent(await ask(bot_api, ZOO_QUESTION), data, ZOO_QUESTION)
    finally:
        assert await restarted.stop() == 0, restarted.log
    assert all((data / "generations" / name / "manifest.json").exists() for name in generations(data))
    assert "Traceback" not in restarted.log, restarted.log


# --- corrupt or missing files at start ------------------------------------------------------------


def _current(data: Path) -> Path:
    return data / "generations" / (data / "CURRENT").read_text(encoding="utf-8").strip()


def _swap_two_passage_texts(data: Path) -> None:
    with sqlite3.connect(_current(data) / "index.sqlite") as db:
        (a, ta), (b, tb) = db.execute("SELECT id, text FROM passages ORDER BY id LIMIT 2").fetchall()
        db.execute("UPDATE passages SET text = ? WHERE id = ?", (tb, a))
        db.execute("UPDATE passages SET text = ? WHERE id = ?", (ta, b))
    db.close()


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _damage_query_log(path: Path, damage: str) -> None:
    if damage == "garbage":
        path.write_bytes(os.urandom(16384))
    else:  # cut in half and its header overwritten
        _truncate(path)
        with open(path, "r+b") as fh:
            fh.write(b"not a database header at all")


def listing(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


CORRUPTIONS: dict[str, Callable[[Path], Any]] = {
    "CURRENT missing": lambda d: (d / "CURRENT").unlink(),
    "CURRENT garbage": lambda d: (d / "CURRENT").write_bytes(b"\x00\xffg999999\n"),
    "generation folder missing": lambda d: shutil.rmtree(_current(d)),
    "manifest missing": lambda d: (_current(d) / "manifest.json").unlink(),
    "manifest garbage": lambda d: (_current(d) / "manifest.json").write_text("{not json"),
    "vectors missing": lambda d: (_current(d) / "vectors.faiss").unlink(),
    "vectors truncated": lambda d: _truncate(_current(d) / "vectors.faiss"),
    "passage texts swapped": _swap_two_passage_texts,
    "index database garbage": lambda d: (_current(d) / "index.sqlite").write_bytes(os.urandom(8192)),
    "sentence vectors truncated": lambda d: _truncate(_current(d) / "sentences.npy"),
    "data folder missing": shutil.rmtree,
}


@pytest.mark.parametrize("damage", list(CORRUPTIONS))
async def test_a_damaged_index_at_start_is_logged_rebuilt_and_served_consistently(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    data = tmp_path / "data"
    await build_index(corpus_dir, data)
    CORRUPTIONS[damage](data)
    caplog.set_level(logging.WARNING, logger="index")
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)):
        call = await ask(bot_api)
    assert_consistent(call, data)
    assert any(r.name == "index.engine" and "index not usable" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
async def test_a_damaged_query_log_at_start_is_set_aside_and_a_new_one_kept(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    data = tmp_path / "data"
    settings = settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)
    async with serve(settings):
        await ask(bot_api)
    _damage_query_log(data / "usage.db", damage)
    caplog.set_level(logging.WARNING)
    async with serve(settings):
        call = await ask(bot_api)
    assert_consistent(call, data)
    assert len(logged_questions(data)) == 1
    aside = [p for p in data.iterdir() if p.name.startswith("usage.db.corrupt")]
    assert len(aside) == 1  # kept for inspection, not deleted
    assert any("usage.db" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


async def test_a_damaged_embedding_cache_is_rebuilt_with_the_index(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    await build_index(corpus_dir, data)
    (data / "cache.sqlite").write_bytes(os.urandom(8192))
    (data / "CURRENT").unlink()
    caplog.set_level(logging.WARNING, logger="index")
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)):
        call = await ask(bot_api)
    assert_consistent(call, data)
    assert any("cache.sqlite" in r.getMessage() for r in caplog.records)


# --- a full disk or a read-only data folder during a rebuild ---------------------------------------


def _fail_with(code: int) -> Callable[..., Any]:
    def fail(*args: object, **kwargs: object) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


def _sqlite_full(*args: object, **kwargs: object) -> Any:
    raise sqlite3.OperationalError("database or disk is full")


async def _sqlite_full_async(*args: object, **kwargs: object) -> Any:
    raise sqlite3.OperationalError("database or disk is full")


def _read_only_mkdir(monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
    mkdir = Path.mkdir

    def refuse(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.is_relative_to(data / "generations"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)


def _read_only_current(monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
    replace = os.replace

    def refuse(src: Any, dst: Any) -> None:
        if Path(dst).name == "CURRENT":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse)


DISK_FAULTS: dict[str, tuple[Callable[[pytest.MonkeyPatch, Path], None], str]] = {
    "vectors: disk full": (
        lambda m, d: m.setattr(faiss, "write_index", _fail_with(errno.ENOSPC)), os.strerror(errno.ENOSPC)),
    "sentence vectors: disk full": (
        lambda m, d: m.setattr(np, "save", _fail_with(errno.ENOSPC)), os.strerror(errno.ENOSPC)),
    "index database: disk full": (
        lambda m, d: m.setattr(index_build, "write_store", _sqlite_full), "database or disk is full"),
    "embedding cache: disk full": (
        lambda m, d: m.setattr(EmbeddingCache, "put_many", _sqlite_full_async), "database or disk is full"),
    "generations folder read-only": (_read_only_mkdir, os.strerror(errno.EROFS)),
    "CURRENT read-only": (_read_only_current, os.strerror(errno.EROFS)),
}


@pytest.mark.parametrize("fault", list(DISK_FAULTS))
async def test_disk_full_or_read_only_during_reload_keeps_the_old_index_and_tells_the_admin(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)) as app:
        engine: Engine = app.bot_data.engine
        version, before = engine.version, generations(data)
        change_story(corpus_dir)
        install, reason = DISK_FAULTS[fault]
        install(monkeypatch, data)
        bot_api.text(ADMIN, "/reload", language_code="en")
        [started] = await bot_api.next_calls("sendMessage", ADMIN)
        failed = await bot_api.next_matching("editMessageText", ADMIN, settled)
        assert started.plain == i18n.text("en", "reload_started")
        assert failed.plain.startswith("Reload failed; the previous index keeps serving. Reason: ")
        assert reason in failed.plain
        assert engine.version == version and generations(data) == before  # nothing half-written left
        assert CHANGE not in assert_consistent(await ask(bot_api), data)
        monkeypatch.undo()
        bot_api.text(ADMIN, "/reload", language_code="en")
        await bot_api.next_calls("sendMessage", ADMIN)
        done = await bot_api.next_matching("editMessageText", ADMIN, settled)
        assert "1 added, 1 changed, 0 removed" in done.plain
        assert CHANGE in assert_consistent(await ask(bot_api), data)


async def test_an_upload_on_a_full_disk_is_rejected_with_the_reason_and_nothing_is_kept(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import documents

    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0)) as app:
        before = listing(corpus_dir)
        monkeypatch.setattr(documents, "_write_atomic", _fail_with(errno.ENOSPC))
        data_bytes = ZOO.encode()
        file_id = bot_api.add_file(data_bytes, "zoo.txt")
        document = {"file_id": file_id, "file_unique_id": file_id, "file_name": "zoo.txt",
                    "file_size": len(data_bytes)}
        bot_api.message(ADMIN, language_code="en", document=document)
        reply = await bot_api.next_matching("editMessageText", ADMIN, settled)
        assert reply.plain.startswith("I could not add zoo.txt: ")
        assert os.strerror(errno.ENOSPC) in reply.plain
        assert listing(corpus_dir) == before
        assert len(await app.bot_data.engine.documents()) == 1

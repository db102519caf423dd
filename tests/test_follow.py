"""Replicas on one data folder: a running engine (and bot) switches to the index generation another
process published, and never to a half-written one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from support.botapi import BotApi
from support.botrun import watching
from support.fakes import FakeEmbedder
from telegram.ext import Application

from index import Engine, IndexConfig

ZOO = "Im Berliner Zoo kamen im Frühling drei Pinguinküken zur Welt."
ALICE = 2002


async def test_a_replica_follows_the_index_another_one_published(engine_config: IndexConfig) -> None:
    builder = await Engine.open(engine_config, FakeEmbedder())
    replica = await Engine.open(engine_config, FakeEmbedder())
    try:
        old = replica.version
        assert not await replica.follow()  # nothing new yet
        document, _ = await builder.add_document("zoo.txt", ZOO.encode())
        assert replica.version == old
        assert await replica.follow()
        assert replica.version == builder.version != old
        assert (await replica.ask(ZOO)).hits[0].doc_id == document.id
    finally:
        await builder.close()
        await replica.close()


async def test_a_half_written_generation_is_never_followed(engine_config: IndexConfig) -> None:
    replica = await Engine.open(engine_config, FakeEmbedder())
    try:
        old = replica.version
        half = engine_config.data_dir / "generations" / "g999999"
        half.mkdir()  # a builder killed while writing: no manifest, CURRENT untouched
        (half / "index.sqlite").write_bytes(b"partial")
        assert not await replica.follow() and replica.version == old
        (engine_config.data_dir / "CURRENT").write_text("g999999\n", encoding="utf-8")  # even if named
        assert not await replica.follow() and replica.version == old
        assert (await replica.ask("Wer hat Durov festgenommen?")).hits
    finally:
        await replica.close()


async def test_a_running_bot_answers_from_what_another_process_added(
    start_bot: Callable[..., Awaitable[Application]], bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    with watching("index.engine", "published by another process") as followed:
        app = await start_bot(follow_seconds=0.05, threshold=0.0)
        serving = app.bot_data.engine
        assert serving is not None
        other = await Engine.open(serving.config, FakeEmbedder())  # e.g. `python -m index build`
        try:
            await other.add_document("zoo.txt", ZOO.encode())
        finally:
            await other.close()
        await followed.reached(1)
    bot_api.text(ALICE, ZOO)
    [reply] = await bot_api.next_calls("sendMessage", ALICE)
    assert ZOO in reply.plain

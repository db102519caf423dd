"""Two bot processes on one data folder, each with a Bot API stand-in of its own: a document
uploaded through one is answered by the other once it follows the published index, and a
builder killed mid-build leaves the other replica serving the old index, whole."""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support import botrun
from support.botapi import BotApi, settled
from support.fakes import FakeEmbedder

from index import Engine, IndexConfig

ADMIN, ALICE = 1001, 2002
ZOO = "Im Berliner Zoo kamen im Frühling drei Pinguinküken zur Welt; der Zoo feierte sie mit einem Fest."
FOLLOW_SECONDS = 0.5


@pytest.fixture
async def stand_ins() -> AsyncIterator[tuple[BotApi, BotApi]]:
    apis = (BotApi("123456:replica-a_0123456789abcdef"), BotApi("123456:replica-b_0123456789abcdef"))
    for api in apis:
        await api.start()
    yield apis
    for api in apis:
        await api.stop()


def config_file(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(f"[index]\nthreshold = 0.0\nfollow_seconds = {FOLLOW_SECONDS}\n\n"
                    "[bot]\nquestions_per_minute = 10000\nprogress_seconds = 0\n", encoding="utf-8")
    return path


async def ask(api: BotApi, text: str) -> str:
    api.text(ALICE, text, language_code="de")
    [reply] = await api.next_calls("sendMessage", ALICE)
    return reply.plain


async def test_an_upload_through_one_replica_is_answered_by_the_other(
    stand_ins: tuple[BotApi, BotApi], corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    await (await Engine.open(IndexConfig(corpus_dir=corpus_dir, data_dir=data), FakeEmbedder())).close()
    config = str(config_file(tmp_path))
    first, second = stand_ins
    replicas = [await botrun.BotProcess.start(botrun.process_env(api, corpus_dir, data, ADMIN), "--config",
                                              config, "run") for api in stand_ins]
    try:
        assert ZOO not in await ask(second, ZOO)  # the other replica, before: no zoo in the story
        file_id = first.add_file(ZOO.encode(), "zoo.bin")
        first.message(ADMIN, document={"file_id": file_id, "file_unique_id": file_id, "file_name": "zoo.txt",
                                       "file_size": len(ZOO.encode())})
        summary = await first.next_matching("editMessageText", ADMIN, settled)
        published = time.monotonic()
        assert "zoo" in summary.plain.lower(), summary.plain
        await replicas[1].wait_for("published by another process")
        delay = time.monotonic() - published
        assert ZOO[:40] in await ask(second, ZOO)
    finally:
        codes = [await replica.stop() for replica in replicas]
    assert codes == [0, 0], "\n".join(r.log for r in replicas)
    assert delay < 10 * FOLLOW_SECONDS + 5, delay  # generous: the check runs every FOLLOW_SECONDS


async def test_a_builder_killed_mid_build_leaves_the_other_replica_on_the_old_index(
    stand_ins: tuple[BotApi, BotApi], corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    await (await Engine.open(IndexConfig(corpus_dir=corpus_dir, data_dir=data), FakeEmbedder())).close()
    served = (data / "CURRENT").read_text(encoding="utf-8").strip()
    config = str(config_file(tmp_path))
    first, second = stand_ins
    builder = await botrun.BotProcess.start({**botrun.process_env(first, corpus_dir, data, ADMIN),
                                             "BOT_TEST_HOLD": "write"}, "--config", config, "run")
    replica = await botrun.BotProcess.start(botrun.process_env(second, corpus_dir, data, ADMIN), "--config",
                                            config, "run")
    try:
        before = await ask(second, "Wo wurde Durov festgenommen?")
        (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
        first.text(ADMIN, "/reload", language_code="en")
        await builder.wait_for("HOLDING write")  # the new generation's files half written
        assert await builder.stop(signal.SIGKILL) == -signal.SIGKILL
        assert (data / "CURRENT").read_text(encoding="utf-8").strip() == served
        assert await ask(second, "Wo wurde Durov festgenommen?") == before  # the old index, whole
        assert ZOO[:40] not in await ask(second, ZOO)
        assert "published by another process" not in replica.log
    finally:
        await builder.stop(signal.SIGKILL)
        code = await replica.stop()
    assert code == 0, replica.log

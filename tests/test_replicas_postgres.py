"""Two bot processes sharing one PostgreSQL database (``[store] url``): each reaches Telegram
through a Bot API stand-in of its own, so the test decides which replica gets which update. The
fair-use limit and a pending removal hold across them, and both log into one query log."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support import botrun
from support.botapi import BotApi
from support.fakes import FakeEmbedder
from support.postgres import Server, fresh_database

from bot.limits import SharedRateLimiter
from bot.querylog import QueryLog
from bot.removals import SharedRemovalTokens
from index import Engine, IndexConfig

ADMIN, ALICE = 1001, 2002
QUESTION = "Wo wurde Durov festgenommen?"


@pytest.fixture
async def shared_url(postgres_server: Server, request: pytest.FixtureRequest) -> str:
    return await fresh_database(postgres_server, f"r_{abs(hash(request.node.nodeid)) % 10**12}")


@pytest.fixture
async def shared_log(tmp_path: Path, shared_url: str) -> AsyncIterator[QueryLog]:
    log = await QueryLog.open(tmp_path, shared_url)
    yield log
    await log.close()


async def stand_in() -> BotApi:
    api = BotApi("123456:replica-stand-in_0123456789abcdef")
    await api.start()
    return api


async def test_two_bot_processes_share_the_limit_the_removals_and_the_log(
    corpus_dir: Path, tmp_path: Path, shared_url: str
) -> None:
    data = tmp_path / "data"
    await (await Engine.open(IndexConfig(corpus_dir=corpus_dir, data_dir=data), FakeEmbedder())).close()
    config = tmp_path / "config.toml"  # two questions a minute, every story question answered
    config.write_text("[index]\nthreshold = 0.0\n\n[bot]\nquestions_per_minute = 2\n", encoding="utf-8")
    first_api, second_api = await stand_in(), await stand_in()
    replicas = []
    try:
        for api in (first_api, second_api):
            env = botrun.process_env(api, corpus_dir, data, ADMIN, DATABASE_URL=shared_url)
            replicas.append(await botrun.BotProcess.start(env, "--config", str(config), "run"))
        for _ in range(2):  # two questions through the first replica: both answered
            first_api.text(ALICE, QUESTION)
            [answer] = await first_api.next_calls("sendMessage", ALICE)
            assert "Source:" in answer.plain, answer.plain  # an answer with its source
        second_api.text(ALICE, QUESTION)  # the third, through the other replica: over the limit
        [refused] = await second_api.next_calls("sendMessage", ALICE)
        assert "wait" in refused.plain.lower(), refused.plain

        second_api.text(ADMIN, "/remove durov-telegram.de")  # asked on one replica ...
        [confirm] = await second_api.next_calls("sendMessage", ADMIN)
        token_data = confirm.buttons
        assert token_data, confirm.plain
        cancel = next(data for label, data in token_data.items() if "ancel" in label or "bbrechen" in label)
        first_api.press(ADMIN, cancel, confirm.message)  # ... cancelled through the other
        [answered] = await first_api.next_calls("answerCallbackQuery")
        assert not answered.params.get("text")  # not "expired": the token is known to this replica too
        [cancelled] = await first_api.next_calls("editMessageText", ADMIN)
        assert cancelled.plain.startswith("Cancelled"), cancelled.plain
    finally:
        codes = [await replica.stop() for replica in replicas]
        await first_api.stop()
        await second_api.stop()
    assert codes == [0, 0], "\n".join(r.log for r in replicas)
    log = await QueryLog.open(tmp_path, shared_url)
    try:
        assert await log.question_count() == 2  # the refused question is not logged
    finally:
        await log.close()


async def test_the_shared_limit_counts_on_the_clock_all_replicas_share(shared_log: QueryLog) -> None:
    pool = shared_log.db.pool  # type: ignore[attr-defined]
    now = [1000.0]
    one, other = (SharedRateLimiter(pool, 2, clock=lambda: now[0]) for _ in range(2))
    assert [await one.wait(7), await other.wait(7)] == [0, 0]
    now[0] += 10
    assert await one.wait(7) == 50 and await other.wait(8) == 0  # another user is not limited
    now[0] += 50
    assert await other.wait(7) == 0  # the first question left the window
    assert await SharedRateLimiter(pool, 0).wait(7) == 0  # 0: no limit


async def test_a_shared_removal_token_works_once_for_its_admin_within_its_time(shared_log: QueryLog) -> None:
    pool = shared_log.db.pool  # type: ignore[attr-defined]
    now = [time.time()]
    issuer, other = (SharedRemovalTokens(pool, ttl=60, clock=lambda: now[0]) for _ in range(2))
    token = await issuer.issue(ADMIN, "zoo")
    assert (await other.peek(token)).doc_id == "zoo"  # type: ignore[union-attr]
    assert await other.take(token, ALICE) is None  # not the admin who asked
    assert await other.take(token, ADMIN) == "zoo"
    assert await issuer.take(token, ADMIN) is None  # once
    late = await issuer.issue(ADMIN, "zoo")
    now[0] += 61
    assert await other.peek(late) is None and await other.take(late, ADMIN) is None

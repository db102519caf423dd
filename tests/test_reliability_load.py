"""Load: many users asking over HTTP through the Bot API stand-in while an admin reloads, and a
SIGTERM in the middle of such a load (the bot as its own process, ``python -m bot run``'s main).

Every question gets exactly one reply, each reply is the passage its logged passage id names in the
old or the new index, and every question answered before a shutdown is in the query log after it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
from pathlib import Path

import pytest
from support import botrun
from support.botapi import BotApi, Call, settled
from support.fakes import FakeEmbedder, GatedEmbedder

from bot import i18n
from index import Engine, IndexConfig
from index.chunking import paragraph_spans, split_sentences

ADMIN = 1001
USERS = 50
QUESTIONS_EACH = 20
STORY = "durov-telegram.de.txt"
ZOO = "Der Zoo von Paris bekam im Sommer zwei junge Pandabären.\n\nDie Pfleger füttern sie mit Bambus."


def story_questions(corpus: Path) -> list[str]:
    """The first sentence of each story paragraph that has at least six words."""
    text = (corpus / STORY).read_text(encoding="utf-8")
    out = []
    for start, end in paragraph_spans(text):
        paragraph = text[start:end]
        first = paragraph[slice(*split_sentences(paragraph, "de")[0])]
        if len(first.split()) >= 6 and "\xa0" not in first:
            out.append(first)
    return out


def change_paragraph(corpus: Path, sentence: str, addition: str) -> None:
    """Append ``addition`` to the paragraph that holds ``sentence``."""
    path = corpus / STORY
    text = path.read_text(encoding="utf-8")
    for start, end in paragraph_spans(text):
        if sentence in text[start:end]:
            path.write_text(text[:end] + " " + addition + text[end:], encoding="utf-8")
            return
    raise AssertionError(f"no paragraph holds {sentence!r}")


class Counter:
    """Replies received so far; ``await reached(n)`` waits until there are ``n``."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Condition()

    async def add(self) -> None:
        async with self._changed:
            self.count += 1
            self._changed.notify_all()

    async def reached(self, n: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.count >= n), 120)


async def reload_while_asked(api: BotApi, engine: Engine, embedder: GatedEmbedder, counter: Counter,
                             replies_during: int) -> Call:
    """An admin's /reload held mid-rebuild until ``replies_during`` more questions were answered."""
    embedder.arm()
    api.text(ADMIN, "/reload")
    [started] = await api.next_calls("sendMessage", ADMIN)
    assert started.plain == i18n.text("en", "reload_started")
    assert await asyncio.to_thread(embedder.entered.wait, 60)
    await counter.reached(counter.count + replies_during)
    assert engine.rebuilding  # those questions were answered while the index was being rebuilt
    embedder.hold_documents = False
    embedder.release.set()
    return await api.next_matching("editMessageText", ADMIN, settled)


@pytest.mark.slow
async def test_fifty_users_asking_during_two_reloads_each_get_one_correct_reply(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    data = tmp_path / "data"
    questions = story_questions(corpus_dir)
    embedder = GatedEmbedder()
    settings = botrun.settings_for(bot_api, corpus_dir, data, ADMIN, threshold=0.0,
                                   questions_per_minute=10_000)
    async with botrun.serve(settings, embedder) as app:
        engine: Engine = app.bot_data.engine
        texts = botrun.passage_texts(data)
        for question in questions:  # the precondition of "a correct answer": each finds its paragraph
            assert question in (await engine.ask(question)).hits[0].text
        counter = Counter()
        asked: dict[int, list[str]] = {}

        async def user(user_id: int) -> None:
            asked[user_id] = []
            for j in range(QUESTIONS_EACH):
                question = questions[(user_id + j) % len(questions)]
                asked[user_id].append(question)
                bot_api.text(user_id, question, language_code="de")
                await bot_api.next_calls("sendMessage", user_id, seconds=120)
                await counter.add()

        async def admin() -> list[Call]:
            await counter.reached(150)
            change_paragraph(corpus_dir, questions[2], "Das sagte er am Freitag noch einmal.")
            (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
            first = await reload_while_asked(bot_api, engine, embedder, counter, 100)
            texts.update(botrun.passage_texts(data))
            await counter.reached(600)
            change_paragraph(corpus_dir, questions[4], "Das betonte er später erneut.")
            (corpus_dir / "zoo.txt").unlink()
            second = await reload_while_asked(bot_api, engine, embedder, counter, 100)
            texts.update(botrun.passage_texts(data))
            return [first, second]

        reloads = asyncio.create_task(admin())
        await asyncio.gather(*(user(2000 + i) for i in range(USERS)))
        summaries = await reloads
        usage_count = await app.bot_data.querylog.question_count()

    assert "1 added, 1 changed, 0 removed" in summaries[0].plain
    assert "0 added, 1 changed, 1 removed" in summaries[1].plain
    logged = botrun.logged_questions(data)
    assert usage_count == len(logged) == USERS * QUESTIONS_EACH
    old_or_new: dict[str, set[str]] = {q: set() for q in questions}  # passage texts that answered it
    for user_id, their_questions in asked.items():
        replies = bot_api.calls_of("sendMessage", user_id)
        assert len(replies) == QUESTIONS_EACH  # exactly one reply per question
        for question, reply in zip(their_questions, replies, strict=True):
            qid = botrun.query_id(reply)
            assert qid is not None, reply.plain  # an answer with its buttons, not an error
            logged_question, passage_ids = logged[qid]
            assert logged_question == question
            shown = botrun.first_block(reply)
            assert shown == texts[passage_ids[0]].strip()  # the id's text in the index it came from
            assert question in shown
            old_or_new[question].add(shown)
    assert len(old_or_new[questions[2]]) == 2 and len(old_or_new[questions[4]]) == 2  # both indexes served
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# --- SIGTERM ---------------------------------------------------------------------------------------------


async def build_index(corpus: Path, data: Path) -> None:
    engine = await Engine.open(IndexConfig(corpus_dir=corpus, data_dir=data), FakeEmbedder())
    await engine.close()


@pytest.mark.slow
async def test_sigterm_during_load_shuts_down_cleanly_and_keeps_every_answered_question(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    await build_index(corpus_dir, data)
    questions = story_questions(corpus_dir)
    env = botrun.process_env(bot_api, corpus_dir, data, ADMIN)
    config = str(botrun.write_config(tmp_path))
    bot = await botrun.BotProcess.start(env, "--config", config, "run")
    stopped = asyncio.Event()
    numbers = itertools.count(1)
    answered: dict[int, str] = {}  # query id -> question
    pushed: list[str] = []

    async def user(user_id: int) -> None:
        while not stopped.is_set():
            question = f"{questions[user_id % len(questions)]} ({next(numbers)})"
            bot_api.text(user_id, question, language_code="de")
            pushed.append(question)
            reply = asyncio.ensure_future(bot_api.next_calls("sendMessage", user_id, seconds=60))
            halt = asyncio.ensure_future(stopped.wait())
            await asyncio.wait({reply, halt}, return_when=asyncio.FIRST_COMPLETED)
            halt.cancel()
            if not reply.done():
                reply.cancel()
                return
            [call] = reply.result()
            qid = botrun.query_id(call)
            assert qid is not None, call.plain
            answered[qid] = question

    async def terminate() -> int:
        while len(answered) < 60:
            await bot_api.next_calls("sendMessage", seconds=60)
        code = await bot.stop(signal.SIGTERM)
        stopped.set()
        return code

    code, *_ = await asyncio.gather(terminate(), *(user(5000 + i) for i in range(10)))
    assert code == 0, bot.log
    assert "Traceback" not in bot.log and " ERROR " not in bot.log, bot.log
    before = dict(answered)
    assert len(before) >= 60
    restarted = await botrun.BotProcess.start(env, "--config", config, "run")
    bot_api.text(6000, questions[0], language_code="de")
    [after] = await bot_api.next_calls("sendMessage", 6000, seconds=60)
    assert questions[0] in botrun.first_block(after)
    assert await restarted.stop(signal.SIGTERM) == 0, restarted.log
    logged = botrun.logged_questions(data)
    missing = {qid: q for qid, q in before.items() if logged.get(qid, ("",))[0] != q}
    assert missing == {}
    # the questions still waiting at the SIGTERM were answered by the restarted bot, each once
    assert sorted(q for q, _ in logged.values() if q != questions[0]) == sorted(pushed)
    assert bot_api.token not in bot.log + restarted.log
    print(f"SIGTERM load: {len(pushed)} questions asked, {len(before)} answered before SIGTERM, "
          f"{len(logged)} in the query log after the restart")

"""Running the bot for the reliability tests: in this process (``serve``) or as its own process
(``BotProcess``: ``python -m bot run``'s ``main`` with the fake embedder), both against the Bot API
stand-in, plus readers of what the bot stored (passage texts of a generation, the query log).

Run as a script this file is the bot process itself; ``BOT_TEST_HOLD=encode|write|publish`` makes
the first rebuild after start-up print ``HOLDING <point>`` and stop there for good (until killed).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
from support.fakes import FakeEmbedder  # noqa: E402

from index import Engine, IndexConfig  # noqa: E402

TIMEOUT = 30.0
HOLD_POINTS = ("encode", "write", "publish")


# --- in this process ---------------------------------------------------------------------------------


def settings_for(api: Any, corpus: Path, data: Path, admin: int, **changes: Any) -> Any:
    """Bot settings over ``corpus``/``data`` pointed at the stand-in; ``changes`` go to the index
    settings (``threshold`` ...) or the bot settings (``questions_per_minute`` ...)."""
    from bot.settings import BotSettings

    index_fields = {f.name for f in dataclasses.fields(IndexConfig)}
    index = IndexConfig(corpus_dir=corpus, data_dir=data,
                        **{k: v for k, v in changes.items() if k in index_fields})
    bot = {k: v for k, v in changes.items() if k not in index_fields}
    return BotSettings(index=index, token=api.token, api_base_url=api.base_url,
                       admin_ids=frozenset({admin}), **bot)


@contextlib.asynccontextmanager
async def serve(settings: Any, embedder: Any = None, *, request: Any = None,
                get_updates_request: Any = None) -> AsyncIterator[Any]:
    """The real Application long-polling the stand-in, shut down cleanly on exit."""
    from bot.app import build_application, running

    async def open_engine(config: IndexConfig) -> Engine:
        return await Engine.open(config, embedder or FakeEmbedder())

    application = build_application(settings, engine_factory=open_engine, request=request,
                                    get_updates_request=get_updates_request)
    async with running(application, poll_timeout=1.0) as app:
        yield app


class LogWatch(logging.Handler):
    """Counts log records whose message contains ``text``; ``await reached(n)`` waits for ``n``."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text, self.count = text, 0
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.count += 1
            self._changed.set()
            self._changed = asyncio.Event()

    async def reached(self, n: int, seconds: float = TIMEOUT) -> None:
        async def until() -> None:
            while self.count < n:
                await self._changed.wait()

        await asyncio.wait_for(until(), seconds)


@contextlib.contextmanager
def watching(logger: str, text: str) -> Iterator[LogWatch]:
    """A ``LogWatch`` attached to ``logger`` (at DEBUG level) for the block's duration."""
    watch, log = LogWatch(text), logging.getLogger(logger)
    level = log.level
    log.addHandler(watch)
    log.setLevel(logging.DEBUG)
    try:
        yield watch
    finally:
        log.removeHandler(watch)
        log.setLevel(level)


def passage_texts(data_dir: Path) -> dict[int, str]:
    """Passage id -> text in the generation CURRENT names."""
    version = (data_dir / "CURRENT").read_text(encoding="utf-8").strip()
    with contextlib.closing(sqlite3.connect(data_dir / "generations" / version / "index.sqlite")) as db:
        return dict(db.execute("SELECT id, text FROM passages"))


def logged_questions(data_dir: Path) -> dict[int, tuple[str, list[int]]]:
    """Query id -> (question, passage ids) from the query log."""
    with contextlib.closing(sqlite3.connect(data_dir / "usage.db")) as db:
        rows = db.execute("SELECT id, question, passage_ids FROM questions").fetchall()
    return {qid: (question, json.loads(ids)) for qid, question, ids in rows}


def query_id(call: Any) -> int | None:
    """The query log id an answer's feedback button carries (None for other messages)."""
    markup = call.params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            parts = str(button.get("callback_data", "")).split(":")
            if parts[:2] == ["1", "f"]:
                return int(parts[2])
    return None


def first_block(call: Any) -> str:
    """The visible text of a reply up to its first blank line: an answer's passage."""
    return str(call.plain).split("\n\n")[0]


# --- as its own process ------------------------------------------------------------------------------


class BotProcess:
    """``python tests/botrun.py <args>`` with stdout and stderr read line by line as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = asyncio.Event()
        self._readers = [asyncio.create_task(self._read(process.stdout, self.stdout)),
                         asyncio.create_task(self._read(process.stderr, self.stderr))]

    @classmethod
    async def start(cls, env: dict[str, str], *args: str) -> BotProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
        environment.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1", **env)
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, *args, cwd=ROOT, env=environment,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def _read(self, stream: asyncio.StreamReader | None, lines: list[str]) -> None:
        assert stream is not None
        while line := await stream.readline():
            lines.append(line.decode("utf-8", "replace"))
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_for(self, marker: str, seconds: float = TIMEOUT) -> None:
        """Until a line of stdout or stderr (the log) contains ``marker``."""

        async def until() -> None:
            while not any(marker in line for line in (*self.stdout, *self.stderr)):
                if self.process.returncode is not None:
                    raise AssertionError(f"the bot exited before {marker!r}:\n{self.log}")
                await self._changed.wait()

        await asyncio.wait_for(until(), seconds)

    async def stop(self, sig: int = signal.SIGTERM, seconds: float = TIMEOUT) -> int:
        """Send ``sig`` and wait for the process to exit; returns its exit code."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await self.wait(seconds)

    async def wait(self, seconds: float = TIMEOUT) -> int:
        """Wait for the process to exit (and its output to be read); returns its exit code."""
        code = await asyncio.wait_for(self.process.wait(), seconds)
        await asyncio.gather(*self._readers)
        return code

    @property
    def log(self) -> str:
        return "".join(self.stderr)


def process_env(api: Any, corpus: Path, data: Path, admin: int, **extra: str) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
            "BOT_ADMIN_IDS": str(admin), "CORPUS_DIR": str(corpus), "DATA_DIR": str(data), **extra}


def write_config(folder: Path) -> Path:
    """A config file for the bot process: every story question answered, no fair-use limit."""
    path = folder / "config.toml"
    path.write_text("[index]\nthreshold = 0.0\n\n[bot]\nquestions_per_minute = 10000\n", encoding="utf-8")
    return path


def _hold(point: str) -> None:
    print(f"HOLDING {point}", flush=True)
    threading.Event().wait()


class _HoldingEmbedder(FakeEmbedder):
    armed = False

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if self.armed and not query:
            _hold("encode")
        return super().encode(texts, query=query)


def _install_hold(point: str, embedder: _HoldingEmbedder) -> None:
    """Make the first rebuild stop for good at ``point`` once the engine is open."""
    from index import generation, vectors

    if point == "encode":
        embedder.armed = True
    elif point == "write":
        save = vectors.VectorIndex.save

        def save_then_hold(self: Any, path: Path) -> None:
            save(self, path)
            _hold("write")

        vectors.VectorIndex.save = save_then_hold  # type: ignore[method-assign]
    elif point == "publish":
        generation.publish = lambda data_dir, version: _hold("publish")


def main(argv: list[str]) -> int:
    from bot.__main__ import main as bot_main

    hold = os.environ.get("BOT_TEST_HOLD", "")
    embedder = _HoldingEmbedder()

    async def open_engine(config: IndexConfig) -> Engine:
        engine = await Engine.open(config, embedder, progress=True)
        if hold:
            _install_hold(hold, embedder)
        return engine

    return bot_main(argv, engine_factory=open_engine)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


async def logged(log: Any, question: str, outcome: str = "answer", user_id: int = 1) -> int:
    """Put a question straight into a query log (``bot.querylog.QueryLog``), as asked in a private chat."""
    query_id = await log.record_question(
        user_id=user_id, chat_id=user_id, chat_type="private", question=question, passage_ids=[1],
        answered=outcome == "answer", latency_ms=1.0, outcome=outcome)
    return int(query_id)

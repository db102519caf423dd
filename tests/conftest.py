"""Shared fixtures: a deterministic embedder, a temporary copy of the corpus, an opened Engine."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from index import Engine, FakeEmbedder, IndexConfig

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

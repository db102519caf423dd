"""Passage vectors in Qdrant (qdrant-client's local mode, no server): the same answers as FAISS,
a collection per generation that goes with it, and a switch of vector store rebuilds."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from support.fakes import FakeEmbedder

from index import ConfigError, Engine, IndexConfig, index_config, qdrant
from index import generation as gen

QUESTIONS = ["Wo wurde Durov festgenommen?", "Was sagt Durov über Kriminelle?", "Who is Pavel Durov?",
             "Wie viele Nutzer hat Telegram?", "Seaprwire"]


def collections(config: IndexConfig) -> set[str]:
    client = qdrant.client(config.qdrant_url, config.data_dir)
    return {c.name for c in client.get_collections().collections}


@pytest.fixture
def qdrant_config(engine_config: IndexConfig) -> IndexConfig:
    return dataclasses.replace(engine_config, vector_store="qdrant", qdrant_collection="test")


async def test_qdrant_answers_as_faiss_does(
    engine_config: IndexConfig, qdrant_config: IndexConfig, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    faiss_engine = await Engine.open(dataclasses.replace(engine_config, data_dir=tmp_path / "faiss"),
                                     fake_embedder)
    qdrant_engine = await Engine.open(qdrant_config, fake_embedder)
    try:
        for question in QUESTIONS:
            ours, theirs = await qdrant_engine.ask(question, k=5), await faiss_engine.ask(question, k=5)
            assert [h.passage_id for h in ours.hits] == [h.passage_id for h in theirs.hits], question
            assert np.allclose([h.score for h in ours.hits], [h.score for h in theirs.hits], atol=1e-5)
            assert ours.outcome == theirs.outcome
        generation = qdrant_engine._serving()
        ids = [int(i) for i in generation.passage_ids()[:4]]
        stored = generation.vectors.vectors(ids)
        np.testing.assert_allclose(stored, faiss_engine._serving().vectors.vectors(ids), atol=1e-6)
    finally:
        await faiss_engine.close()
        await qdrant_engine.close()


async def test_a_generation_names_its_collection_and_keeps_no_faiss_file(
    qdrant_config: IndexConfig, fake_embedder: FakeEmbedder
) -> None:
    engine = await Engine.open(qdrant_config, fake_embedder)
    try:
        folder = engine._serving().folder
        marker = json.loads((folder / qdrant.MARKER).read_text(encoding="utf-8"))
        manifest = gen.read_manifest(folder)
    finally:
        await engine.close()
    assert marker["collection"] == f"test-{folder.name}" and marker["url"] == ""
    assert marker["points"] == manifest["passages"] and manifest["vector_store"] == "qdrant"
    assert not (folder / "vectors.faiss").exists() and qdrant.MARKER in manifest["files"]
    assert f"test-{folder.name}" in collections(qdrant_config)


async def test_pruned_generations_take_their_collections_with_them(
    qdrant_config: IndexConfig, fake_embedder: FakeEmbedder
) -> None:
    engine = await Engine.open(qdrant_config, fake_embedder)
    try:
        story = qdrant_config.corpus_dir / "durov-telegram.de.txt"
        for n in range(3):  # three changed corpora: four generations made, two kept
            story.write_text(story.read_text(encoding="utf-8") + f"\n\nNachtrag {n}: Telegram wächst.\n",
                             encoding="utf-8")
            await engine.rebuild()
        kept = sorted(p.name for p in gen.generations_dir(qdrant_config.data_dir).iterdir())
    finally:
        await engine.close()
    assert len(kept) == gen.KEEP
    assert collections(qdrant_config) == {f"test-{name}" for name in kept}


async def test_switching_the_vector_store_rebuilds_and_back(
    engine_config: IndexConfig, qdrant_config: IndexConfig, fake_embedder: FakeEmbedder
) -> None:
    first = await Engine.open(engine_config, fake_embedder)
    await first.close()
    moved = await Engine.open(qdrant_config, fake_embedder)
    try:
        assert moved.last_report is not None  # the FAISS generation is not served from Qdrant
        assert moved.last_report.embedded == 0  # the vectors come from the embedding cache
        answer = await moved.ask("Wo wurde Durov festgenommen?")
    finally:
        await moved.close()
    back = await Engine.open(engine_config, fake_embedder)
    try:
        assert back.last_report is not None and (back._serving().folder / "vectors.faiss").exists()
        again = await back.ask("Wo wurde Durov festgenommen?")
    finally:
        await back.close()
    assert [h.passage_id for h in again.hits] == [h.passage_id for h in answer.hits]


async def test_a_missing_collection_makes_the_generation_unservable_and_it_is_rebuilt(
    qdrant_config: IndexConfig, fake_embedder: FakeEmbedder
) -> None:
    engine = await Engine.open(qdrant_config, fake_embedder)
    served = engine._serving().version
    await engine.close()
    qdrant.client("", qdrant_config.data_dir).delete_collection(f"test-{served}")
    reopened = await Engine.open(qdrant_config, fake_embedder)
    try:
        assert reopened.last_report is not None and reopened._serving().version != served
        assert (await reopened.ask("Wo wurde Durov festgenommen?")).hits
    finally:
        await reopened.close()


def test_the_vector_store_settings_are_checked() -> None:
    assert index_config({}, env={}).vector_store == "faiss"
    config = index_config({"vector_store": "qdrant", "qdrant_url": "http://127.0.0.1:6333"}, env={})
    assert config.vector_store_identity() == "qdrant http://127.0.0.1:6333"
    assert index_config({}, env={"VECTOR_STORE": "qdrant"}).vector_store_identity() == "qdrant"
    with pytest.raises(ConfigError, match=r"\[index\] vector_store"):
        index_config({"vector_store": "milvus"}, env={})
    with pytest.raises(ConfigError, match=r"\[index\] qdrant_collection"):
        index_config({"qdrant_collection": "a b/c"}, env={})


def test_a_collection_that_cannot_be_deleted_is_logged_and_the_folder_still_goes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "generations" / "g000001"
    folder.mkdir(parents=True)
    qdrant.write_marker(folder, "http://127.0.0.1:9", "test-g000001", 3)  # nothing listens on port 9
    try:
        gen.remove(folder)
    finally:
        qdrant.close_all()
    assert not folder.exists()
    assert "could not delete the Qdrant collection of g000001" in caplog.text

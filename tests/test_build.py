"""Incremental builds, atomic swaps, and failures that leave the serving index untouched."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import faiss
import numpy as np
import pytest
from support.fakes import FakeEmbedder, GatedEmbedder

from index import BuildError, BuildInProgress, Engine, IndexConfig
from index.build import BATCH
from index.store import Store

ZOO = "Der Pinguin Otto schwimmt jeden Morgen im Becken des Zoos von Hamburg."


def _document_encodes(embedder: FakeEmbedder) -> int:
    return sum(size for size, query in embedder.calls if not query)


async def _keys(config: IndexConfig, version: str) -> dict[tuple[str, int, int, str], int]:
    store = await Store.open(config.data_dir / "generations" / version / "index.sqlite")
    try:
        return {(d, p, w, h): pid for pid, d, p, w, h in await store.passage_keys()}
    finally:
        await store.close()


def _change_paragraph_five(corpus_dir: Path) -> None:
    path = corpus_dir / "durov-telegram.de.txt"
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    paragraphs[4] = paragraphs[4].rstrip() + " Die Zahl der Nutzer wächst weiter."
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")


def _tables(config: IndexConfig, version: str) -> tuple[list[tuple], list[tuple], np.ndarray]:
    """A generation's passages and documents rows, and its sentence vectors."""
    folder = config.data_dir / "generations" / version
    conn = sqlite3.connect(folder / "index.sqlite")
    try:
        passages = conn.execute("SELECT * FROM passages ORDER BY id").fetchall()
        documents = conn.execute("SELECT * FROM documents ORDER BY position").fetchall()
    finally:
        conn.close()
    return passages, documents, np.load(folder / "sentences.npy")


def _folders(config: IndexConfig) -> list[str]:
    return sorted(p.name for p in (config.data_dir / "generations").iterdir())


async def test_an_unchanged_corpus_embeds_nothing_and_keeps_its_version(
    engine: Engine, fake_embedder: FakeEmbedder
) -> None:
    version, encoded = engine.version, _document_encodes(fake_embedder)
    report = await engine.rebuild()
    assert (report.embedded, report.added, report.changed, report.removed) == (0, 0, 0, 0)
    assert report.version == version == engine.version
    assert _document_encodes(fake_embedder) == encoded
    assert report.passages > 0 and report.documents == 1


async def test_a_changed_document_reembeds_only_its_new_passage_and_sentence(
    engine: Engine, engine_config: IndexConfig, fake_embedder: FakeEmbedder, corpus_dir: Path
) -> None:
    old_keys = await _keys(engine_config, engine.version)
    encoded = _document_encodes(fake_embedder)
    _change_paragraph_five(corpus_dir)
    report = await engine.rebuild()
    assert (report.added, report.changed, report.removed) == (0, 1, 0)
    assert report.embedded == 2  # the changed passage, and its one new sentence
    assert _document_encodes(fake_embedder) - encoded == 2
    new_keys = await _keys(engine_config, engine.version)
    kept = old_keys.keys() & new_keys.keys()
    assert len(kept) == len(old_keys) - 1
    assert all(old_keys[key] == new_keys[key] for key in kept)  # ids stable
    (fresh,) = new_keys.keys() - old_keys.keys()
    assert new_keys[fresh] > max(old_keys.values())
    answer = await engine.ask("Die Zahl der Nutzer wächst weiter.")
    assert answer.hits[0].passage_id == new_keys[fresh]


async def test_a_rebuild_after_adding_a_document_chunks_only_that_document(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path
) -> None:
    old_keys = await _keys(engine_config, engine.version)
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    report = await engine.rebuild()
    assert report.added == 1 and report.chunked == ("zoo",)
    new_keys = await _keys(engine_config, engine.version)
    assert {k: v for k, v in new_keys.items() if k[0] != "zoo"} == old_keys


async def test_reused_passages_equal_those_of_a_fresh_build(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path, tmp_path: Path
) -> None:
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    report = await engine.rebuild()
    assert report.chunked == ("zoo",)  # the story's passages were reused
    fresh_config = dataclasses.replace(engine_config, data_dir=tmp_path / "fresh")
    fresh = await Engine.open(fresh_config, FakeEmbedder())
    await fresh.close()
    assert fresh.last_report is not None and len(fresh.last_report.chunked) == 2  # a fresh build: both
    reused, built = _tables(engine_config, engine.version), _tables(fresh_config, fresh.version)
    assert reused[0] == built[0] and reused[1] == built[1]  # ids, texts, offsets, hashes, rows
    assert np.array_equal(reused[2], built[2])


def _set_metadata(corpus_dir: Path, field: str, value: str) -> None:
    sidecar = corpus_dir / "durov-telegram.de.toml"
    lines = sidecar.read_text(encoding="utf-8").splitlines()
    lines = [f'{field} = "{value}"' if line.startswith(f"{field} =") else line for line in lines]
    sidecar.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_a_title_change_shows_at_once_and_chunks_nothing(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path
) -> None:
    old_keys = await _keys(engine_config, engine.version)
    _set_metadata(corpus_dir, "title", "Pawel Durov verteidigt Telegram")
    report = await engine.rebuild()
    assert (report.changed, report.embedded, report.chunked) == (1, 0, ())
    assert [d.title for d in await engine.documents()] == ["Pawel Durov verteidigt Telegram"]
    assert (await engine.ask("Wer ist Durov?")).hits[0].title == "Pawel Durov verteidigt Telegram"
    assert await _keys(engine_config, engine.version) == old_keys


async def test_a_language_change_chunks_the_document_again(
    engine: Engine, corpus_dir: Path
) -> None:
    _set_metadata(corpus_dir, "language", "en")  # the language picks the sentence splitter
    report = await engine.rebuild()
    assert report.changed == 1 and report.chunked == ("durov-telegram.de",)
    assert [d.language for d in await engine.documents()] == ["en"]


async def test_a_changed_passage_size_chunks_every_document_again(
    engine_config: IndexConfig, corpus_dir: Path
) -> None:
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    first = await Engine.open(engine_config, FakeEmbedder())
    assert first.last_report is not None
    before = first.last_report.passages
    await first.close()
    engine = await Engine.open(dataclasses.replace(engine_config, max_passage_tokens=40), FakeEmbedder())
    try:
        report = await engine.rebuild()
        assert len(report.chunked) == 2 and report.passages > before
    finally:
        await engine.close()


async def test_a_removed_document_disappears_from_the_index(engine: Engine, corpus_dir: Path) -> None:
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    assert (await engine.rebuild()).added == 1
    assert (await engine.ask(ZOO)).hits[0].doc_id == "zoo"
    (corpus_dir / "zoo.txt").unlink()
    report = await engine.rebuild()
    assert (report.removed, report.documents) == (1, 1)
    assert "zoo" not in [d.id for d in await engine.documents()]
    assert all(h.doc_id != "zoo" for h in (await engine.ask(ZOO, k=20)).hits)


async def test_only_the_newest_two_generations_stay_on_disk(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path
) -> None:
    for n in range(3):
        (corpus_dir / f"note{n}.txt").write_text(f"Notiz Nummer {n} über Pinguine.", encoding="utf-8")
        await engine.rebuild()
    folders = _folders(engine_config)
    assert len(folders) == 2 and engine.version == folders[-1]


async def test_a_search_during_a_rebuild_answers_from_the_old_generation(
    gated_engine: Engine, gated: GatedEmbedder, corpus_dir: Path
) -> None:
    engine = gated_engine
    old = engine.version
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    gated.hold_documents = True
    rebuild = asyncio.create_task(engine.rebuild())
    assert await asyncio.to_thread(gated.entered.wait, 60)
    assert engine.rebuilding
    with pytest.raises(BuildInProgress):
        await engine.rebuild()
    during = await engine.ask(ZOO)
    assert engine.version == old
    assert not during.answered and all(h.doc_id != "zoo" for h in during.hits)
    gated.release.set()
    report = await rebuild
    assert report.added == 1 and engine.version != old and not engine.rebuilding
    after = await engine.ask(ZOO)
    assert after.answered and after.hits[0].doc_id == "zoo"


async def test_a_question_in_flight_during_a_swap_finishes_on_its_generation(
    gated_engine: Engine, gated: GatedEmbedder, corpus_dir: Path
) -> None:
    engine = gated_engine
    gated.hold_queries = True
    asking = asyncio.create_task(engine.ask(ZOO, k=20))
    assert await asyncio.to_thread(gated.entered.wait, 60)
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    await engine.rebuild()  # swaps while the question holds the old generation
    gated.release.set()
    answer = await asyncio.wait_for(asking, 60)
    assert answer.hits and all(h.doc_id != "zoo" for h in answer.hits)
    assert (await engine.ask(ZOO)).hits[0].doc_id == "zoo"


async def test_a_failing_encoder_leaves_the_old_index_serving(
    gated_engine: Engine, gated: GatedEmbedder, engine_config: IndexConfig, corpus_dir: Path
) -> None:
    engine = gated_engine
    old, folders = engine.version, _folders(engine_config)
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    gated.fail_documents = True
    with pytest.raises(BuildError, match="encoder crashed"):
        await engine.rebuild()
    assert engine.version == old and not engine.rebuilding
    assert _folders(engine_config) == folders
    assert (engine_config.data_dir / "CURRENT").read_text().strip() == old
    assert (await engine.ask("Wer ist Durov?")).hits


async def test_a_full_disk_during_a_build_leaves_the_old_index_serving(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    old, folders = engine.version, _folders(engine_config)
    (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    monkeypatch.setattr(faiss, "write_index", disk_full)
    with pytest.raises(BuildError, match=os.strerror(errno.ENOSPC)):
        await engine.rebuild()
    assert engine.version == old and _folders(engine_config) == folders
    assert (await engine.ask("Wer ist Durov?")).hits


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _scribble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:200] = b"\xff" * 100
    path.write_bytes(bytes(data))


CORRUPTIONS = {
    "vectors truncated": lambda g: _truncate(g / "vectors.faiss"),
    "sentences missing": lambda g: (g / "sentences.npy").unlink(),
    "database scribbled": lambda g: _scribble(g / "index.sqlite"),
    "manifest missing": lambda g: (g / "manifest.json").unlink(),
    "manifest garbage": lambda g: (g / "manifest.json").write_text("{not json"),
    "folder missing": shutil.rmtree,
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
async def test_corrupt_or_missing_index_files_are_rebuilt_at_open(
    engine_config: IndexConfig, corruption: str, caplog: pytest.LogCaptureFixture
) -> None:
    first = await Engine.open(engine_config, FakeEmbedder())
    version = first.version
    await first.close()
    CORRUPTIONS[corruption](engine_config.data_dir / "generations" / version)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="index.engine"):
        engine = await Engine.open(engine_config, FakeEmbedder())
    try:
        assert engine.version != version
        warnings = [r.message for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and version in warnings[0]
        assert (await engine.ask("Wer hat Durov festgenommen?")).hits
    finally:
        await engine.close()


async def test_an_index_built_for_another_model_is_rebuilt(
    engine_config: IndexConfig, caplog: pytest.LogCaptureFixture
) -> None:
    first = await Engine.open(engine_config, FakeEmbedder(dim=32))
    version = first.version
    await first.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="index.engine"):
        engine = await Engine.open(engine_config, FakeEmbedder(dim=64))
    try:
        assert engine.version != version
        assert "fake-bow-32" in caplog.text
    finally:
        await engine.close()


async def test_an_unverifiable_index_is_not_opened_without_build(engine_config: IndexConfig) -> None:
    with pytest.raises(BuildError, match="no index"):
        await Engine.open(engine_config, FakeEmbedder(), build_if_missing=False)


async def test_a_partial_generation_without_manifest_is_ignored(
    engine_config: IndexConfig, corpus_dir: Path
) -> None:
    first = await Engine.open(engine_config, FakeEmbedder())
    version = first.version
    await first.close()
    partial = engine_config.data_dir / "generations" / "g000050"
    partial.mkdir()
    (partial / "index.sqlite").write_bytes(b"half a database")
    embedder = FakeEmbedder()
    engine = await Engine.open(engine_config, embedder)
    try:
        assert engine.version == version and _document_encodes(embedder) == 0
        (corpus_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
        report = await engine.rebuild()
        assert report.version > "g000050"
        assert not partial.exists()
    finally:
        await engine.close()


async def test_a_missing_corpus_folder_is_a_build_error(engine: Engine, corpus_dir: Path) -> None:
    shutil.rmtree(corpus_dir)
    with pytest.raises(BuildError, match="corpus folder"):
        await engine.rebuild()
    assert (await engine.ask("Wer ist Durov?")).hits


async def test_a_build_that_dies_while_encoding_keeps_every_committed_batch(
    gated_engine: Engine, gated: GatedEmbedder, corpus_dir: Path
) -> None:
    sentences = " ".join(f"Im Gehege {n} leben {n + 2} Pinguine." for n in range(80))
    (corpus_dir / "zoo.txt").write_text(sentences, encoding="utf-8")
    gated.documents.clear()
    gated.documents_allowed = 1  # one batch is encoded (and committed), then the encoder dies
    with pytest.raises(BuildError, match="encoder crashed"):
        await gated_engine.rebuild()
    first = list(gated.documents)
    assert len(first) == BATCH
    gated.documents_allowed, gated.documents = None, []
    report = await gated_engine.rebuild()
    assert report.embedded == len(gated.documents) > 0
    assert not set(first) & set(gated.documents)  # nothing encoded before the crash is encoded again
    assert report.cached >= BATCH and report.added == 1

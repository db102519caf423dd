"""Incremental builds: corpus folder -> a new, complete generation beside the serving one.

A build loads the corpus, takes the passages of every document whose text, language and chunking
settings are unchanged from the previous generation as they are (ids included), chunks only the
others (keeping the ids of their unchanged passages), takes every vector it can from the embedding
cache, encodes only new texts, then writes the generation's files with the manifest last. An
unchanged corpus (same document hashes, metadata, model and settings) is noticed from the
fingerprint before any chunking and writes nothing. CPU and file work runs in worker
threads; the cache is read and written through aiosqlite. Any failure removes the partly written
folder and raises ``BuildError``; the serving generation is never touched here.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from . import generation as gen
from . import qdrant
from .boilerplate import boilerplate_paragraphs
from .chunking import chunk_text, paragraph_spans
from .concurrency import run_sync
from .config import IndexConfig
from .documents import SourceText, load_corpus
from .embedding_cache import EmbeddingCache
from .formats import Place, Progress
from .model import Embedder
from .models import BuildReport, Document, Passage
from .store import PassageRecord, write_store
from .vectors import VectorIndex, choose_type

FORMAT = 4  # bump when the generation layout changes: forces a rebuild
CACHE_FILE = "cache.sqlite"  # the embedding cache, in the data folder
BATCH = 32  # texts per encode call


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Plan:
    """What the new generation will hold, before any vector is computed."""

    documents: list[Document]
    records: list[PassageRecord]
    sentence_texts: list[str]  # in sentences.npy row order
    skipped: list[tuple[str, str]]
    next_id: int
    chunked: list[str]  # ids of the documents cut into passages anew (the others were reused)


def fingerprint(sources: list[SourceText], config: IndexConfig, embedder: Embedder) -> str:
    """What decides a generation's content: documents, model and passage settings."""
    return sha256(json.dumps([
        FORMAT, embedder.name, embedder.dim, config.max_passage_tokens, config.window_overlap,
        config.index_type, config.hnsw_min_passages, config.vector_store_identity(),
        [(s.id, s.sha256, s.title, s.source, s.url, s.language, s.date, s.path) for s in sources],
    ]))


def chunking_key(config: IndexConfig, embedder: Embedder) -> list[Any]:
    """The settings that decide how a text is cut into passages (with the language, per document)."""
    return [FORMAT, embedder.name, config.max_passage_tokens, config.window_overlap]


def _chunk(source: SourceText, config: IndexConfig, embedder: Embedder,
           prior: dict[tuple[str, int, int, str], int], next_id: int,
           ) -> tuple[list[tuple[Passage, str]], int]:
    """Chunk one document; each passage keeps its old id when its place and text are unchanged."""
    max_tokens = min(config.max_passage_tokens, embedder.max_tokens)
    lang = source.language or "de"
    paragraphs = [source.text[start:end] for start, end in paragraph_spans(source.text)]
    boilerplate = boilerplate_paragraphs(paragraphs, source.source, source.url)
    out: list[tuple[Passage, str]] = []
    for chunk in chunk_text(source.text, embedder.count_tokens, max_tokens, config.window_overlap, lang):
        text_hash = sha256(chunk.text)
        pid = prior.get((source.id, chunk.paragraph, chunk.window, text_hash))
        if pid is None:
            pid, next_id = next_id, next_id + 1
        sentences = chunk.sentences or ((0, len(chunk.text)),)
        place = source.places[chunk.paragraph - 1] if chunk.paragraph <= len(source.places) else Place()
        passage = Passage(pid, source.id, chunk.paragraph, chunk.window, chunk.text, sentences,
                          boilerplate=chunk.paragraph in boilerplate, page=place.page,
                          on_page=place.on_page, section=place.section)
        out.append((passage, text_hash))
    return out, next_id


def _chunked_alike(document: Document, source: SourceText) -> bool:
    """True if ``source`` would be cut as ``document`` was: same text, language (sentence rules)
    and source and link (which decide the boilerplate flags)."""
    return (document.sha256, document.language, document.source, document.url) == (
        source.sha256, source.language, source.source, source.url)


def plan(sources: list[SourceText], skipped: list[tuple[str, str]], config: IndexConfig,
         embedder: Embedder, prior: dict[tuple[str, int, int, str], int], next_id: int,
         reused: dict[str, list[tuple[Passage, str]]] | None = None) -> Plan:
    """The passages of every document: ``reused`` ones as they are, the others chunked anew."""
    documents: list[Document] = []
    records: list[PassageRecord] = []
    sentence_texts: list[str] = []
    skipped, chunked = list(skipped), []
    for source in sources:
        passages = (reused or {}).get(source.id)
        if not passages:
            passages, next_id = _chunk(source, config, embedder, prior, next_id)
            chunked.append(source.id)
        if not passages:
            skipped.append((source.path, "no text to index"))
            continue
        for passage, text_hash in passages:
            records.append(PassageRecord(passage, text_hash, len(sentence_texts), source.language or "de"))
            sentence_texts.extend(passage.text[s:e] for s, e in passage.sentences)
        documents.append(source.to_document(len(passages)))
    return Plan(documents, records, sentence_texts, skipped, next_id, chunked)


async def encode_missing(
    cache: EmbeddingCache, embedder: Embedder, missing: list[tuple[str, str, str]], progress: bool,
    on_progress: Progress | None = None,
) -> dict[tuple[str, str], np.ndarray]:
    """Encode the (kind, hash, text) ``missing`` as documents in batches, each batch committed to the
    cache as soon as it is encoded: a build killed midway keeps everything encoded before its last
    batch, and the next build encodes only the rest. A progress bar on stderr if ``progress``."""
    out: dict[tuple[str, str], np.ndarray] = {}
    bar = tqdm(total=len(missing), disable=not progress, desc="embedding", unit="text", file=sys.stderr)
    with bar:
        for i in range(0, len(missing), BATCH):
            batch = missing[i : i + BATCH]
            vectors = await run_sync(embedder.encode, [t for _, _, t in batch], query=False)
            for kind in dict.fromkeys(k for k, _, _ in batch):
                fresh = {h: vectors[j] for j, (k, h, _) in enumerate(batch) if k == kind}
                await cache.put_many(embedder.name, kind, fresh)
                out.update({(kind, h): v for h, v in fresh.items()})
            bar.update(len(batch))
            if on_progress is not None:
                on_progress("embedding", min(i + BATCH, len(missing)), len(missing))
    return out


async def embed(
    cache: EmbeddingCache, embedder: Embedder, kinds: dict[str, list[str]], progress: bool,
    on_progress: Progress | None = None,
) -> tuple[dict[str, np.ndarray], int, int]:
    """Vectors for texts of each kind (``passage``/``sentence``), from the cache or encoded; with
    the number of texts encoded and of texts the cache had."""
    known: dict[str, dict[str, np.ndarray]] = {}
    missing: list[tuple[str, str, str]] = []  # (kind, hash, text), each once
    for kind, texts in kinds.items():
        hashes = [sha256(t) for t in texts]
        known[kind] = await cache.get_many(embedder.name, kind, hashes)
        seen = set(known[kind])
        for h, t in zip(hashes, texts, strict=True):
            if h not in seen:
                seen.add(h)
                missing.append((kind, h, t))
    cached = sum(len(found) for found in known.values())
    encoded = await encode_missing(cache, embedder, missing, progress, on_progress)
    for (kind, text_hash), vector in encoded.items():
        known[kind][text_hash] = vector
    matrices = {
        kind: (np.stack([known[kind][sha256(t)] for t in texts]).astype(np.float32)
               if texts else np.zeros((0, embedder.dim), dtype=np.float32))
        for kind, texts in kinds.items()
    }
    return matrices, len(missing), cached


async def cached_queries(cache: EmbeddingCache, embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Question vectors of ``texts`` (kind ``query``), encoded only where the cache has none."""
    hashes = [sha256(t) for t in texts]
    known = await cache.get_many(embedder.name, "query", hashes)
    missing = list(dict.fromkeys(t for t, h in zip(texts, hashes, strict=True) if h not in known))
    if missing:
        fresh = await run_sync(embedder.encode, missing, query=True)
        new = {sha256(t): fresh[i] for i, t in enumerate(missing)}
        await cache.put_many(embedder.name, "query", new)
        known.update(new)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([known[h] for h in hashes]).astype(np.float32)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_generation(data_dir: Path, the_plan: Plan, passage_vectors: np.ndarray,
                     sentence_vectors: np.ndarray, meta: dict[str, Any], collection: str = "story",
                     qdrant_url: str = "") -> Path:
    """Write a new generation folder, manifest last; remove it again if anything fails. With
    ``meta["vector_store"]`` naming Qdrant the passage vectors go into the collection
    ``<collection>-<version>`` (``qdrant.py``) instead of ``vectors.faiss``."""
    root = gen.generations_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / gen.next_version(data_dir)
    folder.mkdir()
    try:
        ids = np.array([r.passage.id for r in the_plan.records], dtype=np.int64)
        write_store(folder / "index.sqlite", the_plan.documents, the_plan.records)
        if gen.uses_qdrant(meta):
            name = f"{collection}-{folder.name}"
            qdrant.QdrantVectors.build(qdrant.client(qdrant_url, data_dir), name, passage_vectors, ids,
                                       exact=(meta["index_type"] == "flat") if qdrant_url else None,
                                       on_disk=bool(qdrant_url))
            qdrant.write_marker(folder, qdrant_url, name, len(ids))
        else:
            VectorIndex.build(passage_vectors, ids, meta["index_type"]).save(folder / "vectors.faiss")
        np.save(folder / "sentences.npy", sentence_vectors.astype(np.float16))  # served memory-mapped
        files = {}
        for name in gen.files(meta):
            _fsync(folder / name)
            files[name] = {"bytes": (folder / name).stat().st_size, "sha256": gen.file_sha256(folder / name)}
        manifest = {**meta, "version": folder.name, "files": files,
                    "created": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = folder / (gen.MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / gen.MANIFEST)
        _fsync(folder)
    except BaseException:
        gen.remove(folder)
        raise
    return folder


def report(the_plan: Plan, previous: list[Document], embedded: int, started: float,
           version: str) -> BuildReport:
    """Compare the new documents with the previous generation's."""
    old = {d.id: d for d in previous}
    new = {d.id: d for d in the_plan.documents}

    def differs(a: Document, b: Document) -> bool:
        return (a.sha256, a.title, a.source, a.url, a.language, a.date) != (
            b.sha256, b.title, b.source, b.url, b.language, b.date)

    return BuildReport(
        documents=len(new), passages=len(the_plan.records),
        added=len(new.keys() - old.keys()),
        changed=sum(differs(new[i], old[i]) for i in new.keys() & old.keys()),
        removed=len(old.keys() - new.keys()),
        embedded=embedded, seconds=time.perf_counter() - started,
        skipped=tuple(the_plan.skipped), version=version, chunked=tuple(the_plan.chunked),
    )


async def build(
    config: IndexConfig, embedder: Embedder, previous: gen.Generation | None, *, progress: bool = False,
    on_progress: Progress | None = None,
) -> tuple[BuildReport, Path | None]:
    """Build a new generation; return its report and folder (None: corpus unchanged, nothing written).

    Exceptions propagate; the caller turns them into ``BuildError``.
    """
    started = time.perf_counter()
    sources, skipped = await run_sync(load_corpus, config.corpus_dir, config.limits())
    mark = fingerprint(sources, config, embedder)
    if previous is not None and previous.manifest.get("fingerprint") == mark:
        return BuildReport(
            documents=len(previous.documents), passages=int(previous.manifest["passages"]),
            added=0, changed=0, removed=0, embedded=0, seconds=time.perf_counter() - started,
            skipped=tuple(skipped) + tuple(map(tuple, previous.manifest.get("skipped_chunks", []))),
            version=previous.version,
        ), None
    prior: dict[tuple[str, int, int, str], int] = {}
    reused: dict[str, list[tuple[Passage, str]]] = {}
    next_id = 1
    if previous is not None:
        async with previous.use():
            keys = await previous.store.passage_keys()
            if previous.manifest.get("chunking") == chunking_key(config, embedder):
                old = previous.by_id
                reused = await previous.store.passages_of([
                    s.id for s in sources
                    if s.id in old and _chunked_alike(old[s.id], s)
                ])
        prior = {(d, p, w, h): pid for pid, d, p, w, h in keys}
        next_id = max([int(previous.manifest.get("next_id", 1)), *(k[0] + 1 for k in keys)])
    the_plan = await run_sync(plan, sources, skipped, config, embedder, prior, next_id, reused)
    await run_sync(config.data_dir.mkdir, parents=True, exist_ok=True)
    cache = await EmbeddingCache.open(config.data_dir / CACHE_FILE)
    try:
        kinds = {"passage": [r.passage.text for r in the_plan.records], "sentence": the_plan.sentence_texts}
        vectors, embedded, cached = await embed(cache, embedder, kinds, progress, on_progress)
    finally:
        await cache.close()
    meta = {
        "format": FORMAT, "model": embedder.name, "dim": embedder.dim, "fingerprint": mark,
        "chunking": chunking_key(config, embedder),
        "documents": len(the_plan.documents), "passages": len(the_plan.records),
        "sentences": len(the_plan.sentence_texts), "next_id": the_plan.next_id,
        "index_type": choose_type(config.index_type, len(the_plan.records), config.hnsw_min_passages),
        "vector_store": config.vector_store_identity(),
        "skipped_chunks": [list(s) for s in the_plan.skipped[len(skipped):]],
    }
    folder = await run_sync(
        write_generation, config.data_dir, the_plan, vectors["passage"], vectors["sentence"], meta,
        config.qdrant_collection, config.qdrant_url,
    )
    prev_docs = previous.documents if previous is not None else []
    return replace(report(the_plan, prev_docs, embedded, started, folder.name), cached=cached), folder

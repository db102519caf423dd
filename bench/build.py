"""Index builds: a cold build with the real model, and reloads of an unchanged 10k-passage corpus.

The cold build indexes the story plus synthetic paragraphs into an empty data folder (nothing in
the embedding cache) and is compared with the model's raw batch-encode rate on the same texts; a
build encodes every passage and, for highlighting, every sentence, so it encodes more texts than
it has passages.

The reload figures use a 10k-passage synthetic corpus whose vectors come from ``SyntheticEmbedder``
(the real model's tokenizer decides the passages; vectors are hash-seeded random): a reload of an
unchanged corpus never encodes anything, so the model is not what is measured there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index import Embedder, Engine, IndexConfig

from . import floor, workload
from .report import Report

RELOAD_PASSAGES = 10_000


class SyntheticEmbedder:
    """The real model's tokenizer and limits, with random unit vectors seeded by each text's hash."""

    def __init__(self, real: Embedder) -> None:
        self.name = f"synthetic-{real.name}"
        self.dim = real.dim
        self.max_tokens = real.max_tokens
        self._real = real

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def count_tokens(self, text: str) -> int:
        return self._real.count_tokens(text)


def _fresh(folder: Path, passages: int) -> Path:
    """A corpus folder with the story and ``passages`` synthetic paragraphs."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in workload.STORY_DIR.iterdir():
        shutil.copy2(path, folder / path.name)
    workload.write_corpus(folder, passages)
    return folder


async def cold_build(config: IndexConfig, embedder: Embedder, work: Path,
                     passages: int) -> tuple[float, int, int]:
    """Build from scratch; (seconds, passages, texts encoded)."""
    corpus = _fresh(work / "build-corpus", passages)
    data = work / "build-data"
    shutil.rmtree(data, ignore_errors=True)
    config = dataclasses.replace(config, corpus_dir=corpus, data_dir=data)
    engine = Engine(config, embedder)
    try:
        report = await engine.rebuild()
    finally:
        await engine.close()
    return report.seconds, report.passages, report.embedded


async def reloads(config: IndexConfig, real: Embedder, work: Path, passages: int) -> dict[str, float]:
    """Seconds for: a cold build of the synthetic 10k corpus (synthetic vectors), a reload of it
    unchanged, and a reload after a title change (every vector from the embedding cache)."""
    corpus = _fresh(work / "reload-corpus", passages)
    data = work / "reload-data"
    shutil.rmtree(data, ignore_errors=True)
    config = dataclasses.replace(config, corpus_dir=corpus, data_dir=data)
    engine = await Engine.open(config, SyntheticEmbedder(real), build_if_missing=True)
    try:
        assert engine.last_report is not None
        out = {"build": engine.last_report.seconds, "passages": float(engine.last_report.passages)}
        started = time.perf_counter()
        unchanged = await engine.rebuild()
        out["unchanged"] = time.perf_counter() - started
        meta = corpus / "synthetic-00001.toml"
        meta.write_text(meta.read_text(encoding="utf-8").replace("Text 1", "Text eins"), encoding="utf-8")
        started = time.perf_counter()
        cached = await engine.rebuild()
        out["cached"] = time.perf_counter() - started
        out["cached_embedded"] = float(cached.embedded)
        if unchanged.embedded or cached.embedded:
            raise RuntimeError("a reload of unchanged passages encoded texts again")
    finally:
        await engine.close()
    return out


async def section(report: Report, config: IndexConfig, embedder: Embedder, work: Path, *,
                  quick: bool) -> None:
    """Add the build and reload figures to ``report``."""
    seconds, passages, embedded = await cold_build(config, embedder, work, 40 if quick else 150)
    texts = (work / "build-corpus" / "synthetic-00001.txt").read_text("utf-8").split("\n\n")
    raw = floor.batch_rate(embedder, texts, 32, query=False, seconds=2.0 if quick else 5.0)
    report.add("build", f"cold build, {passages} passages (real model)",
               f"{passages / seconds:.1f} passages/s",
               f"{seconds:.1f} s; {embedded} texts encoded (+ sentences): {embedded / seconds:.1f}/s")
    report.add("build", "raw batch encode of passages (32/batch)", f"{raw:.1f} passages/s",
               f"build/raw = {passages / seconds / raw:.2f}")
    found = await reloads(config, embedder, work, 2000 if quick else RELOAD_PASSAGES)
    scale = RELOAD_PASSAGES / found["passages"]
    per_10k = found["unchanged"] * scale
    report.add("build", f"cold build, {found['passages']:.0f} passages (synthetic vectors)",
               f"{found['build']:.1f} s", "all but encoding: chunking, FTS5, FAISS, checksums")
    report.target("build", "reload, unchanged corpus (per 10k passages)", f"{per_10k:.2f} s", "<= 1 s",
                  per_10k <= 1.0, f"{found['unchanged']:.2f} s for {found['passages']:.0f} passages")
    report.add("build", "reload, titles changed, texts cached (per 10k)",
               f"{found['cached'] * scale:.1f} s", "a new generation; 0 texts encoded (embedding cache)")

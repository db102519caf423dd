"""Scale: the vector index at 10k, 100k and 1M passages, exact (flat) and approximate (HNSW).

Vectors are synthetic (encoding a million passages with the model would take days here): unit
vectors with a low intrinsic dimension (a random 64-dimensional latent space mapped into 384
dimensions, plus noise), a stand-in for sentence embeddings, which have such structure. Uniform
random unit vectors (``--vectors uniform``) are the worst case for HNSW: they have no structure at
all. Questions are stored vectors plus noise, like a question close to one passage.
Each step runs in its own process so its memory (RSS) is its own: ``build`` writes the index file
with ``index.vectors.VectorIndex`` (the product's code), ``serve`` loads it and times one question
at a time for the engine's ``N_DENSE`` candidates, then scores the sentences of its best three
passages as the engine does for the highlight: from a memory-mapped float16 file of
``SENTENCES`` synthetic sentence vectors per passage (as a generation's ``sentences.npy``), so
the RSS includes what those reads bring in; recall@10 is against the exact index's top 10.
For sizes up to 100k a SQLite store of synthetic German-like passages with FTS5 is built as well,
for the time of a question's database work (keyword search and stem counts) and the database's size.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import workload
from .report import Report, mb, ms, percentile

DIM = 384
QUESTIONS = 200
NOISE = 0.5  # length of the noise added to a stored vector to make a question
LATENT = 64  # intrinsic dimension of the low-rank vectors
RESIDUAL = 0.3  # length of the full-dimensional noise on each low-rank vector
EF_SEARCH = (32, 64, 128, 256, 512)
SENTENCES = 3  # sentence vectors per passage (the story has 2.7)
TEXT_MAX = 100_000  # sizes above this get no SQLite store (its build alone would take many minutes)


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1m`` -> 1000000."""
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    if not number.isdigit() or int(number) <= 0:
        raise ValueError(f"not a corpus size: {text!r} (use e.g. 10k, 100k, 1m)")
    return int(number) * factor


def vectors(size: int, kind: str = "lowrank", seed: int = 1) -> np.ndarray:
    """``size`` unit vectors, generated in blocks (same seed -> same vectors): ``lowrank`` (a
    ``LATENT``-dimensional latent space plus ``RESIDUAL`` noise) or ``uniform``."""
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((LATENT, DIM), dtype=np.float32) / np.sqrt(LATENT)
    out = np.empty((size, DIM), dtype=np.float32)
    for start in range(0, size, 100_000):
        n = min(100_000, size - start)
        block = rng.standard_normal((n, DIM), dtype=np.float32)
        if kind == "lowrank":
            latent = rng.standard_normal((n, LATENT), dtype=np.float32)
            block = latent @ mix + block * (RESIDUAL / np.sqrt(DIM))
        out[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def questions(base: np.ndarray, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = base[rng.integers(0, len(base), QUESTIONS)]
    noisy = rows + rng.standard_normal(rows.shape, dtype=np.float32) * (NOISE / np.sqrt(DIM))
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def rss_bytes() -> int:
    """Resident memory of this process now (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def sentence_file(size: int, folder: Path) -> Path:
    """The float16 sentence vectors of ``size`` passages (``SENTENCES`` rows each), written once in
    chunks, so making it never holds the whole file in memory."""
    path = folder / f"{size}-sentences.npy"
    if path.exists():
        return path
    rng = np.random.default_rng(3)
    tmp = path.with_suffix(".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(size * SENTENCES, DIM))
    step = 100_000
    for start in range(0, len(out), step):
        rows = rng.standard_normal((min(step, len(out) - start), DIM), dtype=np.float32)
        out[start:start + len(rows)] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    out.flush()
    del out
    tmp.rename(path)
    return path


def build(size: int, kind: str, folder: Path, shape: str) -> dict[str, float]:
    """Build and save one index; its build seconds and file size."""
    from index.vectors import VectorIndex

    base = vectors(size, shape)
    started = time.perf_counter()
    index = VectorIndex.build(base, np.arange(1, size + 1, dtype=np.int64), kind)
    seconds = time.perf_counter() - started
    path = folder / f"{size}-{kind}.faiss"
    index.save(path)
    (folder / f"{size}-{kind}.json").write_text(json.dumps({"build_s": seconds}), encoding="utf-8")
    return {"build_s": seconds, "bytes": path.stat().st_size}


def serve(size: int, kind: str, folder: Path, shape: str) -> dict[str, Any]:
    """Load one index and time questions one at a time; RSS after loading."""
    import faiss

    from index.search import N_DENSE

    queries = questions(vectors(size, shape))  # the base vectors are freed before the index is loaded
    sentence_path = sentence_file(size, folder)
    baseline = rss_bytes()
    started = time.perf_counter()
    index: Any = faiss.read_index(str(folder / f"{size}-{kind}.faiss"))
    sentences = np.load(sentence_path, mmap_mode="r")
    out: dict[str, Any] = {"load_s": time.perf_counter() - started, "rss": rss_bytes(), "rss_base": baseline}
    truth_path = folder / f"{size}-truth.npy"
    settings: list[int | None] = [None]
    if kind == "hnsw":
        inner: Any = faiss.downcast_index(index.index)
        settings = list(EF_SEARCH)
        truth = np.load(truth_path)
    runs = []
    for ef in settings:
        if ef is not None:
            inner.hnsw.efSearch = ef
        times, found = [], []
        for row in queries:
            start = time.perf_counter()
            _, ids = index.search(row[None, :], N_DENSE)
            for pid in ids[0][:3]:  # the highlight: the best sentence of each of the top passages
                block = np.asarray(sentences[(pid - 1) * SENTENCES : pid * SENTENCES], dtype=np.float32)
                int(np.argmax(block @ row))
            times.append(time.perf_counter() - start)
            found.append(ids[0][:10])
        ids10 = np.array(found)
        if kind == "flat":
            np.save(truth_path, ids10)
            recall = 1.0
        else:
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids10, truth, strict=True)]))
        runs.append({"ef": ef, "p50": percentile(times, 50), "p95": percentile(times, 95), "recall": recall})
    out["runs"] = runs
    out["rss_after"] = rss_bytes()
    return out


def text(size: int, folder: Path) -> dict[str, float]:
    """Build a SQLite store of ``size`` synthetic passages (FTS5 over stems); time a question's
    database work on the question path: its keyword search and its stems' passage counts, in the
    one statement the engine sends (``Store.lookups``)."""
    import asyncio

    from index import judge
    from index.models import Document, Passage
    from index.store import PassageRecord, Store, write_store

    maker = workload.TextMaker(workload.vocabulary())
    path = folder / f"{size}-text.sqlite"
    path.unlink(missing_ok=True)
    document = Document("synthetic", "Synthetic", "benchmark", "", "de", "", "synthetic.txt", "", size)

    def records() -> Iterator[PassageRecord]:
        for pid in range(1, size + 1):
            passage_text = maker.paragraph()
            passage = Passage(pid, "synthetic", pid, 0, passage_text, ((0, len(passage_text)),))
            yield PassageRecord(passage, "", pid - 1, "de")

    started = time.perf_counter()
    write_store(path, [document], records())
    built = time.perf_counter() - started
    asked = [maker.question() for _ in range(QUESTIONS)]

    async def search() -> tuple[list[float], list[float]]:
        store = await Store.open(path)
        times, stem_times = [], []
        try:
            for question in asked:
                stems = judge.stems(judge.content_words(question))
                start = time.perf_counter()
                await store.lookups(question, "de", 30, stems)
                middle = time.perf_counter()
                await store.lookups("", None, 0, stems)  # the stem counts alone
                stem_times.append(time.perf_counter() - middle)
                times.append(middle - start)
        finally:
            await store.close()
        return times, stem_times

    times, stem_times = asyncio.run(search())
    return {"build_s": built, "bytes": path.stat().st_size, "p50": percentile(times, 50),
            "p95": percentile(times, 95), "stems_p50": percentile(stem_times, 50),
            "stems_p95": percentile(stem_times, 95)}


def _worker(step: str, size: int, kind: str, folder: Path, shape: str) -> dict[str, Any]:
    """Run one step in a child process; its JSON result."""
    done = subprocess.run([sys.executable, "-m", "bench.scale", step, str(size), kind, str(folder), shape],
                          cwd=workload.ROOT, capture_output=True, text=True, timeout=7200)
    if done.returncode != 0:
        raise RuntimeError(f"scale {step} {size} {kind} failed: {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k"


def section(report: Report, work: Path, sizes: list[int], *, quick: bool, shape: str = "lowrank",
            rebuild: bool = False) -> None:
    """Build (unless built before with the same settings and ``rebuild`` is false) and serve each
    size's indexes in child processes; add the figures to ``report``."""
    from index.config import IndexConfig
    from index.vectors import HNSW_EF_CONSTRUCTION, HNSW_NEIGHBOURS, choose_type

    folder = work / "scale" / f"{shape}-M{HNSW_NEIGHBOURS}-efc{HNSW_EF_CONSTRUCTION}"
    folder.mkdir(parents=True, exist_ok=True)
    threshold = IndexConfig.hnsw_min_passages
    what = (f"low-rank (latent {LATENT}, residual {RESIDUAL})" if shape == "lowrank" else "uniform random")
    report.note(f"scale: synthetic unit vectors, {what}, dim {DIM}; {QUESTIONS} questions = stored vectors "
                f"+ noise; HNSW M={HNSW_NEIGHBOURS}, efConstruction={HNSW_EF_CONSTRUCTION}; "
                f"index_type auto = hnsw from {threshold} passages; text: synthetic German-like")
    for size in sizes:
        name = label(size)
        report.add("scale", f"{name}: index type chosen (auto)", choose_type("auto", size, threshold))
        for kind in ("flat", "hnsw"):
            saved = folder / f"{size}-{kind}.json"
            earlier = saved.exists() and (folder / f"{size}-{kind}.faiss").exists() and not rebuild
            if earlier:
                built = {**json.loads(saved.read_text(encoding="utf-8")),
                         "bytes": (folder / f"{size}-{kind}.faiss").stat().st_size}
            else:
                built = _worker("build", size, kind, folder, shape)
            served = _worker("serve", size, kind, folder, shape)
            runs = served["runs"]
            assert isinstance(runs, list)
            pick = runs[0]
            if kind == "hnsw":  # the smallest efSearch reaching recall 0.95 (else the best)
                good = [r for r in runs if r["recall"] >= 0.95]
                pick = good[0] if good else runs[-1]
            rss = max(float(served["rss"]), float(served["rss_after"]))
            desc = "exact" if kind == "flat" else f"HNSW efSearch={pick['ef']}"
            when = " (earlier run)" if earlier else ""
            note = (f"build {float(built['build_s']):.1f} s{when}, file {mb(float(built['bytes']))}, "
                    f"RSS {mb(rss)}, load {float(served['load_s']):.1f} s")
            value = f"p50 {ms(pick['p50'])} / p95 {ms(pick['p95'])}"
            if kind == "hnsw":
                value += f", recall@10 {pick['recall']:.3f}"
                sweep = ", ".join(f"ef {r['ef']}: {r['recall']:.3f} / {ms(r['p95'])}" for r in runs)
                report.add("scale", f"{name}: HNSW sweep (recall / p95)", sweep)
            if size == 1_000_000 and kind == "hnsw":
                ok = pick["p95"] <= 0.020 and pick["recall"] >= 0.95 and rss <= 2.5e9
                report.target("scale", f"{name}: {desc}, with sentence scoring", value,
                              "p95 <= 20 ms, recall >= 0.95, RSS <= 2.5 GB", ok, note)
            else:
                report.add("scale", f"{name}: {desc}", value, note)
        if size <= (10_000 if quick else TEXT_MAX):
            found = _worker("text", size, "-", folder, shape)
            timing = (f"p50 {ms(float(found['p50']))} / p95 {ms(float(found['p95']))}; stem counts alone "
                      f"p50 {ms(float(found['stems_p50']))} / p95 {ms(float(found['stems_p95']))}")
            report.add("scale", f"{name}: SQLite + FTS5 keyword search and stem counts", timing,
                       f"build {float(found['build_s']):.1f} s, file {mb(float(found['bytes']))}")


def main(argv: list[str]) -> int:
    """``python -m bench.scale build|serve|text SIZE KIND FOLDER SHAPE``: one step, JSON on stdout."""
    step, size, kind, folder, shape = argv[0], int(argv[1]), argv[2], Path(argv[3]), argv[4]
    if step == "build":
        import faiss

        faiss.omp_set_num_threads(2)
        result: dict[str, Any] = dict(build(size, kind, folder, shape))
    elif step == "serve":
        result = serve(size, kind, folder, shape)
    else:
        result = dict(text(size, folder))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

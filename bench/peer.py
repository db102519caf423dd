"""The peer: txtai over the same model folder, passages and questions, beside our figures.

txtai (pinned in requirements-bench.txt, which `make bench` installs) runs in its own process: it
indexes the story's passages (as our index holds them) with the same sentence-transformers folder
and the e5 prompts, then answers the same questions with ``Embeddings.search`` - one user one
question at a time, 50 users as 50 threads (txtai is synchronous), and its own batching,
``batchsearch`` of 50 questions. txtai returns ids and scores only (no content store): it does less
per question than the bot, which also runs keyword search, fusion, sentence highlighting and
rendering.

Both sides run in worker processes, interleaved in blocks (ours, txtai, ours, txtai, ...), and
each pair of blocks gives a ratio, so drift of the shared machine hits both; the table shows the
median ratio and each process's peak resident memory (VmHWM). "Ours" here is the engine alone
(``Engine.ask``: encoding, keyword search, fusion, highlighting, the judgement), 50 questions in
flight at once, which the engine's micro-batcher groups like txtai's ``batchsearch``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from . import workload
from .report import Report, mb, median, ms, percentile

USERS = 50
BLOCKS = 3


def peak_rss() -> float:
    """This process's peak resident memory in bytes (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return float(line.split()[1]) * 1024
    return 0.0


def passages(data_dir: Path) -> list[str]:
    """The passage texts of the generation serving in ``data_dir``."""
    version = (data_dir / "CURRENT").read_text(encoding="utf-8").strip()
    db = sqlite3.connect(data_dir / "generations" / version / "index.sqlite")
    try:
        return [row[0] for row in db.execute("SELECT text FROM passages ORDER BY id")]
    finally:
        db.close()


def measure(model: str, texts: list[str], questions: list[str], n: int, seconds: float) -> dict[str, Any]:
    """In the child process: txtai's load, index, latency and throughput figures."""
    started = time.perf_counter()
    from txtai import Embeddings

    # content=False: txtai's content store (SQLite) refuses concurrent searches from threads
    embeddings = Embeddings(path=model, method="sentence-transformers", content=False, backend="faiss",
                            instructions={"query": "query: ", "data": "passage: "})
    loaded = time.perf_counter()
    embeddings.index([(i, text, None) for i, text in enumerate(texts)])
    indexed = time.perf_counter()
    for question in questions[:10]:
        embeddings.search(question, 3)
    single = []
    for question in islice(cycle(questions), n):
        start = time.perf_counter()
        embeddings.search(question, 3)
        single.append(time.perf_counter() - start)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    def user(number: int) -> None:
        for question in islice(cycle(questions), number, None):
            if time.perf_counter() >= deadline:
                return
            start = time.perf_counter()
            embeddings.search(question, 3)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(USERS) as pool:
        list(pool.map(user, range(USERS)))
    threaded = time.perf_counter() - start
    batch = list(islice(cycle(questions), USERS))
    start = time.perf_counter()
    rounds = 0
    while time.perf_counter() - start < seconds / 2 or rounds == 0:
        embeddings.batchsearch(batch, 3)
        rounds += 1
    batched = time.perf_counter() - start
    return {"load_s": loaded - started, "index_s": indexed - loaded, "passages": len(texts),
            "p50": percentile(single, 50), "p95": percentile(single, 95),
            "threads_rate": len(latencies) / threaded, "threads_p95": percentile(latencies, 95),
            "batch_rate": rounds * USERS / batched, "rss": peak_rss()}


def measure_ours(data_dir: str, questions: list[str], n: int, seconds: float) -> dict[str, Any]:
    """In the child process: the engine's load, latency and batched throughput figures."""
    import asyncio
    import dataclasses

    from index import Engine, load_index_config

    async def run() -> dict[str, Any]:
        started = time.perf_counter()
        config = dataclasses.replace(load_index_config(), corpus_dir=workload.STORY_DIR,
                                     data_dir=Path(data_dir))
        engine = await Engine.open(config, build_if_missing=False)
        loaded = time.perf_counter()
        try:
            for question in questions[:10]:
                await engine.ask(question)
            single = []
            for question in islice(cycle(questions), n):
                start = time.perf_counter()
                await engine.ask(question)
                single.append(time.perf_counter() - start)
            batch = list(islice(cycle(questions), USERS))
            start, rounds = time.perf_counter(), 0
            while time.perf_counter() - start < seconds / 2 or rounds == 0:
                await asyncio.gather(*(engine.ask(q) for q in batch))
                rounds += 1
            batched = time.perf_counter() - start
        finally:
            await engine.close()
        return {"load_s": loaded - started, "p50": percentile(single, 50), "p95": percentile(single, 95),
                "batch_rate": rounds * USERS / batched, "rss": peak_rss(), "backend": config.backend}

    return asyncio.run(run())


def _child(work: Path, job: dict[str, Any], side: str) -> dict[str, Any] | str:
    """One worker process's figures, or the last line of its error."""
    path = work / f"peer-job-{side}.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bench.peer", side, str(path)], cwd=workload.ROOT,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return lines[-1][:100] if lines else f"exit {done.returncode}"
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def section(report: Report, work: Path, *, quick: bool) -> None:
    """Run ours and txtai in alternating worker processes and add both and their ratios to ``report``."""
    from index import load_index_config
    from index.model.prepare import prepare_model

    model = str(prepare_model(load_index_config()))
    questions = [q for q, _ in workload.questions()]
    n, seconds = (60, 4.0) if quick else (200, 10.0)
    theirs_job = {"model": model, "texts": passages(work / "story-data"), "questions": questions, "n": n,
                  "seconds": seconds}
    ours_job = {"data_dir": str(work / "story-data"), "questions": questions, "n": n, "seconds": seconds}
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for _ in range(1 if quick else BLOCKS):
        ours, theirs = _child(work, ours_job, "ours"), _child(work, theirs_job, "txtai")
        if isinstance(ours, str) or isinstance(theirs, str):
            report.add("peer", "ours vs txtai", "failed", str(ours if isinstance(ours, str) else theirs))
            return
        pairs.append((ours, theirs))
    import txtai

    name = f"txtai {getattr(txtai, '__version__', '')}".strip()

    def med(side: int, key: str) -> float:
        return median([pair[side][key] for pair in pairs])

    rate_ratio = median([o["batch_rate"] / t["batch_rate"] for o, t in pairs])
    p50_ratio = median([o["p50"] / t["p50"] for o, t in pairs])
    blocks = f"median of {len(pairs)} block pairs (ours, txtai, ours, txtai ...)"
    report.add("peer", f"ours ({pairs[0][0]['backend']}): engine p50 / p95, 1 user",
               f"{ms(med(0, 'p50'))} / {ms(med(0, 'p95'))}",
               f"{p50_ratio:.2f} x txtai's p50; RSS {mb(max(o['rss'] for o, _ in pairs))}")
    peer_rss = mb(max(t["rss"] for _, t in pairs))
    report.add("peer", f"{name}: search p50 / p95, 1 user", f"{ms(med(1, 'p50'))} / {ms(med(1, 'p95'))}",
               f"same questions; {pairs[0][1]['passages']} passages; RSS {peer_rss}")
    report.target("peer", f"ours: engine, {USERS} questions in flight",
                  f"{med(0, 'batch_rate'):.1f} answers/s", ">= 2.5 x txtai batchsearch", rate_ratio >= 2.5,
                  f"{rate_ratio:.2f} x txtai; {blocks}")
    report.add("peer", f"{name}: batchsearch of {USERS}", f"{med(1, 'batch_rate'):.1f} answers/s",
               "txtai's own batching (no bot around it)")
    report.add("peer", f"{name}: {USERS} users (threads)", f"{med(1, 'threads_rate'):.1f} answers/s",
               f"p95 {ms(med(1, 'threads_p95'))}")


def main(argv: list[str]) -> int:
    """``python -m bench.peer ours|txtai JOB.json``: that side's figures as JSON on stdout."""
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    if argv[0] == "ours":
        result = measure_ours(job["data_dir"], job["questions"], job["n"], job["seconds"])
    else:
        result = measure(job["model"], job["texts"], job["questions"], job["n"], job["seconds"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The peer: txtai over the same model folder, passages and questions, beside our figures.

txtai (pinned in requirements-bench.txt, which `make bench` installs) runs in its own process: it
indexes the story's passages (as our index holds them) with the same sentence-transformers folder
and the e5 prompts, then answers the same questions with ``Embeddings.search`` - one user one
question at a time, 50 users as 50 threads (txtai is synchronous), and its own batching,
``batchsearch`` of 50 questions. txtai returns ids and scores only (no content store): it does less
per question than the bot, which also runs keyword search, fusion, sentence highlighting and
rendering.
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
from .report import Report, ms, percentile

USERS = 50


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
            "batch_rate": rounds * USERS / batched}


def section(report: Report, work: Path, *, quick: bool) -> None:
    """Run txtai in a child process and add its figures to ``report``."""
    from index import load_index_config
    from index.model.prepare import prepare_model

    model = str(prepare_model(load_index_config()))
    job = {"model": model, "texts": passages(work / "story-data"),
           "questions": [q for q, _ in workload.questions()], "n": 60 if quick else 200,
           "seconds": 4.0 if quick else 10.0}
    path = work / "peer-job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bench.peer", str(path)], cwd=workload.ROOT,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1][:100] if done.stderr.strip() else ""
        report.add("peer", "txtai", "failed", reason)
        return
    found = json.loads(done.stdout.strip().splitlines()[-1])
    import txtai

    name = f"txtai {getattr(txtai, '__version__', '')}".strip()
    report.add("peer", f"{name}: search p50 / p95, 1 user", f"{ms(found['p50'])} / {ms(found['p95'])}",
               f"same model folder and questions; {found['passages']} passages; load {found['load_s']:.1f} s")
    report.add("peer", f"{name}: {USERS} users (threads)", f"{found['threads_rate']:.1f} answers/s",
               f"p95 {ms(found['threads_p95'])}")
    report.add("peer", f"{name}: batchsearch of {USERS}", f"{found['batch_rate']:.1f} answers/s",
               "txtai's own batching (no bot around it)")


def main(argv: list[str]) -> int:
    """``python -m bench.peer JOB.json``: txtai's figures as JSON on stdout."""
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = measure(job["model"], job["texts"], job["questions"], job["n"], job["seconds"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

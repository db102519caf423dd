"""The floor: what the embedding model alone costs, which no answer can beat.

``encode_one`` times one question per call (the single-user floor); ``batch_rate`` measures how many
texts per second the model encodes in batches of a given size (the ceiling for throughput and for
index builds).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from itertools import cycle, islice

from index import Embedder

from .report import Report, median, ms, percentile

WARM_UP = 10
BATCHES = (1, 8, 32, 64, 128)
BATCHES_QUICK = (1, 32)


def encode_one(embedder: Embedder, questions: Sequence[str], n: int = 200) -> list[float]:
    """Seconds to encode each of ``n`` questions alone (after a warm-up), cycling the list."""
    for text in islice(cycle(questions), WARM_UP):
        embedder.encode([text], query=True)
    times = []
    for text in islice(cycle(questions), n):
        start = time.perf_counter()
        embedder.encode([text], query=True)
        times.append(time.perf_counter() - start)
    return times


def batch_rate(embedder: Embedder, texts: Sequence[str], batch: int, *, query: bool,
               seconds: float = 3.0) -> float:
    """Texts encoded per second in batches of ``batch`` (one warm-up batch, then ~``seconds``)."""
    source = cycle(texts)
    embedder.encode(list(islice(source, batch)), query=query)
    done = 0
    start = time.perf_counter()
    while True:
        embedder.encode(list(islice(source, batch)), query=query)
        done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def section(report: Report, embedder: Embedder, questions: Sequence[str], *, quick: bool) -> float:
    """Add the floor and the batch rates to ``report``; return the floor (median seconds)."""
    times = encode_one(embedder, questions, 50 if quick else 200)
    floor = median(times)
    report.add("floor", f"encode 1 question (median of {len(times)})", ms(floor),
               f"p95 {ms(percentile(times, 95))}")
    for batch in (BATCHES_QUICK if quick else BATCHES):
        rate = batch_rate(embedder, questions, batch, query=True, seconds=1.5 if quick else 3.0)
        report.add("floor", f"encode questions, batches of {batch}", f"{rate:.0f} q/s")
    return floor

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

from . import workload
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


def versus(report: Report, shipped: Embedder, torch: Embedder, questions: Sequence[str],
           blocks: int = 10, per_block: int = 20) -> float:
    """Encode one question at a time on the shipped backend and on torch float32 in alternating
    blocks (shipped, torch, shipped, torch, ...), so machine drift hits both; add the median of the
    per-block-pair ratios to ``report`` and return it."""
    for embedder in (shipped, torch):
        encode_one(embedder, questions, WARM_UP)
    ratios, ours, theirs = [], [], []
    for block in range(blocks):
        texts = list(islice(cycle(questions), block * per_block, (block + 1) * per_block))
        mine, other = encode_one(shipped, texts, per_block), encode_one(torch, texts, per_block)
        ours += mine
        theirs += other
        ratios.append(median(mine) / median(other))
    ratio = median(ratios)
    report.add("floor", f"encode 1 question, torch float32 (median of {len(theirs)})", ms(median(theirs)),
               f"p95 {ms(percentile(theirs, 95))}; {torch.name}")
    report.target("floor", f"encode 1 question, shipped backend (median of {len(ours)})", ms(median(ours)),
                  "<= 0.5 x torch", ratio <= 0.5,
                  f"{ratio:.2f} x torch (median of {blocks} block pairs); {shipped.name}")
    return ratio


def fidelity(report: Report, shipped: Embedder, torch: Embedder) -> None:
    """Add the cosine between the shipped backend's vectors and torch float32's: on every paragraph
    of the bundled story (as passages) and on XQuAD's German and English questions, where the
    shared benchmark is present."""
    import json

    import numpy as np

    story = [p.strip() for p in (workload.STORY_DIR / "durov-telegram.de.txt").read_text(
        encoding="utf-8").split("\n\n") if p.strip()]
    sets: list[tuple[str, list[str], bool]] = [("story paragraphs, as passages", story, False)]
    xquad = workload.ROOT.parent / "shared" / "data" / "xquad"
    for lang in ("de", "en"):
        path = xquad / f"xquad.{lang}.json"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            sets.append((f"XQuAD {lang} questions", [qa["question"] for a in data["data"]
                                                     for p in a["paragraphs"] for qa in p["qas"]], True))
    for label, texts, query in sets:
        ours, theirs = shipped.encode(texts, query=query), torch.encode(texts, query=query)
        cosine = np.sum(ours * theirs, axis=1)
        report.add("floor", f"cosine to torch float32: {label}", f"min {cosine.min():.5f}",
                   f"mean {cosine.mean():.5f} over {len(texts)} texts")


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


def section(report: Report, times: Sequence[float]) -> float:
    """Add the floor to ``report``; return it (median seconds)."""
    floor = median(times)
    report.add("floor", f"encode 1 question (median of {len(times)})", ms(floor),
               f"p95 {ms(percentile(times, 95))}")
    return floor


def rates(report: Report, embedder: Embedder, questions: Sequence[str], *, quick: bool) -> dict[int, float]:
    """Add the model's batch encode rates for questions to ``report``; return them by batch size."""
    found = {}
    for batch in (BATCHES_QUICK if quick else BATCHES):
        found[batch] = batch_rate(embedder, questions, batch, query=True, seconds=1.5 if quick else 3.0)
        report.add("floor", f"encode questions, batches of {batch}", f"{found[batch]:.0f} q/s")
    return found


def tokenizer_share(embedder: Embedder, questions: Sequence[str], batch: int = 64,
                    rounds: int = 5) -> tuple[float, float] | None:
    """(tokenizer seconds, whole encode seconds) for a batch of ``batch`` questions (medians of
    ``rounds``), or None if the embedder has no Hugging Face tokenizer to time."""
    tokenizer = getattr(embedder, "tokenizer", None)
    if tokenizer is None:
        return None
    texts = list(islice(cycle(questions), batch))
    tokenize, whole = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        if hasattr(tokenizer, "ids"):  # the onnx backend's tokenizer: ids per text
            [tokenizer.ids(text) for text in texts]
        else:  # a Hugging Face tokenizer, as sentence-transformers calls it
            tokenizer(texts, padding=True, truncation=True)
        tokenize.append(time.perf_counter() - start)
        start = time.perf_counter()
        embedder.encode(texts, query=True)
        whole.append(time.perf_counter() - start)
    return median(tokenize), median(whole)


def profile(report: Report, embedder: Embedder, questions: Sequence[str]) -> None:
    """Add where the model's time goes: the tokenizer's share of one question and of a batch."""
    for batch in (1, 64):
        found = tokenizer_share(embedder, questions, batch)
        if found is None:
            return
        tokenize, whole = found
        report.add("floor", f"  of which tokenizer, batch of {batch}", f"{ms(tokenize / batch)} per question",
                   f"{tokenize / whole:.0%} of encode ({ms(whole)} per batch); ceiling "
                   f"{batch / tokenize:.0f} q/s on one core")

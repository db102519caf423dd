"""Micro-batching of question encodings.

Questions that arrive within ``wait_ms`` of each other are encoded as one batch in one worker
thread call; a question alone in the queue is encoded at once, without the wait. At most one
encode runs at a time, and questions arriving meanwhile form the next batch. An error in an
encode is raised to every question of that batch.

A lone question whose encoding is known to be quick (the last lone encode took at most
``INLINE_SECONDS``: the onnx backend, about 5 ms) is encoded on the event loop itself: handing it
to a worker thread and back costs 0.1-0.5 ms, a tenth of the encode. Questions that arrive while
it runs wait for it and then go together, to a worker thread, as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from .concurrency import run_sync

EncodeFn = Callable[[list[str]], np.ndarray]
INLINE_SECONDS = 0.010  # a lone encode at most this long runs on the event loop


class QueryBatcher:
    """``await batcher.encode(text)`` -> that text's vector, computed together with its neighbours'."""

    def __init__(self, encode_fn: EncodeFn, wait_ms: float, max_batch: int = 64, *,
                 inline_seconds: float = INLINE_SECONDS) -> None:
        self._encode_fn = encode_fn
        self._wait = max(0.0, wait_ms) / 1000.0
        self._max_batch = max(1, max_batch)
        self._inline = inline_seconds
        self._lone: float | None = None  # seconds the last lone question took to encode
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._worker: asyncio.Task[None] | None = None
        self.inline_encodes = 0  # lone questions encoded on the event loop (for tests and figures)

    async def encode(self, text: str) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((text, future))
        if self._worker is None:
            self._worker = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self._pending:
                if self._wait and len(self._pending) > 1:
                    # others are asking too: collect a little longer; a lone question goes at once
                    await asyncio.sleep(self._wait)
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                batch = [(text, fut) for text, fut in batch if not fut.done()]
                if not batch:
                    continue
                try:
                    vectors = await self._encode([text for text, _ in batch])
                    if len(vectors) != len(batch):
                        raise RuntimeError(f"encoder returned {len(vectors)} vectors for {len(batch)}")
                except BaseException as exc:
                    error = exc if isinstance(exc, Exception) else RuntimeError("the index is closing")
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(error)
                    if error is not exc:
                        raise
                    continue
                for (_, fut), vector in zip(batch, vectors, strict=True):
                    if not fut.done():
                        fut.set_result(vector)
        finally:
            self._worker = None

    async def _encode(self, texts: list[str]) -> np.ndarray:
        if len(texts) > 1:
            return await run_sync(self._encode_fn, texts)
        inline = self._lone is not None and self._lone <= self._inline
        if inline:
            self.inline_encodes += 1
            start = time.perf_counter()
            vectors = self._encode_fn(texts)
            self._lone = time.perf_counter() - start
            return vectors
        vectors, self._lone = await run_sync(_timed, self._encode_fn, texts)
        return vectors

    async def close(self) -> None:
        """Stop the worker; questions still waiting get ``RuntimeError``."""
        worker = self._worker
        if worker is not None:
            worker.cancel()
            try:
                await worker
            except asyncio.CancelledError:
                pass
        for _, fut in self._pending:
            if not fut.done():
                fut.set_exception(RuntimeError("the index is closing"))
        self._pending.clear()


def _timed(encode_fn: EncodeFn, texts: list[str]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    vectors = encode_fn(texts)
    return vectors, time.perf_counter() - start

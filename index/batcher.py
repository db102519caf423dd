"""Micro-batching of question encodings.

Questions that arrive within ``wait_ms`` of each other are encoded as one batch in one worker
thread call; a question alone in the queue is encoded at once, without the wait. At most one
encode runs at a time, and questions arriving meanwhile form the next batch. An error in an
encode is raised to every question of that batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from .concurrency import run_sync

EncodeFn = Callable[[list[str]], np.ndarray]


class QueryBatcher:
    """``await batcher.encode(text)`` -> that text's vector, computed together with its neighbours'."""

    def __init__(self, encode_fn: EncodeFn, wait_ms: float, max_batch: int = 64) -> None:
        self._encode_fn = encode_fn
        self._wait = max(0.0, wait_ms) / 1000.0
        self._max_batch = max(1, max_batch)
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._worker: asyncio.Task[None] | None = None

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
                    vectors = await run_sync(self._encode_fn, [text for text, _ in batch])
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

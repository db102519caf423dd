"""Micro-batching: concurrent questions are encoded together, one encode at a time."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from index.batcher import QueryBatcher


class Recorder:
    """An encode function that records its batches and checks no two run at once."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail
        self._busy = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not self._busy.acquire(blocking=False):
            raise AssertionError("two encodes ran at the same time")
        try:
            self.batches.append(list(texts))
            if self.fail:
                raise RuntimeError("encoder down")
            return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)
        finally:
            self._busy.release()


async def test_questions_arriving_together_are_encoded_as_one_batch() -> None:
    recorder = Recorder()
    batcher = QueryBatcher(recorder, wait_ms=5)
    texts = ["a", "bb", "ccc", "dddd"]
    vectors = await asyncio.gather(*(batcher.encode(t) for t in texts))
    assert recorder.batches == [texts]
    assert [float(v[0]) for v in vectors] == [1.0, 2.0, 3.0, 4.0]  # each gets its own row


async def test_many_questions_never_run_two_encodes_at_once() -> None:
    recorder = Recorder()
    batcher = QueryBatcher(recorder, wait_ms=0, max_batch=3)
    texts = [f"q{i}" * (i + 1) for i in range(20)]
    vectors = await asyncio.gather(*(batcher.encode(t) for t in texts))
    assert [float(v[0]) for v in vectors] == [float(len(t)) for t in texts]
    assert sorted(t for batch in recorder.batches for t in batch) == sorted(texts)
    assert all(len(batch) <= 3 for batch in recorder.batches)


async def test_an_encoder_error_reaches_every_waiting_question() -> None:
    batcher = QueryBatcher(Recorder(fail=True), wait_ms=1)
    results = await asyncio.gather(batcher.encode("a"), batcher.encode("b"), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and "encoder down" in str(r) for r in results)


async def test_the_batcher_works_again_after_an_error() -> None:
    recorder = Recorder(fail=True)
    batcher = QueryBatcher(recorder, wait_ms=0)
    with pytest.raises(RuntimeError):
        await batcher.encode("a")
    recorder.fail = False
    assert float((await batcher.encode("abc"))[0]) == 3.0


async def test_a_cancelled_question_does_not_disturb_the_others() -> None:
    batcher = QueryBatcher(Recorder(), wait_ms=5)
    doomed = asyncio.create_task(batcher.encode("xx"))
    kept = asyncio.create_task(batcher.encode("yyy"))
    await asyncio.sleep(0)  # one scheduling turn (not a timed wait): both tasks register
    doomed.cancel()
    assert float((await kept)[0]) == 3.0
    assert doomed.cancelled()


class ThreadRecorder(Recorder):
    """A Recorder that also notes the thread each encode ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.threads.append(threading.get_ident())
        return super().__call__(texts)


async def test_a_lone_quick_question_is_encoded_on_the_event_loop_once_it_is_known_quick() -> None:
    recorder = ThreadRecorder()
    batcher = QueryBatcher(recorder, wait_ms=0, inline_seconds=60.0)
    loop_thread = threading.get_ident()
    for text in ("a", "bb", "ccc"):
        assert float((await batcher.encode(text))[0]) == float(len(text))
    # the first lone encode is timed in a worker thread; once known quick, lone ones stay on the loop
    assert recorder.threads[0] != loop_thread
    assert recorder.threads[1:] == [loop_thread, loop_thread]
    assert batcher.inline_encodes == 2


async def test_a_slow_encoder_and_a_batch_always_go_to_a_worker_thread() -> None:
    recorder = ThreadRecorder()
    slow = QueryBatcher(recorder, wait_ms=0, inline_seconds=-1.0)  # every encode counts as slow
    for text in ("a", "bb", "ccc"):
        await slow.encode(text)
    quick = QueryBatcher(recorder, wait_ms=1, inline_seconds=60.0)
    await quick.encode("known quick now")
    await asyncio.gather(*(quick.encode(t) for t in ("x", "yy", "zzz")))
    loop_thread = threading.get_ident()
    assert slow.inline_encodes == 0 and quick.inline_encodes == 0
    assert recorder.batches[-1] == ["x", "yy", "zzz"]
    assert loop_thread not in recorder.threads


async def test_an_inline_encoder_error_reaches_the_question_and_the_batcher_recovers() -> None:
    recorder = Recorder()
    batcher = QueryBatcher(recorder, wait_ms=0, inline_seconds=60.0)
    await batcher.encode("warm")  # timed in a thread: quick
    recorder.fail = True
    with pytest.raises(RuntimeError, match="encoder down"):
        await batcher.encode("a")
    recorder.fail = False
    assert float((await batcher.encode("abcd"))[0]) == 4.0
    assert batcher.inline_encodes == 2

"""Blocking work leaves the event loop here, and only here (as starlette's ``run_in_threadpool``).

Encoding, FAISS search, chunking, file and folder work run in a worker thread through ``run_sync``;
SQLite goes through aiosqlite, which has its own thread, and is never wrapped again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def run_sync(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func(*args, **kwargs)`` in a worker thread and return its result."""
    return await asyncio.to_thread(func, *args, **kwargs)

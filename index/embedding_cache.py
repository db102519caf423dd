"""The embedding cache (``cache.sqlite``): a text embedded once is never embedded again.

Keyed by (model name, sha256 of the exact text, kind ``passage``/``sentence``); the value is the
float32 vector. A build opens it, looks up every text, encodes only the missing ones and stores them.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiosqlite
import numpy as np

from . import migrations
from .concurrency import run_sync

_CHUNK = 500  # ids per query, below SQLite's parameter limit
log = logging.getLogger(__name__)


class EmbeddingCache:
    """Vectors by (model, text hash, kind), in one SQLite file."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def open(cls, path: Path) -> EmbeddingCache:
        """Open (creating if needed) the cache; a damaged file is only a cache: it is logged,
        deleted and started afresh (its texts are encoded again)."""
        try:
            return cls(await _connect(path))
        except sqlite3.DatabaseError as exc:
            log.warning("the embedding cache %s is damaged (%s): starting a new one", path, exc)
            for suffix in ("", "-wal", "-shm", "-journal"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
        return cls(await _connect(path))

    async def close(self) -> None:
        await self._db.close()

    async def get_many(self, model: str, kind: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``hashes``."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), _CHUNK):
            part = unique[i : i + _CHUNK]
            sql = ("SELECT sha256, vector FROM embeddings WHERE model = ? AND kind = ? "
                   f"AND sha256 IN ({','.join('?' * len(part))})")
            async with self._db.execute(sql, (model, kind, *part)) as cursor:
                async for sha, blob in cursor:
                    found[sha] = np.frombuffer(blob, dtype="<f4").copy()
        return found

    async def put_many(self, model: str, kind: str, vectors: Mapping[str, np.ndarray]) -> None:
        rows = [
            (model, sha, kind, np.asarray(v, dtype="<f4").tobytes()) for sha, v in vectors.items()
        ]
        await self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)
        await self._db.commit()


async def _connect(path: Path) -> aiosqlite.Connection:
    await run_sync(migrations.migrate_file, path, migrations.CACHE)
    return await aiosqlite.connect(path)

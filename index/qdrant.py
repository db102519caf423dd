"""Passage vectors in Qdrant (``[index] vector_store = "qdrant"``), for corpora past one machine.

Each generation gets a collection of its own, ``<qdrant_collection>-<version>``: one point per
passage, the point id the passage's SQLite row id, dot product on the normalized vectors (the
scores FAISS gives). The generation folder keeps a small ``vectors.qdrant.json`` naming the
collection, in place of ``vectors.faiss``, so the manifest's checksums still cover everything the
folder says; a pruned or failed generation's collection is deleted with it. Search is exact for
``index_type = "flat"`` (``SearchParams(exact=True)``) and Qdrant's HNSW otherwise. The sentence
vectors of the highlight stay in the generation folder, memory-mapped (``sentences.npy``).

``qdrant_url`` empty: qdrant-client's local mode, in ``data_dir/qdrant`` (one process at a time:
it locks the folder; for tests and single-machine use). A server or cluster: ``qdrant_url`` (env
``QDRANT_URL``), its API key in the environment only (``QDRANT_API_KEY``); collections are made
with vectors on disk (``on_disk``), for scalar quantization and shards see the README.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MARKER = "vectors.qdrant.json"
UPSERT_BATCH = 1000
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def client(url: str, data_dir: Path) -> Any:
    """One client per server, or per local folder, for the whole process (local mode locks it)."""
    key = url or str((data_dir / "qdrant").resolve())
    with _clients_lock:
        if key not in _clients:
            from qdrant_client import QdrantClient

            if url:
                _clients[key] = QdrantClient(url=url, api_key=os.environ.get("QDRANT_API_KEY") or None,
                                             check_compatibility=False)  # no request before the first use
            else:
                (data_dir / "qdrant").mkdir(parents=True, exist_ok=True)
                _clients[key] = QdrantClient(path=key)
        return _clients[key]


def close_all() -> None:
    """Close every client this process opened (local mode releases its folder lock)."""
    with _clients_lock:
        for opened in _clients.values():
            opened.close()
        _clients.clear()


class QdrantVectors:
    """The ``VectorIndex`` operations the engine uses (``ntotal``, ``dim``, ``search``, ``vectors``)
    over one collection."""

    def __init__(self, qdrant: Any, collection: str, dim: int, count: int, exact: bool | None) -> None:
        self._client, self.collection = qdrant, collection
        self._dim, self._count, self._exact = dim, count, exact
        self._lock = threading.Lock()  # local mode keeps plain Python structures

    @classmethod
    def build(cls, qdrant: Any, collection: str, vectors: np.ndarray, ids: np.ndarray, *,
              exact: bool | None, on_disk: bool) -> QdrantVectors:
        """Create ``collection`` (replacing a leftover of the same name) with one point per id.
        ``exact``: ask a server for exact search (True) or its HNSW (False); None in local mode,
        which always searches exactly."""
        from qdrant_client import models

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if qdrant.collection_exists(collection):
            qdrant.delete_collection(collection)
        qdrant.create_collection(collection, vectors_config=models.VectorParams(
            size=int(vectors.shape[1]), distance=models.Distance.DOT, on_disk=on_disk))
        for start in range(0, len(ids), UPSERT_BATCH):
            chunk = slice(start, start + UPSERT_BATCH)
            qdrant.upsert(collection, points=models.Batch(
                ids=[int(i) for i in ids[chunk]], vectors=vectors[chunk].tolist()), wait=True)
        return cls(qdrant, collection, int(vectors.shape[1]), len(ids), exact)

    @classmethod
    def open(cls, qdrant: Any, collection: str, *, exact: bool | None) -> QdrantVectors:
        """The existing ``collection``; ``ValueError`` if it is missing."""
        if not qdrant.collection_exists(collection):
            raise ValueError(f"the Qdrant collection {collection} is missing")
        info = qdrant.get_collection(collection)
        dim = int(info.config.params.vectors.size)
        count = int(qdrant.count(collection, exact=True).count)
        return cls(qdrant, collection, dim, count, exact)

    @property
    def ntotal(self) -> int:
        return self._count

    @property
    def dim(self) -> int:
        return self._dim

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """The ``k`` nearest ids with their inner products, per query row."""
        from qdrant_client import models

        rows = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = min(k, self._count)
        if k <= 0:
            return [[] for _ in range(len(rows))]
        params = None if self._exact is None else models.SearchParams(exact=self._exact)
        out = []
        for row in rows:
            with self._lock:
                found = self._client.query_points(self.collection, query=row.tolist(), limit=k,
                                                  search_params=params, with_payload=False).points
            out.append([(int(p.id), float(p.score)) for p in found])
        return out

    def vectors(self, ids: list[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, in that order."""
        wanted = [int(i) for i in ids]
        if not wanted:
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock:
            points = self._client.retrieve(self.collection, ids=wanted, with_vectors=True, with_payload=False)
        by_id = {int(p.id): p.vector for p in points}
        return np.array([by_id[i] for i in wanted], dtype=np.float32)


def write_marker(folder: Path, url: str, collection: str, count: int) -> None:
    """The generation's record of where its vectors are (never a secret: the key stays in the env)."""
    (folder / MARKER).write_text(json.dumps({"url": url, "collection": collection, "points": count}) + "\n",
                                 encoding="utf-8")


def read_marker(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("collection"), str):
        raise ValueError(f"{MARKER} does not name a collection")
    return data


def drop(folder: Path) -> None:
    """Delete the collection a generation folder's marker names (a pruned or failed generation)."""
    try:
        marker = read_marker(folder)
        qdrant = client(str(marker.get("url") or ""), folder.parent.parent)
        if qdrant.collection_exists(marker["collection"]):
            qdrant.delete_collection(marker["collection"])
    except Exception as exc:  # noqa: BLE001 - a server's errors share no base; pruning must not fail a build
        log.warning("could not delete the Qdrant collection of %s: %s", folder.name, exc)

"""The FAISS vector index: normalized vectors, inner product, ids = passage row ids.

Exact search (``IndexFlatIP``) for small corpora, HNSW (``IndexHNSWFlat``, inner product) for large
ones; both wrapped in ``IndexIDMap2`` so ids are the passages' SQLite ids and vectors can be read
back by id.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512  # recall@10 >= 0.95 at 1M passages (python -m bench --scale 1m)


def choose_type(index_type: str, count: int, hnsw_min_passages: int) -> str:
    """``flat`` or ``hnsw`` for a configured type (``auto`` picks by corpus size)."""
    if index_type == "auto":
        return "hnsw" if count >= hnsw_min_passages else "flat"
    return index_type


class VectorIndex:
    """A small wrapper over a FAISS ``IndexIDMap2``."""

    def __init__(self, index: faiss.IndexIDMap2) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, kind: str = "flat") -> VectorIndex:
        """Index ``vectors`` (one normalized row per id); ``kind`` is ``flat`` or ``hnsw``."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        inner: faiss.Index
        if kind == "hnsw":
            inner = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        elif kind == "flat":
            inner = faiss.IndexFlatIP(dim)
        else:
            raise ValueError(f"unknown vector index type {kind!r}")
        index = faiss.IndexIDMap2(inner)
        if len(vectors):
            index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        index = faiss.read_index(str(path))
        if not isinstance(index, faiss.IndexIDMap2):
            index = faiss.downcast_index(index)
        if not isinstance(index, faiss.IndexIDMap2):
            raise ValueError(f"{path.name} is not an id-mapped FAISS index")
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """The ``k`` nearest ids with their inner products, per query row."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = min(k, self.ntotal)
        if k <= 0:
            return [[] for _ in range(len(queries))]
        if len(queries) == 1:
            scores, ids = _one_thread(self._index.search, queries, k)
        else:
            scores, ids = self._index.search(queries, k)
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]

    def vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of ``ids`` (KeyError-free: every id must be in the index)."""
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for row, pid in enumerate(ids):
            out[row] = self._index.reconstruct(int(pid))
        return out


def _one_thread(search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]], queries: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray]:
    """One question's search on the calling thread alone. Waking FAISS's OpenMP threads for it
    costs more than the search, and right after an encode they wait for ONNX Runtime's spinning
    threads: 1.4 ms (p95 6 ms) instead of 0.06 ms on the story. The thread count is the calling
    thread's own (OpenMP keeps it per thread), so builds and batch searches keep theirs."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return search(queries, k)
    finally:
        faiss.omp_set_num_threads(threads)

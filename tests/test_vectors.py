"""The FAISS wrapper: ids are passage ids, inner product over normalized vectors, exact or HNSW."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.vectors import VectorIndex, choose_type


def _unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_search_returns_passage_ids_best_first(kind: str) -> None:
    vectors = _unit(50)
    ids = np.arange(1000, 1050)
    index = VectorIndex.build(vectors, ids, kind)
    hits = index.search(vectors[7], 5)[0]
    assert hits[0][0] == 1007
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(1000 <= pid < 1050 for pid, _ in hits)


def test_saved_index_loads_with_the_same_answers(tmp_path: Path) -> None:
    vectors = _unit(20)
    index = VectorIndex.build(vectors, np.arange(5, 25), "flat")
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert loaded.ntotal == 20 and loaded.dim == 16
    assert loaded.search(vectors[3], 3) == index.search(vectors[3], 3)


def test_stored_vectors_are_read_back_by_id() -> None:
    vectors = _unit(10)
    index = VectorIndex.build(vectors, np.arange(100, 110), "hnsw")
    assert np.allclose(index.vectors([104, 100]), vectors[[4, 0]])


def test_asking_for_more_hits_than_passages_returns_all() -> None:
    index = VectorIndex.build(_unit(3), np.array([1, 2, 3]), "flat")
    assert sorted(pid for pid, _ in index.search(_unit(1, seed=5), 10)[0]) == [1, 2, 3]


def test_an_empty_index_finds_nothing() -> None:
    index = VectorIndex.build(np.zeros((0, 16), dtype=np.float32), np.zeros(0, dtype=np.int64), "flat")
    assert index.ntotal == 0
    assert index.search(_unit(1), 5) == [[]]


def test_auto_picks_hnsw_only_for_large_corpora() -> None:
    assert choose_type("auto", 10, 200_000) == "flat"
    assert choose_type("auto", 200_000, 200_000) == "hnsw"
    assert choose_type("hnsw", 10, 200_000) == "hnsw"
    assert choose_type("flat", 10**7, 200_000) == "flat"


def test_unknown_index_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        VectorIndex.build(_unit(2), np.array([1, 2]), "ivf")


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_one_question_is_searched_on_one_thread_with_the_answers_of_a_batch(kind: str) -> None:
    import faiss

    vectors = _unit(300, seed=3)
    index = VectorIndex.build(vectors, np.arange(300), kind)
    before = faiss.omp_get_max_threads()
    batch = index.search(vectors[:4], 10)
    seen: list[int] = []
    real = index._index.search

    def spying(queries, k):  # type: ignore[no-untyped-def]
        seen.append(faiss.omp_get_max_threads())
        return real(queries, k)

    index._index.search = spying  # type: ignore[method-assign]
    singles = [index.search(vectors[i], 10)[0] for i in range(4)]
    index.search(vectors[:2], 10)
    assert singles == batch
    assert seen == [1, 1, 1, 1, before]  # one question: one thread; a batch: the thread's own count
    assert faiss.omp_get_max_threads() == before  # restored afterwards

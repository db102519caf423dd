"""Index generations: immutable, complete versions of the index, one folder each.

    data_dir/
        CURRENT                     name of the generation serving (replaced atomically)
        cache.sqlite                embedding cache
        generations/<version>/
            index.sqlite            documents, passages, FTS5 keywords
            vectors.faiss           passage vectors, ids = passage ids (or vectors.qdrant.json:
                                    the Qdrant collection holding them, ``qdrant.py``)
            sentences.npy           one vector per sentence of every passage (float16, memory-mapped:
                                    half the bytes of float32, and only the rows read stay in RAM)
            manifest.json           model, counts, file checksums: written last, marks it complete

A ``Generation`` is the loaded, verified form that answers questions. Swapping generations means
replacing one reference; each question holds the generation it started with (``use``), and a
retired generation closes its database once its last question is done.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import shutil
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np

from . import qdrant
from .concurrency import run_sync
from .language import words
from .models import Document, Passage
from .qdrant import QdrantVectors
from .store import Store
from .vectors import VectorIndex

log = logging.getLogger(__name__)

FILES = ("index.sqlite", "vectors.faiss", "sentences.npy")  # with vector_store = "faiss"
MANIFEST = "manifest.json"
KEEP = 2  # generations kept on disk: the serving one and the one before
LEAD_PARAGRAPHS = 2  # a document's lead: its first paragraphs
PASSAGE_CACHE = 4096  # passages a generation keeps in memory once read (it never changes)
INLINE_SEARCH = 20_000  # a FAISS index at most this large is searched on the event loop
_VERSION = re.compile(r"^g(\d{6,})$")


class InvalidGeneration(Exception):
    """A generation folder that must not be served; the message says what is wrong."""


def generations_dir(data_dir: Path) -> Path:
    return data_dir / "generations"


def read_current(data_dir: Path) -> str | None:
    try:
        name = (data_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return name if _VERSION.match(name) else None


def publish(data_dir: Path, version: str) -> None:
    """Make ``version`` the serving generation: write a temp file, fsync, rename over CURRENT."""
    tmp = data_dir / f"CURRENT.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(version + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, data_dir / "CURRENT")
    dir_fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def next_version(data_dir: Path) -> str:
    """A new version name, above every folder present (complete or not) and CURRENT's."""
    names = [p.name for p in _folders(data_dir)] + [read_current(data_dir) or ""]
    numbers = [int(m.group(1)) for name in names if (m := _VERSION.match(name))]
    return f"g{max(numbers, default=0) + 1:06d}"


def _folders(data_dir: Path) -> list[Path]:
    root = generations_dir(data_dir)
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def prune(data_dir: Path, keep: int = KEEP) -> None:
    """Delete all but the newest ``keep`` complete generations, and incomplete ones, never CURRENT."""
    current = read_current(data_dir)
    complete = [p for p in _folders(data_dir) if (p / MANIFEST).exists() and _VERSION.match(p.name)]
    keepers = {p.name for p in sorted(complete, key=lambda p: int(p.name[1:]))[-keep:]}
    for folder in _folders(data_dir):
        if folder.name != current and folder.name not in keepers:
            remove(folder)


def remove(folder: Path) -> None:
    """Delete a generation folder, and the Qdrant collection it names if it has one."""
    if (folder / qdrant.MARKER).exists():
        qdrant.drop(folder)
    shutil.rmtree(folder, ignore_errors=True)


def uses_qdrant(manifest: dict[str, Any]) -> bool:
    return str(manifest.get("vector_store", "faiss")).startswith("qdrant")


def files(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The files a generation's manifest covers: ``vectors.faiss`` or the Qdrant marker."""
    return tuple(qdrant.MARKER if name == "vectors.faiss" and uses_qdrant(manifest) else name
                 for name in FILES)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidGeneration(f"{folder.name}: no manifest (incomplete build)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidGeneration(f"{folder.name}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise InvalidGeneration(f"{folder.name}: malformed manifest")
    return manifest


def check_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file present with the size and checksum the manifest records."""
    for name in files(manifest):
        path = folder / name
        expected = manifest["files"].get(name) or {}
        if not path.exists():
            raise InvalidGeneration(f"{folder.name}: {name} is missing")
        if path.stat().st_size != expected.get("bytes"):
            raise InvalidGeneration(f"{folder.name}: {name} has the wrong size")
        if file_sha256(path) != expected.get("sha256"):
            raise InvalidGeneration(f"{folder.name}: {name} does not match its checksum")


class Generation:
    """One verified generation, loaded: database, vector index, sentence vectors, documents."""

    def __init__(self, folder: Path, manifest: dict[str, Any], store: Store,
                 vectors: VectorIndex | QdrantVectors, sentences: np.ndarray, layout: np.ndarray,
                 documents: list[Document], leads: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.version = folder.name
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.sentences = sentences
        # the same rows as a plain array: indexing a memory map wraps every slice in a new memmap
        self._sentence_rows = np.asarray(sentences)
        self._row_ids, self._row_start, self._row_count = layout[:, 0], layout[:, 1], layout[:, 2]
        self._doc, self._paragraph, self._boilerplate = layout[:, 3], layout[:, 4], layout[:, 5] != 0
        ids = self._row_ids
        # ids are ascending and unique; a fresh build numbers them without gaps, and then an id's
        # row is a subtraction away (a binary search otherwise)
        self._first_id = int(ids[0]) if len(ids) and int(ids[-1]) - int(ids[0]) == len(ids) - 1 else None
        self.documents = documents
        self.by_id = {d.id: d for d in documents}
        self._lead_words = {doc_id: set(words(text)) for doc_id, text in (leads or {}).items()}
        self._users = 0
        self._retired = False
        self._closed = asyncio.Event()
        self._passages: OrderedDict[int, Passage] = OrderedDict()  # least recently read first
        # searching a small in-memory index takes about 0.1 ms, less than a worker-thread hop;
        # a large one, or one behind a Qdrant server, is searched in a worker thread
        self.search_inline = isinstance(vectors, VectorIndex) and vectors.ntotal <= INLINE_SEARCH

    @classmethod
    async def open(cls, folder: Path, model: str, dim: int, vector_store: str = "faiss") -> Generation:
        """Load and verify ``folder``; raise ``InvalidGeneration`` saying what is wrong (also when it
        keeps its vectors elsewhere than ``vector_store`` says: ``faiss`` or ``qdrant [url]``)."""
        manifest = read_manifest(folder)
        if manifest.get("model") != model or manifest.get("dim") != dim:
            raise InvalidGeneration(
                f"{folder.name}: built with model {manifest.get('model')!r} (dim {manifest.get('dim')}), "
                f"serving needs {model!r} (dim {dim})"
            )
        kept = manifest.get("vector_store", "faiss")
        if kept != vector_store:
            raise InvalidGeneration(f"{folder.name}: its vectors are in {kept}, serving needs {vector_store}")
        try:
            await run_sync(check_files, folder, manifest)
            vectors, sentences = await run_sync(_load_arrays, folder, manifest)
            store = await Store.open(folder / "index.sqlite")
        except InvalidGeneration:
            raise
        except Exception as exc:
            raise InvalidGeneration(f"{folder.name}: cannot be loaded ({exc})") from exc
        try:
            pending = await store.pending_migrations()
            if pending:
                raise InvalidGeneration(f"{folder.name}: schema lacks {', '.join(pending)}")
            count = await store.count()
            if not vectors.ntotal == count == manifest.get("passages"):
                raise InvalidGeneration(
                    f"{folder.name}: {vectors.ntotal} vectors for {count} passages "
                    f"(manifest: {manifest.get('passages')})"
                )
            layout = await store.layout()
            if len(sentences) != manifest.get("sentences") or int(layout[:, 2].sum()) != len(sentences):
                raise InvalidGeneration(f"{folder.name}: sentence vectors do not match the passages")
            documents = await store.documents()
            leads = await store.leads(LEAD_PARAGRAPHS)
        except BaseException as exc:
            await store.close()
            if isinstance(exc, InvalidGeneration | asyncio.CancelledError):
                raise
            raise InvalidGeneration(f"{folder.name}: cannot be read ({exc})") from exc
        return cls(folder, manifest, store, vectors, sentences, layout, documents, leads)

    async def passages(self, ids: Sequence[int]) -> dict[int, Passage]:
        """The passages with these ids (missing ids are absent), the most recently read
        ``PASSAGE_CACHE`` from memory: a generation's passages never change."""
        found = {pid: self._passages[pid] for pid in ids if pid in self._passages}
        for pid in found:
            self._passages.move_to_end(pid)
        missing = [pid for pid in ids if pid not in found]
        if missing:
            read = await self.store.passages(missing)
            found.update(read)
            self._passages.update(read)
            while len(self._passages) > PASSAGE_CACHE:
                self._passages.popitem(last=False)
        return found

    def _position(self, passage_id: int) -> int | None:
        if self._first_id is not None:
            pos = passage_id - self._first_id
            return pos if 0 <= pos < len(self._row_ids) else None
        pos = int(self._row_ids.searchsorted(passage_id))
        return pos if pos < len(self._row_ids) and self._row_ids[pos] == passage_id else None

    def sentence_vectors(self, passage_id: int) -> np.ndarray:
        """The vectors of a passage's sentences, in order (empty if the id is unknown)."""
        pos = self._position(passage_id)
        if pos is None:
            return self._sentence_rows[:0]
        start = int(self._row_start[pos])
        return self._sentence_rows[start : start + int(self._row_count[pos])]

    def best_sentences(self, passage_ids: Sequence[int], query: np.ndarray,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each passage: the index of its sentence closest to ``query``, that cosine, and
        whether it has sentences at all (an unknown id has none): one product for all of them."""
        ids = np.asarray(passage_ids, dtype=np.int64)
        n = len(ids)
        best, cosine, has = np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n, dtype=bool)
        if n == 0 or len(self._row_ids) == 0:
            return best, cosine, has
        pos = np.minimum(np.searchsorted(self._row_ids, ids), len(self._row_ids) - 1)
        counts = np.where(self._row_ids[pos] == ids, self._row_count[pos], 0)
        has = counts > 0
        if not has.any():
            return best, cosine, has
        starts, counts = self._row_start[pos][has], counts[has]
        segment = np.repeat(np.arange(len(counts)), counts)
        first = np.cumsum(counts) - counts  # where each passage's sentences start among ``rows``
        rows = starts[segment] + np.arange(len(segment)) - first[segment]
        # in float64: a cosine then does not depend on which other sentences share the product
        sims = self._sentence_rows[rows].astype(np.float64) @ query.astype(np.float64)
        ranked = np.lexsort((-sims, segment))  # by passage, best sentence first (first of equals)
        top = ranked[first]
        best[has], cosine[has] = top - first, sims[top]
        return best, cosine, has

    def place(self, passage_id: int) -> tuple[str, int] | None:
        """(document id, paragraph) of a passage, None if the id is unknown."""
        pos = self._position(passage_id)
        return None if pos is None else (self.documents[int(self._doc[pos])].id, int(self._paragraph[pos]))

    def is_boilerplate(self, passage_id: int) -> bool:
        """True if the passage is publisher or distributor boilerplate (``boilerplate.py``)."""
        pos = self._position(passage_id)
        return pos is not None and bool(self._boilerplate[pos])

    def lead_words(self, doc_id: str) -> set[str]:
        """The words of a document's lead (its first ``LEAD_PARAGRAPHS`` paragraphs)."""
        return self._lead_words.get(doc_id, set())

    def passage_ids(self) -> np.ndarray:
        """Every passage id, ascending."""
        return self._row_ids

    @asynccontextmanager
    async def use(self) -> AsyncIterator[Generation]:
        """Hold this generation open for one question."""
        self._users += 1
        try:
            yield self
        finally:
            self._users -= 1
            if self._retired and self._users == 0:
                await self._close()

    async def retire(self) -> None:
        """Close once no question uses it any more (at once if none does)."""
        self._retired = True
        if self._users == 0:
            await self._close()

    async def _close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            await self.store.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


def _load_arrays(folder: Path, manifest: dict[str, Any]) -> tuple[VectorIndex | QdrantVectors, np.ndarray]:
    vectors: VectorIndex | QdrantVectors
    if uses_qdrant(manifest):
        marker = qdrant.read_marker(folder)
        url = str(marker.get("url") or "")
        exact = (manifest.get("index_type") == "flat") if url else None  # local mode is always exact
        vectors = QdrantVectors.open(qdrant.client(url, folder.parent.parent), marker["collection"],
                                     exact=exact)
    else:
        vectors = VectorIndex.load(folder / "vectors.faiss")
    sentences = np.load(folder / "sentences.npy", allow_pickle=False, mmap_mode="r")
    if sentences.ndim != 2 or sentences.dtype != np.float16:
        raise InvalidGeneration(f"{folder.name}: sentences.npy has the wrong shape or type")
    if sentences.shape[1] != vectors.dim and len(sentences):
        raise InvalidGeneration(f"{folder.name}: sentence vectors have the wrong dimension")
    return vectors, sentences

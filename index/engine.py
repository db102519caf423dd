"""The index as one object the bot (or CLI, or benchmark) opens once and asks many times.

All methods are coroutines: CPU-bound work (encoding, FAISS, building) runs in worker threads,
SQLite work through aiosqlite. ``ask`` may run concurrently with ``rebuild``: a rebuild writes a
new generation beside the serving one and swaps it in atomically when it is complete, so every
question is answered entirely from the old index or entirely from the new one.
"""

from __future__ import annotations

from .config import IndexConfig
from .embedder import Embedder
from .models import Answer, BuildReport, Context, Document

MAX_QUESTION_CHARS = 1000  # default; config.max_question_chars rules


class Engine:
    """Open with ``await Engine.open(config)``; close with ``await engine.close()``."""

    config: IndexConfig
    embedder: Embedder

    @classmethod
    async def open(
        cls,
        config: IndexConfig,
        embedder: Embedder | None = None,
        *,
        build_if_missing: bool = True,
        progress: bool = False,
    ) -> "Engine":
        """Load the embedder (unless given) and the newest complete index generation.

        With ``build_if_missing`` an absent, incomplete or corrupt index is (re)built from the
        corpus first (``progress`` shows a progress bar on stderr).
        """
        raise NotImplementedError

    async def close(self) -> None:
        """Release the database connections and worker threads."""
        raise NotImplementedError

    @property
    def version(self) -> str:
        """Name of the generation now serving."""
        raise NotImplementedError

    @property
    def rebuilding(self) -> bool:
        """True while a rebuild (reload, add, remove) is running."""
        raise NotImplementedError

    async def ask(self, question: str, *, k: int | None = None, offset: int = 0) -> Answer:
        """Answer a question with up to ``k`` hits starting at rank ``offset``.

        Empty or whitespace-only questions raise ``ValueError``; questions longer than
        ``config.max_question_chars`` are shortened and ``Answer.shortened`` is set.
        """
        raise NotImplementedError

    async def rebuild(self, *, progress: bool = False) -> BuildReport:
        """Rescan the corpus folder and rebuild incrementally; raise ``BuildInProgress`` if one runs,
        ``BuildError`` (old index still serving) if it fails."""
        raise NotImplementedError

    async def documents(self) -> list[Document]:
        """The documents in the serving index, in corpus order."""
        raise NotImplementedError

    async def context(self, passage_id: int) -> Context | None:
        """The passage with its neighbouring paragraphs, or None if the id is not in the index."""
        raise NotImplementedError

    async def add_document(
        self, filename: str, data: bytes, *, title: str | None = None, url: str | None = None
    ) -> tuple[Document, BuildReport]:
        """Validate an uploaded file, store it in the corpus folder under a safe generated name
        and index it. Raises ``DocumentError`` with the reason when it is rejected; nothing is
        written to the corpus then."""
        raise NotImplementedError

    async def remove_document(self, doc_id: str) -> BuildReport:
        """Remove a document from the corpus and the index; ``UnknownDocument`` if no such id."""
        raise NotImplementedError

"""The index as one object the bot (or CLI, or benchmark) opens once and asks many times.

All methods are coroutines: CPU-bound work (encoding, FAISS, building) runs in worker threads,
SQLite work through aiosqlite. ``ask`` may run concurrently with ``rebuild``: a rebuild writes a
new generation beside the serving one and swaps it in atomically when it is complete, so every
question is answered entirely from the old index or entirely from the new one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import build as builder
from . import followup, judge, links, phrases, search, suggestions
from . import generation as gen
from . import pins as pins_
from .batcher import QueryBatcher
from .concurrency import run_sync
from .config import IndexConfig
from .documents import load_corpus, store_upload
from .embedding_cache import EmbeddingCache
from .errors import BuildError, BuildInProgress, DocumentError, IndexError_, UnknownDocument
from .formats import Progress
from .model import Embedder
from .models import Answer, BuildReport, Document, Hit, PassageContext
from .ranking import REFERENCE_QUESTIONS, hub_baseline

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000  # default; config.max_question_chars rules


class Engine:
    """Open with ``await Engine.open(config)``; close with ``await engine.close()``."""

    config: IndexConfig
    embedder: Embedder

    def __init__(self, config: IndexConfig, embedder: Embedder, scorer: judge.Scorer | None = None) -> None:
        self.config = config
        self.embedder = embedder
        self._generation: gen.Generation | None = None
        self._lock = asyncio.Lock()
        self._batcher = QueryBatcher(self._encode_questions, config.batch_wait_ms)
        self.last_report: BuildReport | None = None  # of the most recent build, if any
        self._suggestions: tuple[str, tuple[suggestions.Suggestion, ...]] | None = None
        self._pin_vectors: dict[str, np.ndarray] = {}  # pinned question -> its vector
        self.scorer = scorer or judge.Scorer.load()
        self._references: judge.References | None = None  # encoded at open
        self._hub_baseline: tuple[gen.Generation, float] | None = None  # of the serving generation

    def _encode_questions(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts, query=True)

    @classmethod
    async def open(
        cls,
        config: IndexConfig,
        embedder: Embedder | None = None,
        *,
        build_if_missing: bool = True,
        progress: bool = False,
        scorer: judge.Scorer | None = None,
    ) -> Engine:
        """Load the embedder (unless given) and the newest complete index generation.

        With ``build_if_missing`` an absent, incomplete or corrupt index is (re)built from the
        corpus first (``progress`` shows a progress bar on stderr). ``scorer`` replaces the fitted
        answering judgement (``index/scorer.json``).
        """
        if embedder is None:
            from .model import load_embedder

            embedder = await run_sync(load_embedder, config)
        engine = cls(config, embedder, scorer)
        name, dim = engine.embedder.name, engine.embedder.dim
        await engine._load_references()
        problem = "no index yet"
        current = gen.read_current(config.data_dir)
        if current is not None:
            folder = gen.generations_dir(config.data_dir) / current
            try:
                engine._generation = await gen.Generation.open(folder, name, dim,
                                                                   config.vector_store_identity())
            except gen.InvalidGeneration as exc:
                problem = str(exc)
        await engine._recover_corpus()
        if engine._generation is None:
            if not build_if_missing:
                raise BuildError(f"the index cannot be served: {problem}; run `python -m index build`")
            log.warning("index not usable (%s): building it from %s", problem, config.corpus_dir)
            await engine.rebuild(progress=progress)
        return engine

    async def suggestions(self) -> tuple[suggestions.Suggestion, ...]:
        """The questions listed in the documents' metadata that the serving index answers from
        their own document (checked once per generation, ``suggestions.py``)."""
        version = self._serving().version
        if self._suggestions is None or self._suggestions[0] != version:
            self._suggestions = (version, await suggestions.check(self))
        return self._suggestions[1]

    async def _recover_corpus(self) -> None:
        """Finish or undo what a killed process left of an upload or a removal, as the serving index
        says: what it serves stays (it was published), what it does not serve is rolled back."""
        served = {Path(d.path).stem for d in self._generation.documents} if self._generation else None
        for action in await run_sync(recover_corpus, self.config.corpus_dir, served):
            log.warning("corpus: %s (left by an interrupted upload or removal)", action)

    async def follow(self) -> bool:
        """Serve the generation ``CURRENT`` names if another process (a replica's ``/reload``,
        ``python -m index build``) published a newer one: opened and verified first, swapped in
        like a rebuild's own (questions in flight finish on the old one, which is then retired).
        True if it switched; a generation that fails verification is logged and not served."""
        current = await run_sync(gen.read_current, self.config.data_dir)
        serving = self._generation.version if self._generation else None
        if current is None or current == serving or self._lock.locked():
            return False
        async with self._lock:
            folder = gen.generations_dir(self.config.data_dir) / current
            try:
                fresh = await gen.Generation.open(folder, self.embedder.name, self.embedder.dim,
                                                  self.config.vector_store_identity())
            except gen.InvalidGeneration as exc:
                log.error("not following the published index %s: %s", current, exc)
                return False
            previous, self._generation = self._generation, fresh
            if previous is not None:
                await previous.retire()
        log.info("now serving index %s, published by another process", current)
        return True

    async def close(self) -> None:
        """Release the database connections and worker threads."""
        await self._batcher.close()
        if self._generation is not None:
            await self._generation.retire()

    @property
    def version(self) -> str:
        """Name of the generation now serving."""
        return self._serving().version

    @property
    def rebuilding(self) -> bool:
        """True while a rebuild (reload, add, remove) is running."""
        return self._lock.locked()

    def _serving(self) -> gen.Generation:
        if self._generation is None:
            raise IndexError_("the index is not open")
        return self._generation

    async def _load_references(self) -> judge.References:
        """The reference messages' vectors (from the embedding cache after the first start)."""
        if self._references is None:
            path = self.config.data_dir / builder.CACHE_FILE
            await run_sync(path.parent.mkdir, parents=True, exist_ok=True)
            cache = await EmbeddingCache.open(path)
            try:
                groups = (REFERENCE_QUESTIONS, phrases.SMALL_TALK, phrases.WHOLE_STORY)
                vectors = [await builder.cached_queries(cache, self.embedder, list(g)) for g in groups]
            finally:
                await cache.close()
            self._references = judge.References(*vectors)
        return self._references

    async def ask(self, question: str, *, k: int | None = None, offset: int = 0,
                  previous: str | None = None, previous_passage: int | None = None,
                  pins: Sequence[pins_.Pin] = ()) -> Answer:
        """Answer a question with up to ``k`` hits starting at rank ``offset``.

        Empty or whitespace-only questions raise ``ValueError``; questions longer than
        ``config.max_question_chars`` are shortened and ``Answer.shortened`` is set. With the
        ``previous`` question of the conversation (and the passage that answered it), a follow-up
        (``followup.py``) is also read in its light, and answered that way when that answers
        better (``Answer.follow_up_of``). A question close to one an admin pinned a passage
        for (``pins.py``) is answered with that passage (``Answer.pinned``).
        """
        encoded = None
        if pins and offset == 0:
            pinned, encoded = await self._pinned(question, pins)
            if pinned is not None:
                return pinned
        leans = bool(previous and previous.strip()) and followup.leans_on(question)
        if leans and encoded is None:  # its vector serves the search alone and then the highlight
            encoded = await self._batcher.encode(question.strip())
        alone = await self._ask(question, k, offset, encoded)
        if not leans or previous is None or encoded is None or (
                alone.outcome == "answer" and followup.bare(question)):
            return alone  # a bare question the story answers as it stands ("Wer ist Durov?") stays so
        best = alone
        for reading in followup.readings(previous, alone.question):
            candidate = await self._ask(reading, k, offset, follow_up=True)
            if followup.prefer(candidate, best):
                best = candidate
        if best is alone:
            return alone
        settled = followup.near_previous(best, previous_passage, alone)
        settled = await self._highlight(settled, encoded)
        return replace(settled, follow_up_of=previous.strip()[:300])

    async def _highlight(self, answer: Answer, query: np.ndarray) -> Answer:
        """``answer`` with each passage's highlight moved to the sentence closest to ``query``, the
        follow-up's own vector: a follow-up read with the previous question's words is searched
        that way, but what it asks is in its own words ("Und wann kam er wieder frei?" highlights
        the release, not the arrest the passage was found by)."""
        if not answer.hits or answer.whole_story:
            return answer
        generation = self._serving()
        ids = [h.passage_id for h in answer.hits]
        async with generation.use():
            passages = await generation.passages(ids)
            indexes, _, found = generation.best_sentences(ids, query)
        hits = []
        for hit, index, known in zip(answer.hits, indexes.tolist(), found.tolist(), strict=True):
            passage = passages.get(hit.passage_id)
            if known and passage is not None and index < len(passage.sentences):
                hit = replace(hit, highlight=passage.sentences[index])
            hits.append(hit)
        return replace(answer, hits=tuple(hits))

    async def embed_questions(self, texts: Sequence[str]) -> np.ndarray:
        """Question vectors (unit length) of ``texts``, for grouping them (``pins.group``)."""
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.asarray(await run_sync(self.embedder.encode, list(texts), query=True), dtype=np.float32)

    async def _pinned(self, question: str, pins: Sequence[pins_.Pin]) -> tuple[Answer | None, np.ndarray]:
        """The answer from the pin nearest ``question``, if one is near and its passage still exists;
        and the question's vector, which the search then uses rather than encoding it again."""
        missing = [p.question for p in pins if p.question not in self._pin_vectors]
        if missing:
            self._pin_vectors.update(zip(missing, await self.embed_questions(missing), strict=True))
        query = await self._batcher.encode(question.strip())
        pin = pins_.closest_pin(query, pins, np.stack([self._pin_vectors[p.question] for p in pins]))
        if pin is None:
            return None, query
        generation = self._serving()
        async with generation.use():
            passage = await generation.store.passage_with_hash(pin.doc_id, pin.text_sha256)
            if passage is None or pin.doc_id not in generation.by_id:
                return None, query
            vectors = generation.sentence_vectors(passage.id)
            best = int(np.argmax(vectors @ query)) if len(vectors) else 0
            sentences = passage.sentences or ((0, len(passage.text)),)
            document = generation.by_id[pin.doc_id]
            highlight = sentences[min(best, len(sentences) - 1)]
            hit = Hit(passage.id, passage.doc_id, document.title, document.source, document.url,
                      passage.paragraph, passage.text, 1.0, highlight, passage.page, passage.on_page,
                      passage.section)
        return Answer(question=question.strip(), answered=True, hits=(hit,), confidence=1.0,
                      outcome="answer", language=search.guess_language(question), pinned=pin.question), query

    async def _ask(self, question: str, k: int | None, offset: int,
                   query: np.ndarray | None = None, *, follow_up: bool = False) -> Answer:
        question = question.strip()
        if not question:
            raise ValueError("empty question")
        limit = self.config.max_question_chars or MAX_QUESTION_CHARS
        shortened = len(question) > limit
        if shortened:
            question = question[:limit].rstrip()
        k = self.config.top_k if k is None else max(0, k)
        offset = max(0, offset)
        timings: dict[str, float] = {}
        generation = self._serving()
        references = await self._load_references()
        asked = judge.content_words(question)
        async with generation.use():
            language = search.guess_language(question)
            # the keyword look-ups (SQLite, on aiosqlite's thread) run while the question is encoded
            lookups = asyncio.ensure_future(self._lookups(generation, question, language, asked))
            clock = time.perf_counter()
            try:
                if query is None or shortened:  # ``query``: the vector of the whole stripped question
                    query = await self._batcher.encode(question)
            except BaseException:
                lookups.cancel()
                await asyncio.gather(lookups, return_exceptions=True)
                raise
            timings["encode"] = (now := time.perf_counter()) - clock
            keyword, counts = await lookups
            known = {stem for stem, held in counts.items() if held}
            timings["keyword"] = (clock := time.perf_counter()) - now  # what encoding did not hide
            about_source = search.names_source(question, generation.documents)
            if generation.search_inline:
                ranking = search.ranked(generation, query, keyword, language, about_source)
            else:
                ranking = await run_sync(search.ranked, generation, query, keyword, language, about_source)
            timings["search"] = (now := time.perf_counter()) - clock  # vector search and ranking
            runner = search.runner_up(ranking, generation)
            page = ranking[offset : offset + k]
            wanted = [r.passage_id for r in (*page, *ranking[:1])]
            passages = await generation.passages(list(dict.fromkeys(wanted)))
            top = ranking[0] if ranking else None
            top_text = passages[top.passage_id].text if top and top.passage_id in passages else ""
            evidence = judge.evidence(
                query, asked, search.top_evidence(ranking, generation), search.runner_evidence(runner),
                bool(top and top.cross_lingual), top_text, known, references,
                self._baseline(generation, references),
            )
            lead_words = search.lead_words(generation, top.passage_id) if top else set()
            outcome, confidence, whole = self.scorer.decide(
                evidence, who_is=not about_source and judge.asks_who_is(question, lead_words),
                general=judge.is_general(question, known, language), answer_at=self.config.threshold,
                follow_up=follow_up, boilerplate=bool(top and top.boilerplate and not about_source
                                                      and not followup.about_the_text(question)),
                distinctive=judge.names_only_this(counts, top_text))
            hits = tuple(
                search.hit(r, passages[r.passage_id], generation.by_id[passages[r.passage_id].doc_id])
                for r in page if r.passage_id in passages
            )
            if whole and top is not None and offset == 0:
                hits = await self._lead(generation, top.passage_id, k)
        timings["judge"] = time.perf_counter() - now
        return Answer(
            question=question, answered=outcome == "answer", hits=hits, shortened=shortened,
            language=language, timings=timings, confidence=confidence, outcome=outcome, whole_story=whole,
            evidence=evidence,
        )

    @staticmethod
    async def _lookups(generation: gen.Generation, question: str, language: str,
                       asked: Sequence[str]) -> tuple[list[int], dict[str, int]]:
        """The keyword candidates (German questions) and, for each of the question's stems, how
        many passages hold it (0, 1, or 2 for two or more)."""
        return await generation.store.lookups(question, language if search.use_keywords(language) else None,
                                              search.N_KEYWORD, judge.stems(asked))

    def _baseline(self, generation: gen.Generation, references: judge.References) -> float:
        """The serving generation's median hubness (worked out once per generation)."""
        if self._hub_baseline is None or self._hub_baseline[0] is not generation:
            self._hub_baseline = (generation, hub_baseline(generation.sentences, references.hubs))
        return self._hub_baseline[1]

    async def _lead(self, generation: gen.Generation, passage_id: int, k: int) -> tuple[Hit, ...]:
        """The first paragraphs of the document a passage belongs to, as hits (the first sentence
        highlighted): the answer to a question about the whole story."""
        place = generation.place(passage_id)
        if place is None:
            return ()
        document = generation.by_id[place[0]]
        hits = []
        for paragraph in range(1, max(1, min(k, gen.LEAD_PARAGRAPHS)) + 1):
            found = await generation.store.passage_at(document.id, paragraph, last=False)
            if found is not None:
                first = found.sentences[0] if found.sentences else (0, len(found.text))
                hits.append(Hit(found.id, found.doc_id, document.title, document.source, document.url,
                                found.paragraph, found.text, 1.0, first if paragraph == 1 else (0, 0),
                                found.page, found.on_page, found.section))
        return tuple(hits)

    async def rebuild(self, *, progress: bool = False) -> BuildReport:
        """Rescan the corpus folder and rebuild incrementally; raise ``BuildInProgress`` if one runs,
        ``BuildError`` (old index still serving) if it fails."""
        if self._lock.locked():
            raise BuildInProgress("a rebuild is already running")
        async with self._lock:
            return await self._rebuild(progress)

    async def _rebuild(self, progress: bool, on_progress: Progress | None = None) -> BuildReport:
        previous = self._generation
        try:
            report, folder = await builder.build(self.config, self.embedder, previous, progress=progress,
                                                 on_progress=on_progress)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, IndexError_ | OSError):  # expected: say why, no traceback
                log.error("rebuild failed (%s); the previous index keeps serving", _reason(exc))
            else:
                log.exception("rebuild failed; the previous index keeps serving")
            raise BuildError(f"rebuild failed: {_reason(exc)}") from exc
        if folder is not None:
            try:
                fresh = await gen.Generation.open(folder, self.embedder.name, self.embedder.dim,
                                                  self.config.vector_store_identity())
            except gen.InvalidGeneration as exc:
                await run_sync(gen.remove, folder)
                raise BuildError(f"the new index failed verification: {exc}") from exc
            try:
                await run_sync(gen.publish, self.config.data_dir, fresh.version)
            except OSError as exc:
                await fresh.retire()
                await run_sync(gen.remove, folder)
                raise BuildError(f"cannot switch to the new index: {_reason(exc)}") from exc
            self._generation = fresh
            if previous is not None:
                await previous.retire()
            await run_sync(gen.prune, self.config.data_dir)
        log.info("index %s: %d documents, %d passages (+%d ~%d -%d, %d embedded) in %.1f s",
                 report.version, report.documents, report.passages, report.added, report.changed,
                 report.removed, report.embedded, report.seconds)
        self.last_report = report
        return report

    async def documents(self) -> list[Document]:
        """The documents in the serving index, in corpus order."""
        return list(self._serving().documents)

    async def context(self, passage_id: int) -> PassageContext | None:
        """The passage with its neighbouring paragraphs, or None if the id is not in the index."""
        generation = self._serving()
        async with generation.use():
            found = (await generation.passages([passage_id])).get(passage_id)
            if found is None:
                return None
            before = await generation.store.passage_at(found.doc_id, found.paragraph - 1, last=True)
            after = await generation.store.passage_at(found.doc_id, found.paragraph + 1, last=False)
        return PassageContext(found, generation.by_id[found.doc_id], before, after)

    async def reload(self, *, on_progress: Progress | None = None) -> BuildReport:
        """``/reload``: fetch the link documents again (keeping the old text of any that fail),
        then rebuild; the report says how the links went."""
        if self._lock.locked():
            raise BuildInProgress("a rebuild is already running")
        async with self._lock:
            synced = await links.resync(self.config)
            return replace(await self._rebuild(False, on_progress), links=synced)

    async def add_document(
        self, filename: str, data: bytes, *, title: str | None = None, url: str | None = None,
        on_progress: Progress | None = None,
    ) -> tuple[Document, BuildReport]:
        """Validate an uploaded file, store it in the corpus folder under a safe generated name
        and index it. Raises ``DocumentError`` with the reason when it is rejected; nothing is
        written to the corpus then."""
        return await self._add(functools.partial(
            store_upload, self.config.corpus_dir, filename, data, title=title, url=url,
            max_bytes=self.config.max_document_bytes, limits=self.config.limits(), progress=on_progress,
        ), on_progress)

    async def add_link(
        self, url: str, *, on_progress: Progress | None = None
    ) -> tuple[Document, BuildReport]:
        """Fetch a link (``fetch.py``: public addresses only, bounded), read it, store and index it.
        ``DocumentError`` says why it was refused; nothing is written to the corpus then."""
        if self._lock.locked():
            raise BuildInProgress("a rebuild is already running")
        fetched = await links.download(self.config, url)
        return await self._add(functools.partial(links.store_link, self.config, url, fetched, on_progress),
                               on_progress)

    async def _add(
        self, store: Callable[[], Path], on_progress: Progress | None
    ) -> tuple[Document, BuildReport]:
        if self._lock.locked():
            raise BuildInProgress("a rebuild is already running")
        async with self._lock:
            path = await run_sync(store)
            marker = path.with_name(f"{ADDING}{path.name}")
            try:
                await run_sync(marker.write_bytes, b"")
                report = await self._rebuild(False, on_progress)
                document = self._serving().by_id.get(path.stem)
                if document is None:
                    reason = dict(report.skipped).get(path.name, "it has no text to index")
                    raise DocumentError(f"the document was not indexed: {reason}")
            except BaseException:
                await run_sync(_remove_files, path)
                if self._serving().by_id.get(path.stem) is not None:
                    await self._rebuild(progress=False)
                raise
            finally:
                await run_sync(marker.unlink, missing_ok=True)
        return document, report

    async def remove_document(self, doc_id: str) -> BuildReport:
        """Remove a document from the corpus and the index; ``UnknownDocument`` if no such id."""
        if self._lock.locked():
            raise BuildInProgress("a rebuild is already running")
        async with self._lock:
            document = self._serving().by_id.get(doc_id)
            if document is None:
                sources, _ = await run_sync(load_corpus, self.config.corpus_dir, self.config.limits())
                source = next((s for s in sources if s.id == doc_id), None)
                if source is None:
                    raise UnknownDocument(f"no document with id {doc_id!r}")
                path_name = source.path
            else:
                path_name = document.path
            path = self.config.corpus_dir / path_name
            moved = await run_sync(_set_aside, path)
            try:
                report = await self._rebuild(progress=False)
            except BaseException:
                await run_sync(_restore, moved)
                raise
            await run_sync(_remove_files_of, moved)
            return report


ADDING, REMOVING = ".adding-", ".removing-"  # markers of an upload / removal in progress


def recover_corpus(folder: Path, served: set[str] | None) -> list[str]:
    """Settle the uploads and removals a killed process left half done; ``served``: the stems of the
    documents the serving index holds (None: no index could be opened, so no removal finished).
    Returns what was done, one line each."""
    done = []
    for marker in sorted(folder.glob(f"{ADDING}*")):
        name = marker.name[len(ADDING):]
        if Path(name).stem not in (served or set()):
            _remove_files(folder / name)
            done.append(f"removed {name}, whose upload did not finish")
        marker.unlink(missing_ok=True)
    for hidden in sorted(folder.glob(f"{REMOVING}*")):
        original = folder / hidden.name[len(REMOVING):]
        if served is None or original.stem in served:
            hidden.replace(original)
            done.append(f"restored {original.name}, whose removal did not finish")
        else:
            hidden.unlink(missing_ok=True)
            done.append(f"deleted {hidden.name}, whose removal had finished")
    return done


def _remove_files(path: Path) -> None:
    """Delete a corpus file and its metadata sidecar."""
    path.unlink(missing_ok=True)
    path.with_suffix(".toml").unlink(missing_ok=True)


def _set_aside(path: Path) -> list[tuple[Path, Path]]:
    """Hide a document and its sidecar from the corpus (dot names are ignored) until the rebuild."""
    moved = []
    for original in (path, path.with_suffix(".toml")):
        if original.exists():
            hidden = original.with_name(f"{REMOVING}{original.name}")
            original.replace(hidden)
            moved.append((original, hidden))
    return moved


def _restore(moved: list[tuple[Path, Path]]) -> None:
    for original, hidden in moved:
        hidden.replace(original)


def _remove_files_of(moved: list[tuple[Path, Path]]) -> None:
    for _, hidden in moved:
        hidden.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__

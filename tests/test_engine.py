"""The Engine's API: questions, paging, documents, context, adding and removing documents."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.fakes import FakeEmbedder, GatedEmbedder

from index import BuildError, DocumentError, Engine, IndexConfig, UnknownDocument


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


PENGUIN = "Der Pinguin Otto schwimmt jeden Morgen im Becken des Zoos von Hamburg."


@pytest.mark.parametrize("question", ["", "   ", "\n\t "])
async def test_an_empty_question_is_refused(engine: Engine, question: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        await engine.ask(question)


async def test_a_long_question_is_shortened_and_says_so(engine: Engine) -> None:
    answer = await engine.ask("Durov " * 1000)
    assert answer.shortened
    assert len(answer.question) <= engine.config.max_question_chars
    assert not (await engine.ask("  Wer ist Durov?  ")).shortened


async def test_an_answer_has_hits_sources_language_and_timings(engine: Engine) -> None:
    answer = await engine.ask("  Wer hat Durov festgenommen?  ")
    assert answer.question == "Wer hat Durov festgenommen?"
    assert answer.language == "de"
    assert len(answer.hits) == engine.config.top_k
    assert {"encode", "keyword", "search", "judge"} <= set(answer.timings)
    top = answer.hits[0]
    assert (top.doc_id, top.source, top.url) == ("durov-telegram.de", "SeaPRwire", "https://www.seaprwire.com/")
    assert top.sentence and top.sentence in top.text
    assert 0.0 <= top.score <= 1.0


async def test_offset_pages_through_the_same_ranking(engine: Engine) -> None:
    first = await engine.ask("Telegram Nutzer Kriminelle", k=4)
    second = await engine.ask("Telegram Nutzer Kriminelle", k=2, offset=2)
    assert [h.passage_id for h in second.hits] == [h.passage_id for h in first.hits[2:4]]
    assert second.answered == first.answered
    assert (await engine.ask("Telegram", k=5, offset=10_000)).hits == ()


async def test_concurrent_questions_are_encoded_in_one_batch(
    engine: Engine, fake_embedder: FakeEmbedder
) -> None:
    fake_embedder.calls.clear()
    answers = await asyncio.gather(*(engine.ask(f"Frage {i} zu Durov") for i in range(5)))
    assert [a.question for a in answers] == [f"Frage {i} zu Durov" for i in range(5)]
    assert fake_embedder.calls == [(5, True)]


async def test_documents_lists_the_corpus_with_passage_counts(engine: Engine) -> None:
    (document,) = await engine.documents()
    assert document.id == "durov-telegram.de"
    assert document.title.startswith("Durov")
    assert engine.last_report is not None
    assert document.passages == engine.last_report.passages > 0


async def test_context_gives_the_neighbouring_paragraphs(engine: Engine) -> None:
    hit = (await engine.ask("Wer hat Durov festgenommen?")).hits[0]
    context = await engine.context(hit.passage_id)
    assert context is not None
    assert context.passage.text == hit.text and context.document.id == hit.doc_id
    assert context.before is not None and context.before.paragraph == hit.paragraph - 1
    assert context.after is None or context.after.paragraph == hit.paragraph + 1
    assert await engine.context(10**9) is None


async def test_an_added_document_is_searchable_with_its_title(engine: Engine, corpus_dir: Path) -> None:
    document, report = await engine.add_document(
        "zoo.txt", PENGUIN.encode(), title="Zoo-Nachrichten", url="https://zoo.example/"
    )
    assert report.added == 1 and document.title == "Zoo-Nachrichten" and document.passages == 1
    assert (corpus_dir / document.path).exists()
    answer = await engine.ask(PENGUIN)
    assert answer.answered and answer.hits[0].doc_id == document.id
    assert answer.hits[0].url == "https://zoo.example/"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [("empty.txt", b"", "empty"), ("bad.txt", b"\xff\xfe\x00abc", "UTF-8"), ("x.exe", b"MZ", "type")],
)
async def test_a_rejected_upload_leaves_corpus_and_index_unchanged(
    engine: Engine, corpus_dir: Path, name: str, data: bytes, reason: str
) -> None:
    files, version = _names(corpus_dir), engine.version
    with pytest.raises(DocumentError, match=reason):
        await engine.add_document(name, data)
    assert _names(corpus_dir) == files
    assert engine.version == version


async def test_a_removed_document_leaves_corpus_and_index(engine: Engine, corpus_dir: Path) -> None:
    document, _ = await engine.add_document("zoo.txt", PENGUIN.encode(), title="Zoo")
    report = await engine.remove_document(document.id)
    assert report.removed == 1
    assert not (corpus_dir / document.path).exists()
    assert not (corpus_dir / document.path).with_suffix(".toml").exists()
    assert [d.id for d in await engine.documents()] == ["durov-telegram.de"]


async def test_removing_an_unknown_document_is_refused(engine: Engine) -> None:
    with pytest.raises(UnknownDocument):
        await engine.remove_document("no-such-document")
    with pytest.raises(UnknownDocument):
        await engine.remove_document("../config")


async def test_an_upload_whose_indexing_fails_is_not_kept(
    gated_engine: Engine, gated: GatedEmbedder, corpus_dir: Path
) -> None:
    engine = gated_engine
    files, version = _names(corpus_dir), engine.version
    gated.fail_documents = True
    with pytest.raises(BuildError, match="encoder crashed"):
        await engine.add_document("zoo.txt", PENGUIN.encode())
    assert _names(corpus_dir) == files
    assert engine.version == version


async def test_a_removal_whose_rebuild_fails_keeps_the_document(
    gated_engine: Engine, gated: GatedEmbedder, corpus_dir: Path
) -> None:
    engine = gated_engine
    document, _ = await engine.add_document("zoo.txt", PENGUIN.encode(), title="Zoo")
    files = _names(corpus_dir)
    (corpus_dir / "other.txt").write_text("Ein weiterer Text über Robben.", encoding="utf-8")
    gated.fail_documents = True
    with pytest.raises(BuildError):
        await engine.remove_document(document.id)
    assert _names(corpus_dir) == sorted([*files, "other.txt"])
    assert document.id in [d.id for d in await engine.documents()]


async def test_an_upload_killed_before_its_index_was_published_is_rolled_back_at_start(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path
) -> None:
    await engine.close()
    (corpus_dir / "zoo-1234.txt").write_text(PENGUIN, encoding="utf-8")  # stored, never indexed
    (corpus_dir / ".adding-zoo-1234.txt").write_bytes(b"")
    async with _restarted(engine_config) as reopened:
        assert not (corpus_dir / "zoo-1234.txt").exists() and not _markers(corpus_dir)
        assert [d.id for d in await reopened.documents()] == ["durov-telegram.de"]
        assert (await reopened.rebuild()).added == 0


async def test_an_upload_killed_after_its_index_was_published_is_kept(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path
) -> None:
    document, _ = await engine.add_document("zoo.txt", PENGUIN.encode())
    await engine.close()
    (corpus_dir / f".adding-{document.path}").write_bytes(b"")  # killed before the marker went
    async with _restarted(engine_config) as reopened:
        assert (corpus_dir / document.path).exists() and not _markers(corpus_dir)
        assert document.id in [d.id for d in await reopened.documents()]


async def test_a_removal_killed_midway_is_undone_or_finished_as_the_index_says(
    engine: Engine, engine_config: IndexConfig, corpus_dir: Path
) -> None:
    document, _ = await engine.add_document("zoo.txt", PENGUIN.encode())
    await engine.close()
    story = corpus_dir / "durov-telegram.de.txt"
    story.replace(corpus_dir / ".removing-durov-telegram.de.txt")  # killed before the rebuild: served
    removed = corpus_dir / document.path
    removed.replace(corpus_dir / f".removing-{document.path}")
    async with _restarted(engine_config) as reopened:
        assert story.exists()  # the index still serves it: the removal is undone
        assert removed.exists()
        await reopened.remove_document(document.id)
    removed.write_text(PENGUIN, encoding="utf-8")  # as if killed after the switch, before the delete
    removed.replace(corpus_dir / f".removing-{document.path}")
    async with _restarted(engine_config) as again:
        assert not removed.exists() and not _markers(corpus_dir)
        assert document.id not in [d.id for d in await again.documents()]


def _markers(folder: Path) -> list[str]:
    """What an interrupted upload or removal left behind (hidden files)."""
    return [p.name for p in folder.iterdir() if p.name.startswith((".adding-", ".removing-"))]


@contextlib.asynccontextmanager
async def _restarted(config: IndexConfig) -> AsyncIterator[Engine]:
    """The engine as a restarted process opens it."""
    engine = await Engine.open(config, FakeEmbedder())
    try:
        yield engine
    finally:
        await engine.close()

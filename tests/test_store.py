"""The generation database: migrations, reads, and keyword search that no user text can break."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from index import migrations
from index.embedding_cache import EmbeddingCache
from index.models import Document, Passage
from index.store import PassageRecord, Store, write_store

HOSTILE = [
    "'; DROP TABLE passages;--",
    "NEAR(",
    '"',
    '"Telegram',
    "*",
    "Telegram*",
    "AND OR NOT",
    "Durov AND",
    "passages MATCH 'x'",
    "^Durov",
    "Durov:festgenommen",
    "{col}: x",
    "(((",
    "",
]


def _doc(doc_id: str, position_passages: int) -> Document:
    return Document(doc_id, f"Title {doc_id}", "Src", "https://example.org/", "de", "", f"{doc_id}.txt",
                    "0" * 64, position_passages)


def _record(pid: int, doc_id: str, paragraph: int, text: str) -> PassageRecord:
    passage = Passage(pid, doc_id, paragraph, 0, text, ((0, len(text)),))
    return PassageRecord(passage, f"{pid:064d}", pid - 1, "de")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    path = tmp_path / "index.sqlite"
    texts = [
        "Die französische Polizei hat Durov festgenommen.",
        "Telegram hat mehr als 950 Millionen Nutzer.",
        "Durov verteidigte die Plattform gegen Kritik.",
    ]
    records = [_record(i + 1, "a", i + 1, t) for i, t in enumerate(texts)]
    write_store(path, [_doc("a", 3), _doc("b", 0)], records)
    opened = await Store.open(path)
    yield opened
    await opened.close()


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite")
    first = migrations.migrate(conn, migrations.GENERATION)
    second = migrations.migrate(conn, migrations.GENERATION)
    recorded = [row[0] for row in conn.execute("SELECT name FROM migrations ORDER BY name")]
    conn.close()
    assert first == [m.__name__ for m in migrations.GENERATION]
    assert second == []
    assert recorded == sorted(first)


async def test_cache_migrations_run_once_across_opens(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    cache = await EmbeddingCache.open(path)
    await cache.close()
    assert migrations.migrate_file(path, migrations.CACHE) == []
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert migrations.pending(db, migrations.CACHE) == []
        assert db.execute("SELECT count(*) FROM migrations").fetchone() == (len(migrations.CACHE),)


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    def m002_broken() -> str:
        return "CREATE TABLE half (id INTEGER); INSERT INTO no_such_table VALUES (1);"

    path = tmp_path / "x.sqlite"
    migrations.migrate_file(path, migrations.CACHE)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        migrations.migrate_file(path, [*migrations.CACHE, m002_broken])
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert migrations.pending(db, [*migrations.CACHE, m002_broken]) == ["m002_broken"]
    assert "half" not in tables and "embeddings" in tables


def test_a_file_counting_migrations_in_user_version_keeps_them_applied(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(migrations.m001_embedding_cache() + "; PRAGMA user_version = 1;")
    assert migrations.migrate_file(path, migrations.CACHE) == []
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert migrations.pending(db, migrations.CACHE) == []


async def test_store_reports_pending_migrations_of_an_old_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).close()
    store = await Store.open(path)
    try:
        assert await store.pending_migrations() == [m.__name__ for m in migrations.GENERATION]
    finally:
        await store.close()


async def test_cache_returns_what_was_stored_for_that_model_and_kind(tmp_path: Path) -> None:
    import numpy as np

    cache = await EmbeddingCache.open(tmp_path / "cache.sqlite")
    try:
        vector = np.arange(4, dtype=np.float32)
        await cache.put_many("m", "passage", {"h1": vector})
        assert np.array_equal((await cache.get_many("m", "passage", ["h1", "h2"]))["h1"], vector)
        assert await cache.get_many("m", "sentence", ["h1"]) == {}
        assert await cache.get_many("other", "passage", ["h1"]) == {}
    finally:
        await cache.close()


@pytest.mark.parametrize("text", HOSTILE)
async def test_keyword_search_never_fails_on_hostile_text(store: Store, text: str) -> None:
    ids = await store.keyword(text, "de", 10)
    assert set(ids) <= {1, 2, 3}
    assert await store.count() == 3  # nothing was dropped


async def test_keyword_search_matches_stemmed_words(store: Store) -> None:
    assert (await store.keyword("Wer hat Durov festnehmen lassen? Festgenommen!", "de", 10))[0] == 1
    assert await store.keyword("Millionen", "de", 10) == [2]
    assert await store.keyword("der die das", "de", 10) == []  # stopwords only


def _tokens(text: str) -> list[str]:
    """``text`` as FTS5's unicode61 tokenizer splits it: letters and digits, lower case, no diacritics."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", folded)


@pytest.mark.parametrize("text", ["Wer hat Durov festnehmen lassen? Festgenommen!", "Millionen Nutzer",
                                  "der die das", "Telegram Durov Paris", *HOSTILE])
async def test_lookups_in_one_statement_equal_the_separate_lookups(store: Store, text: str) -> None:
    from index import judge

    stems = judge.stems(judge.content_words(text)) | {text}  # the raw text too: hostile as a stem
    ids, counts = await store.lookups(text, "de", 10, stems)
    assert ids == await store.keyword(text, "de", 10)
    stored = await store._db.execute_fetchall("SELECT stemmed FROM passage_keywords")
    tokens = {token for (text,) in stored for token in _tokens(text)}
    # a stem is searched as a quoted phrase: one of a single word is held where that word is
    single = {stem for stem in stems if len(_tokens(stem)) == 1}
    held = {stem for stem in single if counts[stem]}
    assert held == {stem for stem in single if _tokens(stem)[0] in tokens}
    assert all(counts[stem] == 0 for stem in stems if stem and not _tokens(stem))
    assert set(counts) == {stem for stem in stems if stem} and set(counts.values()) <= {0, 1, 2}
    plain, _ = await store.lookups(text, None, 10, stems)  # no keyword search
    assert plain == [] and await store.lookups("", "de", 10, ()) == ([], {})
    assert await store.count() == 3  # nothing was dropped


async def test_lookups_count_the_passages_holding_a_stem_up_to_two(store: Store) -> None:
    # the passages are stored as German stems: "die franzos polizei hat durov festgenomm", ...
    stems = {"durov", "million", "franzos", "französ", "polizei", "kuchen", "französisch"}
    _, counts = await store.lookups("", None, 10, stems)
    # Durov: passages 1 and 3; diacritics are folded as the keyword index folds them
    assert counts == {"durov": 2, "million": 1, "franzos": 1, "französ": 1, "polizei": 1, "kuchen": 0,
                      "französisch": 0}
    assert {stem for stem, held in counts.items() if held} == {"durov", "million", "franzos", "französ",
                                                                "polizei"}


async def test_documents_keep_corpus_order_and_passages_read_by_id(store: Store) -> None:
    assert [d.id for d in await store.documents()] == ["a", "b"]
    found = await store.passages([2, 99])
    assert list(found) == [2]
    assert found[2].text.startswith("Telegram")


async def test_passage_at_finds_neighbouring_paragraphs(store: Store) -> None:
    before = await store.passage_at("a", 1, last=True)
    assert before is not None and before.id == 1
    assert await store.passage_at("a", 4, last=False) is None

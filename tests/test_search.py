"""The query path: fusion, language gating, safe keyword expressions, highlight and threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.fakes import FakeEmbedder

from index import Engine, search
from index.chunking import paragraph_spans, split_sentences
from index.language import guess_language, match_expression
from index.search import calibrate, use_keywords

STORY = "durov-telegram.de"


def _paragraphs(corpus_dir: Path) -> list[str]:
    text = (corpus_dir / "durov-telegram.de.txt").read_text(encoding="utf-8")
    return [text[s:e] for s, e in paragraph_spans(text)]


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Wer hat Durov festgenommen?", "de"),
        ("Wie viele Nutzer hat Telegram?", "de"),
        ("Who arrested Durov?", "en"),
        ("How many users does Telegram have?", "en"),
        ("Durov", ""),
        ("Кто арестовал Дурова?", ""),
    ],
)
def test_question_language_is_guessed_by_stopwords(question: str, language: str) -> None:
    assert guess_language(question) == language


def test_keyword_search_is_used_for_german_questions_only() -> None:
    assert use_keywords("de")
    assert not use_keywords("en")
    assert not use_keywords("")


def test_match_expression_quotes_stems_and_drops_stopwords() -> None:
    assert match_expression("Wer hat Durov festgenommen?", "de") == '"durov" OR "festgenomm"'
    assert match_expression("'; DROP TABLE passages;--", "de") == '"drop" OR "tabl" OR "passag"'
    assert match_expression("NEAR( * \" AND OR NOT", "en") == '"near"'
    assert match_expression("der die das", "de") is None
    assert match_expression("*** ^^^", "de") is None


def test_calibration_maps_cosine_into_zero_to_one() -> None:
    assert calibrate(0.2) == 0.0
    assert calibrate(1.0) == 1.0
    assert 0.0 < calibrate(0.83) < 1.0
    assert calibrate(0.8) < calibrate(0.85)


async def test_highlight_is_the_best_sentence_with_correct_offsets(engine: Engine, corpus_dir: Path) -> None:
    paragraph = next(p for p in _paragraphs(corpus_dir) if len(split_sentences(p, "de")) >= 2)
    start, end = split_sentences(paragraph, "de")[1]
    sentence = paragraph[start:end]
    answer = await engine.ask(sentence)
    top = answer.hits[0]
    assert top.text == paragraph
    assert top.highlight == (start, end)
    assert top.sentence == sentence
    assert top.text[top.highlight[0] : top.highlight[1]] == sentence


async def test_the_runner_up_is_the_best_passage_of_another_paragraph(
    engine: Engine, corpus_dir: Path
) -> None:
    generation = engine._serving()
    question = _paragraphs(corpus_dir)[10]
    ranking = search.ranked(generation, (await engine._batcher.encode(question)), [], "de")
    runner = search.runner_up(ranking, generation)
    assert runner is not None and generation.place(ranking[0].passage_id) == (STORY, 11)
    assert generation.place(runner.passage_id) != (STORY, 11)
    assert runner is next(r for r in ranking if generation.place(r.passage_id) != (STORY, 11))
    assert search.runner_up(ranking[:1], generation) is None and search.runner_up([], generation) is None


async def test_float16_sentence_vectors_pick_the_highlight_float32_would(
    engine: Engine, corpus_dir: Path, fake_embedder: FakeEmbedder
) -> None:
    generation = engine._serving()
    assert generation.sentences.dtype == np.float16 and isinstance(generation.sentences, np.memmap)
    passages = await generation.store.passages([int(p) for p in generation.passage_ids()])
    questions = [s for p in _paragraphs(corpus_dir) for s in (p[a:b] for a, b in split_sentences(p, "de"))]
    queries = fake_embedder.encode(questions, query=True)
    compared = 0
    for passage in passages.values():
        exact = fake_embedder.encode([passage.text[a:b] for a, b in passage.sentences], query=False)
        stored = generation.sentence_vectors(passage.id)
        assert np.abs(stored.astype(np.float32) - exact).max() < 1e-3
        for query in queries:
            assert int(np.argmax(stored @ query)) == int(np.argmax(exact @ query))
            compared += 1
    assert compared == len(passages) * len(questions) > 300


async def test_best_sentences_match_each_passage_scored_alone(engine: Engine, fake_embedder: FakeEmbedder,
                                                              corpus_dir: Path) -> None:
    generation = engine._serving()
    ids = [int(p) for p in generation.passage_ids()]
    unknown = max(ids) + 1000
    candidates = [ids[-1], unknown, *ids[:-1]]  # any order, with an id the index does not hold
    for question in _paragraphs(corpus_dir)[:6]:
        query = fake_embedder.encode([question], query=True)[0]
        best, cosine, has = generation.best_sentences(candidates, query)
        for pid, index, value, found in zip(candidates, best, cosine, has, strict=True):
            alone = generation.sentence_vectors(pid) @ query
            assert found == (len(alone) > 0) == (pid != unknown)
            if found:
                assert index == int(np.argmax(alone))
                assert value == pytest.approx(float(alone.max()), abs=1e-6)
    nothing = generation.best_sentences([], np.zeros(generation.sentences.shape[1]))
    assert [len(a) for a in nothing] == [0, 0, 0]


async def test_a_passage_is_placed_by_its_row_with_or_without_gaps_in_the_ids(engine: Engine) -> None:
    from index.generation import Generation

    served = engine._serving()
    layout = np.array([[int(pid), 0, 0, 0, 10 + n, n % 2] for n, pid in enumerate(served.passage_ids())])
    doc = served.documents[0].id
    gapped = np.delete(layout, 2, axis=0)  # passages removed from a document leave a gap
    for rows in (layout, gapped):
        generation = Generation(served.folder, served.manifest, served.store, served.vectors,
                                served.sentences, rows, served.documents)
        for pid, _, _, _, paragraph, flag in rows.tolist():
            assert generation.place(pid) == (doc, paragraph)
            assert generation.is_boilerplate(pid) == bool(flag)
        missing = [int(layout[2, 0]), int(layout[0, 0]) - 1, int(layout[-1, 0]) + 1]
        for pid in missing if rows is gapped else missing[1:]:
            assert generation.place(pid) is None and not generation.is_boilerplate(pid)


async def test_passages_once_read_come_from_memory(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from index import generation as gen

    generation = engine._serving()
    generation._passages.clear()
    ids = [int(p) for p in generation.passage_ids()]
    reads: list[list[int]] = []
    real = generation.store.passages

    async def counted(wanted):  # type: ignore[no-untyped-def]
        reads.append(list(wanted))
        return await real(wanted)

    monkeypatch.setattr(generation.store, "passages", counted)
    monkeypatch.setattr(gen, "PASSAGE_CACHE", 3)
    first = await generation.passages(ids[:3])
    again = await generation.passages([ids[2], ids[0], ids[0] + 10_000])  # an unknown id is absent
    assert reads == [ids[:3], [ids[0] + 10_000]]
    assert again == {ids[2]: first[ids[2]], ids[0]: first[ids[0]]}
    assert first == await real(ids[:3])
    await generation.passages([ids[3]])  # over the cap: the least recently read (ids[1]) goes
    await generation.passages([ids[1]])
    assert reads[-1] == [ids[1]] and len(generation._passages) == 3
    assert generation.search_inline  # a small FAISS index is searched without a thread hop


async def test_a_follow_up_s_passages_highlight_the_sentence_closest_to_its_own_words(
    engine: Engine, corpus_dir: Path
) -> None:
    from dataclasses import replace

    paragraph = next(p for p in _paragraphs(corpus_dir) if len(split_sentences(p, "de")) >= 2)
    (a, b), (c, d) = split_sentences(paragraph, "de")[:2]
    found = await engine.ask(paragraph[a:b])
    assert found.hits[0].highlight == (a, b)
    moved = await engine._highlight(found, await engine._batcher.encode(paragraph[c:d]))
    assert moved.hits[0].highlight == (c, d) and moved.hits[0].text == paragraph
    assert [h.passage_id for h in moved.hits] == [h.passage_id for h in found.hits]
    whole = replace(found, whole_story=True)
    vector = await engine._batcher.encode(paragraph[c:d])
    assert await engine._highlight(whole, vector) is whole  # the lead keeps its first sentences

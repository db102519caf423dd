"""Retrieval metrics, the story question set, and the story set through the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import Engine, IndexConfig, load_index_config
from index.chunking import paragraph_spans
from index.evaluate import (
    STORY_QUESTIONS,
    ask_all,
    gold_rank,
    load_story_questions,
    mrr_at,
    recall_at,
)

ROOT = Path(__file__).resolve().parent.parent
STORY = ROOT / "corpus" / "durov-telegram.de.txt"
STORY_ID = "durov-telegram.de"
THRESHOLD = load_index_config().threshold  # the calibrated value in config.toml


def test_recall_counts_gold_within_k() -> None:
    ranks = [1, 2, 3, None, 11]
    assert recall_at(ranks, 1) == pytest.approx(1 / 5)
    assert recall_at(ranks, 3) == pytest.approx(3 / 5)
    assert recall_at(ranks, 20) == pytest.approx(4 / 5)


def test_mrr_ignores_ranks_beyond_cutoff() -> None:
    ranks = [1, 2, 4, None, 11]
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 1 / 4) / 5)
    assert mrr_at(ranks, 3) == pytest.approx((1 + 1 / 2) / 5)


def test_metrics_of_no_questions_are_zero() -> None:
    assert recall_at([], 1) == 0.0
    assert mrr_at([]) == 0.0


def test_gold_rank_counts_windows_of_one_paragraph_once() -> None:
    ranking = [("a", 2), ("a", 2), ("b", 1), ("a", 5)]
    assert gold_rank(ranking, ("a", (2,))) == 1
    assert gold_rank(ranking, ("b", (1,))) == 2
    assert gold_rank(ranking, ("a", (5,))) == 3
    assert gold_rank(ranking, ("c", (1,))) is None


def test_gold_rank_of_several_answering_paragraphs_is_the_first_found() -> None:
    ranking = [("a", 3), ("a", 5), ("a", 9)]
    assert gold_rank(ranking, ("a", (9, 5))) == 2
    assert gold_rank(ranking, ("b", (3,))) is None


def test_story_question_may_name_several_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "A?", "lang": "de", "doc": "x", "paragraphs": [5, 9]}\n'
                    '{"question": "B?", "lang": "en", "doc": "x", "paragraph": 2}\n'
                    '{"question": "C?", "lang": "en", "answerable": false}\n')
    golds = [q.gold for q in load_story_questions(path)]
    assert golds == [("x", (5, 9)), ("x", (2,)), None]


def test_story_question_with_empty_paragraph_list_is_named(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "A?", "lang": "de", "doc": "x", "paragraphs": []}\n')
    with pytest.raises(ValueError, match=r"q\.jsonl:1"):
        load_story_questions(path)


def test_malformed_story_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Wo?", "lang": "de", "doc": "x", "paragraph": 1}\n{"lang": "de"}\n')
    with pytest.raises(ValueError, match=r"q\.jsonl:2"):
        load_story_questions(path)


def test_story_questions_point_at_existing_paragraphs() -> None:
    paragraphs = len(paragraph_spans(STORY.read_text(encoding="utf-8")))
    questions = load_story_questions(STORY_QUESTIONS)
    answerable = [q for q in questions if q.gold]
    assert answerable
    for q in answerable:
        assert q.gold is not None and q.gold[0] == STORY_ID
        assert all(1 <= p <= paragraphs for p in q.gold[1]), q.text
        assert len(set(q.gold[1])) == len(q.gold[1]), q.text
    assert {p for q in answerable if q.gold for p in q.gold[1]} == set(range(1, paragraphs + 1))


def test_story_questions_cover_both_languages_and_off_topic() -> None:
    questions = load_story_questions(STORY_QUESTIONS)
    answerable = [q for q in questions if q.gold]
    assert len(answerable) >= 30
    assert sum(q.lang == "de" for q in answerable) >= 10
    assert sum(q.lang == "en" for q in answerable) >= 10
    assert sum(q.gold is None for q in questions) >= 6
    assert len({q.text for q in questions}) == len(questions)


def test_story_question_file_is_one_json_object_per_line() -> None:
    for line in STORY_QUESTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert set(row) <= {"question", "lang", "doc", "paragraph", "paragraphs", "answerable"}
        assert row["question"].strip() and row["lang"]


# Measured with the real model (``python -m index eval``, threshold 0.75 on the answer confidence):
# 40 of 53 answerable story questions have a gold paragraph first; all off-topic questions are
# declined (14, plus 14 everyday ones that a boilerplate sentence used to attract), and 13
# answerable ones with them (8 of those had the gold paragraph first). The floors below are those
# levels minus a small margin: one more miss, two more declines, one off-topic question answered.
MIN_FIRST = 0.73
MAX_WRONGLY_DECLINED = 15
MIN_OFF_TOPIC_DECLINED = 27 / 28


@pytest.mark.model
async def test_story_set_with_real_model(tmp_path: Path, corpus_dir: Path) -> None:
    config = IndexConfig(corpus_dir=corpus_dir, data_dir=tmp_path / "data", threshold=THRESHOLD)
    questions = load_story_questions(STORY_QUESTIONS)
    engine = await Engine.open(config)
    try:
        outcomes = await ask_all(engine, questions)
    finally:
        await engine.close()
    off_topic = [o for o in outcomes if o.question.gold is None]
    answerable = [o for o in outcomes if o.question.gold]
    declined = [o for o in off_topic if not o.answered]
    assert len(declined) / len(off_topic) >= MIN_OFF_TOPIC_DECLINED, [o.question.text for o in off_topic]
    assert sum(not o.answered for o in answerable) <= MAX_WRONGLY_DECLINED
    first = [o for o in answerable if o.rank == 1]
    assert len(first) / len(answerable) >= MIN_FIRST, [o.question.text for o in answerable if o.rank != 1]

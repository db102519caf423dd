"""The query path: fusion, language gating, safe keyword expressions, highlight and threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import Engine
from index.chunking import paragraph_spans, split_sentences
from index.language import guess_language, match_expression
from index.ranking import confidence as sentence_confidence
from index.search import Ranked, calibrate, confidence, use_keywords


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


async def test_a_question_copied_from_a_passage_is_answered_with_it_first(
    engine: Engine, corpus_dir: Path
) -> None:
    paragraphs = _paragraphs(corpus_dir)
    answer = await engine.ask(paragraphs[4])
    assert answer.answered
    assert answer.hits[0].paragraph == 5
    assert answer.hits[0].text == paragraphs[4]
    assert answer.hits[0].score >= engine.config.threshold


@pytest.mark.parametrize(
    "question",
    ["Wie wird das Wetter morgen in Hamburg?", "Which football club won the cup final?",
     "Rezept für Apfelkuchen mit Zimt"],
)
async def test_an_unrelated_question_is_not_answered(engine: Engine, question: str) -> None:
    answer = await engine.ask(question)
    assert not answer.answered
    assert answer.hits  # the closest passages are still offered
    assert answer.hits[0].score < engine.config.threshold


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


def _ranked(pid: int, total: float, sentence_cosine: float = 0.85) -> Ranked:
    return Ranked(pid, calibrate(total), 0, total, sentence_cosine)


def test_confidence_measures_the_lead_over_another_paragraph_not_a_window_of_the_same() -> None:
    ranking = [_ranked(1, 0.86), _ranked(2, 0.859), _ranked(3, 0.83)]
    same_paragraph = {1: ("story", 4), 2: ("story", 4), 3: ("story", 7)}
    other_paragraphs = {1: ("story", 4), 2: ("story", 5), 3: ("story", 7)}
    assert confidence(ranking, same_paragraph) == pytest.approx(sentence_confidence(0.85, 0.03))
    assert confidence(ranking, other_paragraphs) == pytest.approx(sentence_confidence(0.85, 0.001))


def test_confidence_without_a_runner_up_or_candidates() -> None:
    assert confidence([_ranked(1, 0.9)], {1: ("story", 1)}) == pytest.approx(sentence_confidence(0.85, 0.0))
    assert confidence([], {}) == 0.0

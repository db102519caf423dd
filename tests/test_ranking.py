"""Scoring and ordering of candidate passages."""

from __future__ import annotations

import numpy as np
import pytest

from index import ranking
from index.ranking import (
    CROSS_LINGUAL_LIFT,
    KEYWORD_WEIGHT,
    PASSAGE_WEIGHT,
    calibrate,
    keyword_bonus,
    order,
    relevance,
    totals,
)


def test_relevance_weighs_passage_and_best_sentence() -> None:
    expected = PASSAGE_WEIGHT * 0.8 + (1 - PASSAGE_WEIGHT) * 0.9
    assert relevance(0.8, [0.7, 0.9, 0.85]) == pytest.approx(expected)


def test_relevance_without_sentences_is_the_passage_cosine() -> None:
    assert relevance(0.81, []) == pytest.approx(0.81)


def test_keyword_bonus_falls_with_rank() -> None:
    assert keyword_bonus(1) == pytest.approx(KEYWORD_WEIGHT)
    assert keyword_bonus(1) > keyword_bonus(2) > keyword_bonus(30) > 0


def test_keyword_rank_breaks_a_near_tie() -> None:
    relevances = {1: 0.850, 2: 0.849}
    assert order(totals(relevances, [])) == [1, 2]
    assert order(totals(relevances, [2])) == [2, 1]


def test_keyword_rank_does_not_overrule_a_clear_lead() -> None:
    assert order(totals({1: 0.88, 2: 0.84}, [2])) == [1, 2]


def test_order_of_equal_scores_is_by_id() -> None:
    assert order(totals({7: 0.8, 3: 0.8, 5: 0.8}, [])) == [3, 5, 7]


def test_calibration_is_clipped_and_monotonic() -> None:
    assert calibrate(0.2) == 0.0
    assert calibrate(1.0) == 1.0
    assert calibrate(0.80) < calibrate(0.82) < calibrate(0.84)


def test_cross_lingual_question_is_lifted_by_the_language_gap() -> None:
    assert calibrate(0.80, cross_lingual=True) == pytest.approx(calibrate(0.80 + CROSS_LINGUAL_LIFT))
    assert calibrate(0.80, cross_lingual=True) > calibrate(0.80)


def test_a_generic_sentence_is_a_hub_and_an_ordinary_one_is_not() -> None:
    references = np.eye(4, dtype=np.float32)[:2]  # two content-free questions
    corpus = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0.8, 0.6], [0.7, 0.7, 0.1, 0.1]], np.float32)
    baseline = ranking.hub_baseline(corpus, references)
    hub, ordinary = corpus[3], corpus[0]
    assert ranking.hubness(hub, references, baseline) > 0 >= ranking.hubness(ordinary, references, baseline)

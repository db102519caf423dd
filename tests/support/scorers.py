"""Hand-made scorers for tests with the fake embedder, whose cosines are word overlaps, not e5's.

``plain()`` decides by the best sentence's cosine alone: a question that copies a sentence is
answered, one sharing some of its words is "unsure", an unrelated one is "not found"; a message
identical to a small-talk reference is small talk; closeness to the whole-story references of 0.99
or more asks for the lead.
"""

from __future__ import annotations

from index.judge import ANSWER_FEATURES, SMALL_TALK_FEATURES, Logistic, Scorer


def _only(features: tuple[str, ...], name: str, weight: float, bias: float) -> Logistic:
    weights = tuple(weight if f == name else 0.0 for f in features)
    return Logistic(features, (0.0,) * len(features), (1.0,) * len(features), weights, bias)


def plain(answer_at: float = 0.9, unsure_at: float = 0.3) -> Scorer:
    """p(answer) = sigmoid(20 (sentence cosine - 0.75)); p(small talk) = sigmoid(50 (closeness - 0.99))."""
    return Scorer(
        answer=_only(ANSWER_FEATURES, "sentence_cosine", 20.0, -15.0),
        small_talk=_only(SMALL_TALK_FEATURES, "small_talk", 50.0, -49.5),
        answer_at=answer_at, unsure_at=unsure_at, small_talk_at=0.5, whole_story_at=0.99,
        fitted="tests",
    )

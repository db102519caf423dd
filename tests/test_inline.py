"""Inline results (pure) and the answer cache, with an injected clock."""

from __future__ import annotations

from support.fakes import Clock
from telegram import InputTextMessageContent

from bot.answer_cache import AnswerCache, normalize
from bot.inline import hint_button, inline_results
from bot.render import inline_message
from index import Answer, Hit


def hit(pid: int, text: str = "Durov wurde in Paris festgenommen. Er kam aus Baku.", **kw: object) -> Hit:
    fields: dict[str, object] = dict(
        passage_id=pid, doc_id="story", title="Telegram-Gründer <Durov>", source="Example News",
        url="https://example.org/a?b=1&c=2", paragraph=4, text=text, score=0.9, highlight=(0, 34),
    )
    fields.update(kw)
    return Hit(**fields)  # type: ignore[arg-type]


def answer(*hits: Hit, answered: bool = True) -> Answer:
    return Answer(question="Wo?", answered=answered, hits=hits)



def test_articles_carry_title_paragraph_sentence_and_source() -> None:
    results = inline_results(answer(hit(11), hit(12, highlight=(35, 51))), "de")
    assert [r.id for r in results] == ["11", "12"]
    assert results[0].title == "Telegram-Gründer <Durov> · Absatz 4"
    assert results[0].description == "Durov wurde in Paris festgenommen."
    assert results[1].description == "Er kam aus Baku."
    message = results[0].input_message_content
    assert isinstance(message, InputTextMessageContent)
    assert message.parse_mode == "HTML"
    body = message.message_text
    assert body.startswith("<b>Durov wurde in Paris festgenommen.</b>")
    assert "Telegram-Gründer &lt;Durov&gt;" in body
    assert 'href="https://example.org/a?b=1&amp;c=2"' in body


def test_passage_text_is_escaped() -> None:
    body = inline_message(hit(1, text="a <script>x</script> & b", highlight=(0, 1)), "en")
    assert "<script>" not in body
    assert "&lt;script&gt;" in body


def test_unanswered_question_offers_no_results() -> None:
    assert inline_results(answer(hit(1), answered=False), "en") == []


def test_long_passage_message_stays_under_telegram_limit() -> None:
    body = inline_message(hit(1, text="Wort " * 2000, highlight=(0, 4)), "en")
    assert len(body) < 4096


def test_hint_button_opens_private_chat() -> None:
    button = hint_button("en", "paragraph", number=3)
    assert button.text == "paragraph 3"
    assert button.start_parameter == "inline"


def test_normalize_folds_case_and_space_and_caps_length() -> None:
    assert normalize("  Wer  HAT\nDurov ") == "wer hat durov"
    assert len(normalize("x" * 5000)) == 1000


def test_cache_returns_answers_until_they_expire() -> None:
    clock = Clock(0.0)
    cache = AnswerCache(ttl=30, clock=clock)
    cached = answer(hit(1))
    cache.put("v1", "wer", cached)
    clock.now = 29.9
    assert cache.get("v1", "wer") is cached
    clock.now = 30.0
    assert cache.get("v1", "wer") is None


def test_cache_drops_least_recently_used_beyond_capacity() -> None:
    cache = AnswerCache(max_entries=2, clock=Clock(0.0))
    first, second, third = answer(hit(1)), answer(hit(2)), answer(hit(3))
    cache.put("v1", "a", first)
    cache.put("v1", "b", second)
    cache.get("v1", "a")
    cache.put("v1", "c", third)
    assert cache.get("v1", "b") is None
    assert cache.get("v1", "a") is first and cache.get("v1", "c") is third


def test_an_answer_cached_from_one_index_version_is_not_served_from_another() -> None:
    cache = AnswerCache(ttl=30, clock=lambda: 0.0)
    cache.put("gen-1", "Wer ist Durov?", answer(hit(1)))
    assert cache.get("gen-1", "  wer ist   DUROV? ") is not None
    assert cache.get("gen-2", "Wer ist Durov?") is None

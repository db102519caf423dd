"""The answering judgement: small talk or a question, the three outcomes of a question, the lead for
questions about the whole story, boilerplate at ingestion and in ranking, and the fitted scorer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from support.fakes import FakeEmbedder
from support.scorers import plain

from index import Document, Engine, IndexConfig, judge
from index.boilerplate import boilerplate_paragraphs, signals
from index.chunking import paragraph_spans
from index.judge import Evidence, Scorer
from index.language import words
from index.ranking import order
from index.search import demote, names_source

STORY = "durov-telegram.de"


def _paragraphs(corpus_dir: Path) -> list[str]:
    text = (corpus_dir / f"{STORY}.txt").read_text(encoding="utf-8")
    return [text[s:e] for s, e in paragraph_spans(text)]


@pytest.fixture
async def judged(engine_config: IndexConfig) -> Engine:
    opened = await Engine.open(engine_config, FakeEmbedder(), scorer=plain(unsure_at=0.02))
    yield opened  # type: ignore[misc]
    await opened.close()


# --- the decision, on evidence ---------------------------------------------------------------------


def test_the_decision_follows_the_probability_bands() -> None:
    scorer = plain()
    assert scorer.decide(Evidence(sentence_cosine=1.0))[0] == "answer"
    assert scorer.decide(Evidence(sentence_cosine=0.78))[0] == "unsure"
    assert scorer.decide(Evidence(sentence_cosine=0.4))[0] == "not_found"
    assert scorer.decide(Evidence(sentence_cosine=1.0, small_talk=1.0))[0] == "small_talk"
    story = Evidence(sentence_cosine=0.4, whole_story=1.0, small_talk=0.5)
    assert scorer.decide(story) == ("answer", 1.0, True)
    assert scorer.decide(Evidence(sentence_cosine=0.4), who_is=True)[2]


def test_a_follow_up_read_in_context_is_neither_small_talk_nor_about_the_whole_story() -> None:
    scorer = plain()
    chatty = Evidence(sentence_cosine=1.0, small_talk=1.0)
    assert scorer.decide(chatty, follow_up=True)[0] == "answer"
    story = Evidence(sentence_cosine=0.4, whole_story=1.0, small_talk=0.5)
    assert scorer.decide(story, follow_up=True)[0::2] == ("not_found", False)
    assert scorer.decide(Evidence(sentence_cosine=0.4), who_is=True, follow_up=True)[2] is False


def test_boilerplate_no_closer_than_small_talk_is_at_most_unsure() -> None:
    scorer = plain()
    generic = Evidence(sentence_cosine=0.95, small_talk=0.96)  # "What should I cook tonight?" on ¶13
    assert scorer.decide(generic)[0] == "answer"  # a content passage: the fitted probability decides
    assert scorer.decide(generic, boilerplate=True)[0] == "unsure"
    asked_about = Evidence(sentence_cosine=0.95, small_talk=0.90)  # "Who provided the article?"
    assert scorer.decide(asked_about, boilerplate=True)[0] == "answer"
    assert scorer.decide(Evidence(sentence_cosine=0.4, small_talk=0.5), boilerplate=True)[0] == "not_found"


def test_a_word_only_the_top_passage_holds_makes_not_found_unsure() -> None:
    scorer = plain()
    weak = Evidence(sentence_cosine=0.4)
    assert scorer.decide(weak)[0] == "not_found"
    assert scorer.decide(weak, distinctive=True)[0] == "unsure"
    assert scorer.decide(Evidence(sentence_cosine=1.0), distinctive=True)[0] == "answer"
    assert scorer.decide(Evidence(sentence_cosine=1.0, small_talk=1.0), distinctive=True)[0] == "small_talk"


def test_names_only_this_needs_a_stem_no_other_passage_holds() -> None:
    text = "Die französische Polizei hatte Durov festgenommen, teilten die Staatsanwälte mit."
    counts = {"staatsanwalt": 1, "durov": 9, "polizei": 2}
    assert judge.names_only_this(counts, text)
    assert not judge.names_only_this({"durov": 9, "polizei": 2}, text)  # shared, but not only here
    assert not judge.names_only_this({"kuchen": 1}, text)  # only one passage has it: another one
    assert not judge.names_only_this(counts, "")


def test_a_configured_threshold_replaces_the_fitted_one() -> None:
    scorer = plain(answer_at=0.9)
    assert scorer.decide(Evidence(sentence_cosine=0.78))[0] == "unsure"
    assert scorer.decide(Evidence(sentence_cosine=0.78), answer_at=0.5)[0] == "answer"
    assert scorer.decide(Evidence(sentence_cosine=0.0), answer_at=0.0)[0] == "answer"


def test_content_words_leave_out_question_words_and_stopwords() -> None:
    assert judge.content_words("Wer ist Pavel Durov?") == ["pavel", "durov"]
    assert judge.content_words("Who are you?") == []
    assert judge.content_words("Wie viele Nutzer hat Telegram 2024?") == ["viele", "nutzer", "telegram"]


def test_a_general_question_names_nothing_the_corpus_knows_and_asks_for_no_fact() -> None:
    known = {"artikel", "nutzer", "monat", "durov"}
    assert judge.is_general("Worum dreht sich dieser Bericht?", known)
    assert judge.is_general("Can you sum up the news for me?", known)
    assert not judge.is_general("Worum geht es bei Durov?", known)  # names what the corpus knows
    assert not judge.is_general("Von wie vielen Nutzern im Monat spricht der Artikel?", known)
    assert not judge.is_general("Who provided the article?", known)
    assert not judge.is_general("In welche Rubriken ist die Meldung eingeordnet?", known)


def test_a_name_the_corpus_spells_otherwise_is_not_general() -> None:
    known = {"russland", "durov"}  # a German story: "Russland", never "Russia"
    assert not judge.is_general("What does the article say about Russia?", known, "en")
    assert not judge.is_general("Tell me about Moscow", known, "en")
    assert judge.is_general("What's the gist of this piece?", known, "en")  # capital only at the start
    assert judge.is_general("Quel est le sujet de ce texte ?", known, "")
    assert not judge.is_general("Что пишут о Москве?", known, "")  # Cyrillic capitals mark names
    # German writes every noun with a capital: there the corpus's stems decide, and also where the
    # language is unknown (a German question without stopwords)
    assert judge.is_general("Worum geht es in dem Bericht?", known, "de")
    assert judge.is_general("Kurze Zusammenfassung?", known, "")


def test_who_is_asks_for_the_lead_only_for_names_of_the_lead() -> None:
    lead = {"telegram", "ceo", "pavel", "durov", "hat", "gesagt"}
    assert judge.asks_who_is("Wer ist Pavel Durov?", lead)
    assert judge.asks_who_is("Who is Durov?", lead)
    assert not judge.asks_who_is("Wer hat Durov festgenommen?", lead)
    assert not judge.asks_who_is("Who is Taylor Swift?", lead)
    assert not judge.asks_who_is("Wer ist das?", lead)


def test_the_shipped_scorer_is_what_fit_makes_of_the_shipped_rows() -> None:
    from index import fit

    shipped = Scorer.load()
    assert fit.fit_scorer(fit.load_rows()) == shipped
    assert shipped.unsure_at <= shipped.answer_at and "held out" in shipped.fitted


def test_the_shipped_scorer_prefers_a_leading_answer_to_a_contested_one() -> None:
    scorer = Scorer.load()
    clear = Evidence(sentence_cosine=0.9, passage_cosine=0.88, lead=0.05, sentence_gap=0.05, overlap=1.0)
    contested = dataclasses.replace(clear, lead=0.0, sentence_gap=0.0, overlap=0.0)
    assert scorer.answer.probability(clear) > scorer.answer.probability(contested)


# --- through the engine, with the fake embedder ------------------------------------------------------


async def test_a_question_copying_a_sentence_is_answered(judged: Engine, corpus_dir: Path) -> None:
    answer = await judged.ask(_paragraphs(corpus_dir)[4])
    assert answer.outcome == "answer" and answer.answered and answer.hits[0].paragraph == 5


async def test_an_unrelated_question_is_not_found_with_the_closest_passage(judged: Engine) -> None:
    answer = await judged.ask("Rezept für Apfelkuchen mit Zimt und Sahne")
    assert answer.outcome == "not_found" and not answer.answered
    assert answer.hits  # the closest passage is still offered


async def test_a_half_matching_question_is_unsure_with_candidates(judged: Engine) -> None:
    answer = await judged.ask("Die französische Polizei hatte Durov festgenommen, nachdem sein Privatjet "
                              "in Berlin am Strand gelandet war?")
    assert answer.outcome == "unsure", answer.confidence
    assert not answer.answered and answer.hits


async def test_small_talk_is_not_searched_as_a_question(judged: Engine) -> None:
    for message in ("Hallo", "Danke!", "Tell me a joke"):
        answer = await judged.ask(message)
        assert answer.outcome == "small_talk" and not answer.answered, message


async def test_a_question_about_the_whole_story_gets_its_lead(judged: Engine, corpus_dir: Path) -> None:
    paragraphs = _paragraphs(corpus_dir)
    for question in ("Worum geht es?", "Wer ist Pavel Durov?"):
        answer = await judged.ask(question)
        assert answer.outcome == "answer" and answer.whole_story, question
        assert [h.paragraph for h in answer.hits] == [1, 2]
        assert " ".join(answer.hits[0].text.split()) == " ".join(paragraphs[0].split())


async def test_who_is_the_source_is_not_a_question_about_the_whole_story(judged: Engine) -> None:
    # the lead opens with the source's dateline, "(SeaPRwire) –": its name is a word of the lead, but
    # a question naming the source asks about the source, which its own blurb answers
    for question in ("What is SeaPRwire?", "Wer ist SeaPRwire?"):
        answer = await judged.ask(question)
        assert not answer.whole_story, question
    assert (await judged.ask("Wer ist Pavel Durov?")).whole_story


# --- boilerplate -----------------------------------------------------------------------------------


def test_the_story_closes_with_three_boilerplate_paragraphs(corpus_dir: Path) -> None:
    paragraphs = _paragraphs(corpus_dir)
    assert boilerplate_paragraphs(paragraphs, "SeaPRwire", "https://www.seaprwire.com/") == {12, 13, 14}
    assert signals(paragraphs[0], ["seaprwire"]) == ["names the source"]  # the dateline of the lead ...
    assert 1 not in boilerplate_paragraphs(paragraphs, "SeaPRwire", "")  # ... is never boilerplate


@pytest.mark.parametrize(
    ("tail", "flagged"),
    [
        (["Tags: Politik, Technik, Europa"], {3}),
        (["Teilen Sie diesen Artikel", "© 2024 Beispielverlag. Alle Rechte vorbehalten."], {3, 4}),
        (["Mehr unter https://example.org/presse"], {3}),
        (["Der Prozess beginnt im Frühjahr, sagte der Anwalt."], set()),
    ],
)
def test_a_closing_run_of_labels_links_and_rights_lines_is_boilerplate(
    tail: list[str], flagged: set[int]
) -> None:
    body = ["Die Regierung hat am Montag einen neuen Plan vorgestellt.",
            "Kritiker sagen, der Plan komme zu spät und sei zu teuer."]
    assert boilerplate_paragraphs(body + tail) == flagged


async def test_boilerplate_is_flagged_at_ingestion(engine: Engine) -> None:
    generation = engine._serving()
    flags = {generation.place(int(pid))[1]: generation.is_boilerplate(int(pid))  # type: ignore[index]
             for pid in generation.passage_ids()}
    assert {p for p, flagged in flags.items() if flagged} == {12, 13, 14}


async def test_boilerplate_answers_only_questions_about_it(judged: Engine, corpus_dir: Path) -> None:
    disclaimer = _paragraphs(corpus_dir)[11]
    answer = await judged.ask(disclaimer)
    assert answer.hits[0].paragraph == 12  # asked about it: still first
    about_source = await judged.ask("In wie vielen Ländern verteilt SeaPRwire Pressemitteilungen?")
    assert about_source.hits[0].paragraph == 14


def test_boilerplate_falls_behind_content_it_ties_with_unless_the_question_names_the_source() -> None:
    total = {1: 0.850, 2: 0.860}  # passage 2 is boilerplate and a little ahead
    assert order(demote(total, {2}, about_source=False)) == [1, 2]
    assert order(demote(total, {2}, about_source=True)) == [2, 1]
    assert order(demote({1: 0.80, 2: 0.90}, {2}, about_source=False)) == [2, 1]  # a clear lead stays
    assert names_source("Wie viele Redakteure erreicht SeaPRwire?", [_doc("SeaPRwire")])
    assert not names_source("Wer hat den Artikel geliefert?", [_doc("SeaPRwire")])


def _doc(source: str) -> Document:
    return Document(STORY, "t", source, "", "de", "", f"{STORY}.txt", "x")


def test_remembered_stems_are_the_stems_and_overlap_ignores_the_container_type() -> None:
    from index.judge import share_known, stems, text_stems, word_stems

    text = "Die französische Polizei hatte Durov festgenommen, nachdem sein Privatjet gelandet war."
    assert text_stems(text) == frozenset(stems(words(text))) and text_stems(text) is text_stems(text)
    assert word_stems("Festnahmen") == frozenset(stems(["Festnahmen"]))
    asked = ["polizei", "festgenommen", "wetter"]
    known = stems(["polizei", "festgenommen"])
    assert share_known(asked, known) == share_known(asked, sorted(known)) == share_known(
        asked, frozenset(known)) == pytest.approx(2 / 3)
    assert share_known([], known) == 0.0

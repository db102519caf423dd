"""Follow-up questions: which questions lean on the one before, how they are read, and that a
self-contained question is never bent towards the previous one."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import Answer, Engine, Hit, IndexConfig
from index.evaluate_followups import SHOWN, Pair, followup_report, found, load_pairs, xquad_articles
from index.followup import about_the_text, bare, leans_on, names, near_previous, prefer, readings

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "question",
    [
        "Und wann kam er wieder frei?",
        "Und wer hat ihn festgenommen?",
        "Wo besonders?",
        "Wie viele Straftaten sind es?",
        "And when was he released?",
        "Who arrested him?",
        "Where especially?",
        "What about Iran?",
        "Warum?",
        "Why?",
        "Und dort?",
        "Where is he now?",  # "now" is not small talk: the question is about him
        "An welchem Tag?",
        "On which day?",
        "How many offences?",
        "Gegen welche Bedrohung?",
        "Was macht das für Kriminelle leichter?",  # "das" with no noun after it stands for something
        "Was bedeutet das?",
        "Was entstand dadurch?",  # pronominal adverbs point back like "dabei" / "dazu"
        "Was folgt daraus?",
        "Was steht darin?",
        "Was sagt das über Telegram?",  # a preposition after "das", not an adjective
    ],
)
def test_short_questions_that_point_back_lean_on_the_previous_one(question: str) -> None:
    assert leans_on(question)


@pytest.mark.parametrize(
    "question",
    [
        "Wo wurde Durov festgenommen?",
        "Wie viele Nutzer hat Telegram?",
        "Where did Durov publish his long statement?",
        "Wo hat der Chef seine Erklärung veröffentlicht?",
        "What is Telegram accused of by the French authorities?",
        "How long was the CEO held before his release?",
        "Ist der Dienst laut seinem Gründer perfekt?",
        "What does the company do against illegal content, and how often does it report about that?",
        "Hallo!",
        "Who made you?",
        "Was kannst du?",
        "Welcher Tag",  # no question mark: a bare question is asked as one
        "Wo wohnt Durov?",  # two things named
        "Wie geht es dir?",  # said to the bot
        "How are you doing?",
        "Hi there",  # a greeting; "there" points nowhere
        "Regnet es morgen?",  # "es" is the weather
        "Is it late already?",  # "it" is the time
        "What day is it today?",
        "What's the gist of this piece?",  # "this" is the text itself
        "Worum geht es in diesem Artikel?",
        "Wie viele Nutzer hat das Unternehmen?",  # "das" as an article: the question names its subject
        "Wie heißt das stationäre Behandlungsprogramm, das die Universität betreibt?",  # article; relative
        "Was regelt das neue Gesetz?",  # an article before an adjective and its noun
    ],
)
def test_questions_that_say_what_they_ask_about_stand_on_their_own(question: str) -> None:
    assert not leans_on(question)


def test_a_question_about_the_text_itself_names_it() -> None:
    assert about_the_text("Who wrote this article?")
    assert about_the_text("Woher stammt die Meldung?")
    assert not about_the_text("What should I cook tonight?")
    assert not about_the_text("Who wrote the articles of association?")  # plural: another thing


def test_a_bare_question_asks_about_one_thing_and_is_not_said_to_the_bot() -> None:
    assert bare("An welchem Tag?") and bare("Against which threat?") and bare("Wer ist Durov?")
    assert not bare("Wer bist du?") and not bare("Wann?  Wo?  Wie?  Warum?") and not bare("Tag?")


@pytest.mark.model
async def test_with_the_real_model_a_bare_follow_up_is_read_in_context_and_a_bare_question_is_not(
    tmp_path: Path, corpus_dir: Path
) -> None:
    engine = await Engine.open(IndexConfig(corpus_dir=corpus_dir, data_dir=tmp_path / "data"))
    try:
        first = await engine.ask("Wo hat Durov seine Erklärung veröffentlicht?")
        alone = await engine.ask("An welchem Tag?")
        followed = await engine.ask("An welchem Tag?", previous=first.question,
                                    previous_passage=first.hits[0].passage_id)
        who = await engine.ask("Wer ist Durov?")
        who_after = await engine.ask("Wer ist Durov?", previous=first.question)
    finally:
        await engine.close()
    assert alone.outcome == "small_talk"  # alone it names nothing the story could answer
    on_which_day = Pair(first.question, "An welchem Tag?", 4, "de")
    assert followed.follow_up_of == first.question and found(followed, on_which_day)
    assert who_after.follow_up_of == "" and who_after.hits == who.hits


def test_a_follow_up_is_read_with_the_names_and_the_subject_of_the_previous_question() -> None:
    assert names("Wo wurde Durov festgenommen?") == ["Durov"]
    assert readings("Wo wurde Durov in Paris festgenommen?", "Und wann kam er frei?") == [
        "Und wann kam Durov Paris frei?",
        "Und wann kam er frei? (durov paris festgenommen)",
    ]
    assert readings("Wo?", "Und wann?") == []  # nothing to lean on


def answer(
    outcome: str, confidence: float, paragraphs: tuple[int, ...] = (1,), whole: bool = False
) -> Answer:
    hits = tuple(Hit(p, "d", "T", "", "", p, f"text {p}", 0.5, (0, 4)) for p in paragraphs)
    return Answer("q", outcome == "answer", hits, confidence=confidence, outcome=outcome, whole_story=whole)


def test_a_reading_is_preferred_only_when_it_answers_better() -> None:
    assert prefer(answer("answer", 0.4), answer("unsure", 0.9))
    assert prefer(answer("unsure", 0.3), answer("unsure", 0.2))
    assert not prefer(answer("unsure", 0.2), answer("unsure", 0.3))
    assert not prefer(answer("not_found", 0.9), answer("not_found", 0.1))  # nothing shown either way
    assert prefer(answer("unsure", 0.1), answer("answer", 1.0, whole=True))  # "the whole story" misread


def test_when_the_follow_up_alone_is_weak_the_previous_answer_s_passage_comes_first() -> None:
    weak, sure_alone = answer("unsure", 0.1), answer("answer", 0.9)
    unsure = answer("unsure", 0.2, (4, 11, 8))
    assert [h.paragraph for h in near_previous(unsure, 11, weak).hits] == [11, 4, 8]
    assert near_previous(unsure, 99, weak) is unsure  # not among the candidates
    assert near_previous(unsure, 11, sure_alone) is unsure  # the follow-up alone was answered
    sure = near_previous(answer("answer", 0.8, (4, 11)), 11, weak)
    assert ([h.paragraph for h in sure.hits], sure.outcome) == ([11, 4], "unsure")  # both shown, not sure
    assert near_previous(unsure, 11, answer("answer", 1.0, whole=True)).hits[0].paragraph == 11


def test_the_pair_sets_are_well_formed_and_in_both_languages() -> None:
    for name in ("followups.jsonl", "followups_heldout.jsonl", "followups_xquad.jsonl",
                 "followups_xquad_more.jsonl"):
        pairs = load_pairs(DATA / name)
        assert {p.lang for p in pairs} == {"de", "en"}
        assert all(p.first and p.followup and p.paragraph > 0 for p in pairs)
        assert all(p.written and p.written != p.followup for p in pairs)  # each written out in full
    assert len(load_pairs(DATA / "followups.jsonl")) >= 40
    assert {p.doc for p in load_pairs(DATA / "followups_xquad.jsonl")} == {"kenya", "rhine"}
    assert len({p.doc for p in load_pairs(DATA / "followups_xquad_more.jsonl")}) == 4


async def test_the_report_sets_the_written_out_question_beside_the_follow_up(engine: Engine) -> None:
    import io

    written = "Die französische Polizei hatte Durov vor zwei Wochen festgenommen."
    top = await engine.ask(written)
    assert top.outcome in SHOWN
    paragraph = top.hits[0].paragraph
    other = next(h.paragraph for h in top.hits if h.paragraph != paragraph)
    first = "Wo wurde Durov festgenommen?"
    pairs = [Pair(first, "Und wann?", paragraph, "de", written=written),
             Pair(first, "Und wer?", other, "de", written=written)]  # its written-out form finds another
    out = io.StringIO()
    figures = await followup_report(engine, pairs, [], out)
    assert figures["written"] == figures["de_written"] == 0.5
    assert "written out" in out.getvalue().splitlines()[0]
    plain = io.StringIO()  # a set without written-out forms has no such figure
    figures = await followup_report(engine, [Pair(first, "Und wann?", paragraph, "de")], [], plain)
    total = next(line for line in plain.getvalue().splitlines() if line.startswith("all"))
    assert "written" not in figures and total.rstrip().endswith("-")


def _xquad(folder: Path) -> Path:
    """A two-language XQuAD folder of two small articles."""
    import json

    def article(title: str, paragraphs: list[tuple[str, list[tuple[str, str]]]]) -> dict:  # type: ignore[type-arg]
        return {"title": title,
                "paragraphs": [{"context": c, "qas": [{"id": i, "question": q} for i, q in qas]}
                               for c, qas in paragraphs]}

    folder.mkdir()
    for lang, ask in (("de", "Wo fließt der Rhein?"), ("en", "Where does the Rhine flow?")):
        data = [article("Rhine", [("Der Rhein fließt durch Bonn.", [("r1", ask)]),
                                  ("Er mündet in die Nordsee.", [("r2", ask + " 2")])]),
                article("Kenya", [("Kenia liegt in Afrika.", [("k1", "Kenia?")])])]
        (folder / f"xquad.{lang}.json").write_text(json.dumps({"data": data}), encoding="utf-8")
    return folder


def test_xquad_articles_become_documents_and_give_their_questions(tmp_path: Path) -> None:
    xquad = _xquad(tmp_path / "xquad")
    pairs = [Pair("Wo fließt der Rhein?", "Und wohin mündet er?", 2, "de", "rhine")]
    corpus = tmp_path / "corpus"
    questions = xquad_articles(xquad, pairs, corpus)
    assert sorted(p.name for p in corpus.iterdir()) == ["rhine.toml", "rhine.txt"]  # only the articles named
    text = (corpus / "rhine.txt").read_text(encoding="utf-8")
    assert text == "Der Rhein fließt durch Bonn.\n\nEr mündet in die Nordsee.\n"
    assert 'title = "Rhine"' in (corpus / "rhine.toml").read_text(encoding="utf-8")
    assert questions == ["Wo fließt der Rhein?", "Wo fließt der Rhein? 2", "Where does the Rhine flow?",
                         "Where does the Rhine flow? 2"]
    written = (corpus / "rhine.txt").stat().st_mtime_ns
    xquad_articles(xquad, pairs, corpus)
    assert (corpus / "rhine.txt").stat().st_mtime_ns == written  # unchanged: not rewritten
    with pytest.raises(ValueError, match="no article atlantis"):
        xquad_articles(xquad, [Pair("a", "b", 1, "de", "atlantis")], corpus)


def test_a_pair_with_a_document_is_found_only_in_that_document() -> None:
    from dataclasses import replace

    in_rhine = Pair("a", "b", 2, "de", "rhine")
    shown = answer("unsure", 0.3, (2,))  # paragraph 2 of document "d"
    assert found(shown, Pair("a", "b", 2, "de")) and not found(shown, Pair("a", "b", 3, "de"))
    assert not found(shown, in_rhine)
    assert found(replace(shown, hits=(replace(shown.hits[0], doc_id="rhine"),)), in_rhine)
    assert not found(answer("not_found", 0.0, (2,)), Pair("a", "b", 2, "de"))  # no passages shown


@pytest.mark.model
async def test_with_the_real_model_a_follow_up_is_answered_in_context(
    tmp_path: Path, corpus_dir: Path
) -> None:
    engine = await Engine.open(IndexConfig(corpus_dir=corpus_dir, data_dir=tmp_path / "data"))
    try:
        first = await engine.ask("Wo wurde Durov festgenommen?")
        alone = await engine.ask("And when was he released?")
        followed = await engine.ask(
            "And when was he released?", previous=first.question, previous_passage=first.hits[0].passage_id
        )
        standalone = await engine.ask("Wie viele Nutzer hat Telegram?", previous=first.question)
        greeting = await engine.ask("Hi there", previous=first.question,
                                    previous_passage=first.hits[0].passage_id)
    finally:
        await engine.close()
    assert first.hits[0].paragraph == 11
    released = Pair("Wo wurde Durov festgenommen?", "And when was he released?", 11, "en")
    assert not found(alone, released) and found(followed, released)
    # found by the arrest it follows up on, it highlights what it asks: the release
    assert "freigelassen" in followed.hits[0].sentence and "freigelassen" not in first.hits[0].sentence
    assert followed.follow_up_of == "Wo wurde Durov festgenommen?"
    assert standalone.follow_up_of == "" and standalone.hits[0].paragraph == 5
    assert greeting.follow_up_of == "" and greeting.outcome == "small_talk"  # not the arrest again

"""Answer quality: XQuAD near misses and retrieval in every language, boilerplate, the story set.

    python -m index eval [--xquad DIR] [--story FILE] [--limit N]

- **XQuAD near misses** (the SQuAD-2 way, ``fit.py`` makes the rows): within each article, a
  question is answerable with its paragraph in the corpus and a near miss without it; questions of
  other articles are off-topic. Reported on the articles the scorer was *not* fitted on, per
  language: R@1 within the article, AUROC answerable vs near miss of the answer probability, and at
  the shipped thresholds the share of answerable questions not answered, and of near misses and
  off-topic questions answered.
- **XQuAD, all 240 paragraphs**: R@1 / MRR@10 of the gold paragraph with the whole XQuAD corpus
  indexed, per language (ranking is not fitted, so every question counts).
- **Boilerplate**: what the detector flags on the story and on XQuAD's articles.
- **The story set** (``tests/data/story_questions.jsonl``): through ``Engine.ask`` on the bundled
  story, the outcome of each kind of question and every failure.
- **Follow-ups** (``followups.jsonl`` beside it, ``evaluate_followups.py``): each follow-up alone
  and with its first question; self-contained questions after an unrelated one.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import numpy as np

from . import fit, judge, search
from .boilerplate import boilerplate_paragraphs
from .build import cached_queries
from .chunking import paragraph_spans
from .config import ROOT, IndexConfig
from .documents import load_corpus
from .engine import Engine
from .evaluate_followups import followup_report, load_pairs, xquad_articles
from .models import Answer

EVAL_DIR = ROOT / ".cache" / "eval"
DEPTH = 10  # hits asked for: MRR@10
# the follow-up pairs beside the story question set: the one the rules were written with, and one
# written afterwards and not looked at while changing them
FOLLOWUPS = ("followups.jsonl", "followups_heldout.jsonl")
# chatter written after the rules it checks: small talk (the follow-up rules), off-topic questions
# (the boilerplate rule); asked alone, and after a question about the story
HELD_OUT_CHATTER = ("small_talk_heldout.txt", "off_topic_heldout.txt")
# on XQuAD articles the rules never saw: held out by article
FOLLOWUPS_XQUAD = ("followups_xquad.jsonl", "followups_xquad_more.jsonl")
CONCURRENCY = 16  # questions in flight at once (the engine encodes concurrent questions together)


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    gold: tuple[str, tuple[int, ...]] | None  # (document id, paragraphs that answer it); None: none
    kind: str = ""  # original, reworded, boilerplate, whole_story, near_miss, off_topic, small_talk


@dataclass(frozen=True)
class Outcome:
    question: Question
    rank: int | None  # 1-based rank of the gold paragraph among distinct paragraphs, None if absent
    answered: bool
    confidence: float
    top: tuple[str, int] | None  # (document id, paragraph) of the top hit
    outcome: str = ""


# -- metrics ---------------------------------------------------------------------------------------


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose gold item is within the first ``k``."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr_at(ranks: Sequence[int | None], k: int = DEPTH) -> float:
    """Mean reciprocal rank, counting only ranks up to ``k``."""
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def auroc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positive or not negative:
        return 0.0
    neg = np.sort(np.asarray(negative))
    pos = np.asarray(positive)
    below = np.searchsorted(neg, pos, side="left")
    equal = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * equal).sum() / (len(pos) * len(neg)))


def gold_rank(ranking: Sequence[tuple[str, int]], gold: tuple[str, Sequence[int]]) -> int | None:
    """1-based rank of the first gold paragraph among the distinct items of ``ranking`` (windows of
    one paragraph count once), None if none is there."""
    doc, paragraphs = gold
    seen: list[tuple[str, int]] = []
    for item in ranking:
        if item not in seen:
            seen.append(item)
            if item[0] == doc and item[1] in paragraphs:
                return len(seen)
    return None


# -- the story set ---------------------------------------------------------------------------------


def load_story_questions(path: Path) -> list[Question]:
    """Read the story question set (JSON lines); a malformed line raises ``ValueError`` naming it.

    An answerable question names its paragraph (``"paragraph": 5``) or, when several paragraphs
    answer it, all of them (``"paragraphs": [5, 9]``); either counts a hit at the first of them.
    """
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, lang = str(row["question"]), str(row["lang"])
            answerable = row.get("answerable", True)
            gold = (str(row["doc"]), _paragraphs(row)) if answerable else None
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a story question ({exc})") from None
        questions.append(Question(text, lang, gold, str(row.get("kind", ""))))
    return questions


def _paragraphs(row: dict[str, object]) -> tuple[int, ...]:
    listed = row["paragraphs"] if "paragraphs" in row else [row["paragraph"]]
    if not isinstance(listed, list) or not listed:
        raise ValueError("paragraphs must be a non-empty list")
    return tuple(int(p) for p in listed)


def outcome(question: Question, answer: Answer) -> Outcome:
    ranking = [(hit.doc_id, hit.paragraph) for hit in answer.hits]
    top = ranking[0] if ranking else None
    rank = gold_rank(ranking, question.gold) if question.gold else None
    return Outcome(question, rank, answer.answered, answer.confidence, top, answer.outcome)


async def ask_all(engine: Engine, questions: Sequence[Question]) -> list[Outcome]:
    results: list[Outcome] = []
    for start in range(0, len(questions), CONCURRENCY):
        batch = questions[start : start + CONCURRENCY]
        answers = await asyncio.gather(*(engine.ask(q.text, k=DEPTH) for q in batch))
        results.extend(outcome(q, a) for q, a in zip(batch, answers, strict=True))
    return results


def story_report(outcomes: Sequence[Outcome], out: TextIO) -> None:
    """Outcomes per kind of question, the headline shares, and every failure."""
    kinds = list(dict.fromkeys(o.question.kind or "-" for o in outcomes))
    print(f"{'story: kind':<24}{'n':>5}{'answer':>8}{'  right':>8}{'unsure':>8}{'not_found':>11}"
          f"{'small_talk':>12}", file=out)
    for kind in kinds:
        group = [o for o in outcomes if (o.question.kind or "-") == kind]
        counts = Counter(o.outcome for o in group)
        right = sum(o.outcome == "answer" and o.rank == 1 for o in group)
        print(f"{kind:<24}{len(group):>5}{counts['answer']:>8}{right if group[0].question.gold else '':>8}"
              f"{counts['unsure']:>8}{counts['not_found']:>11}{counts['small_talk']:>12}", file=out)
    answerable = [o for o in outcomes if o.question.gold]
    chatter = [o for o in outcomes if o.question.kind in ("small_talk", "off_topic")]
    right = sum(o.outcome == "answer" and o.rank == 1 for o in answerable)
    declined = sum(o.outcome == "not_found" for o in answerable)
    print(f"story answerable, right passage first and answered: {right}/{len(answerable)} "
          f"({right / max(1, len(answerable)):.1%}); declined (not found): {declined} "
          f"({declined / max(1, len(answerable)):.1%})", file=out)
    presented = sum(o.outcome == "answer" for o in chatter)
    print(f"story small talk and off-topic presented as an answer: {presented}/{len(chatter)}", file=out)
    for o in outcomes:
        q = o.question
        if q.gold and not (o.outcome == "answer" and o.rank == 1):
            gold = "/".join(f"¶{p}" for p in q.gold[1])
            why = f"{o.outcome}, gold {gold} at rank {o.rank or '>10'}, top ¶{o.top[1] if o.top else '-'}"
        elif q.kind == "small_talk" and o.outcome != "small_talk":
            why = f"{o.outcome}, not taken as small talk"
        elif not q.gold and o.outcome == "answer":
            why = f"answered from ¶{o.top[1] if o.top else '-'}, but the story does not answer it"
        else:
            continue
        print(f"  FAIL [{q.lang}] {q.text!r}: {why} (confidence {o.confidence:.3f})", file=out)


# -- XQuAD -----------------------------------------------------------------------------------------


def near_miss_report(table: dict[str, np.ndarray], scorer: judge.Scorer, out: TextIO) -> None:
    """Per language, on the held-out articles: R@1, AUROC and the shares at the shipped thresholds."""
    held = table["article"] >= fit.TRAIN_ARTICLES
    evidence = fit.evidence_rows(table)
    decided = [scorer.decide(e, general=False)[0] for e in evidence]  # whole-story: the story set
    answered = np.array([d == "answer" for d in decided])
    p = np.array([scorer.answer.probability(e) for e in evidence])
    kind = table["kind"]
    print(f"XQuAD near misses, held-out articles {fit.TRAIN_ARTICLES}-47 "
          "(the scorer was fitted on the others)", file=out)
    print(f"{'language':<10}{'n':>6}{'R@1':>8}{'AUROC':>8}{'answerable':>12}{'near miss':>11}"
          f"{'off-topic':>11}", file=out)
    print(f"{'':<10}{'':>6}{'article':>8}{'':>8}{'declined':>12}{'accepted':>11}{'accepted':>11}", file=out)
    for lang in [str(x) for x in dict.fromkeys(table["language"]) if str(x) != "xx"]:
        mine = held & (table["language"] == lang)
        pos = mine & (kind == fit.KINDS.index("answerable"))
        neg = mine & (kind == fit.KINDS.index("near_miss"))
        off = mine & (kind == fit.KINDS.index("off_topic"))
        r1 = float(table["gold_first"][pos].mean()) if pos.any() else 0.0
        print(f"{lang:<10}{int(pos.sum()):>6}{r1:>8.3f}{auroc(list(p[pos]), list(p[neg])):>8.3f}"
              f"{1 - answered[pos].mean():>12.1%}{answered[neg].mean():>11.1%}{answered[off].mean():>11.1%}",
              file=out)
    talk = held & (kind == fit.KINDS.index("small_talk"))
    taken = np.array([d == "small_talk" for d in decided])
    questions = held & (kind != fit.KINDS.index("small_talk"))
    print(f"small talk (held-out articles): references taken as small talk {taken[talk].mean():.1%}, "
          f"XQuAD questions taken as small talk {taken[questions].mean():.2%}", file=out)


async def retrieval_report(corpus: fit.Corpus, cache: object, limit: int | None, out: TextIO) -> None:
    """R@1 and MRR@10 per language with all 240 paragraphs indexed."""
    print(f"{'XQuAD, 240 paragraphs':<24}{'n':>6}{'R@1':>8}{'R@3':>8}{'MRR@10':>8}", file=out)
    engine, data = corpus.engine, corpus.data
    for lang, questions in data.questions.items():
        questions = questions[:limit] if limit else questions
        vectors = await cached_queries(cache, engine.embedder, [q for q, _ in questions])  # type: ignore[arg-type]
        ranks: list[int | None] = []
        for (question, gold), vector in zip(questions, vectors, strict=True):
            language = search.guess_language(question)
            keyword = (await corpus.generation.store.keyword(question, language, search.N_KEYWORD)
                       if search.use_keywords(language) else [])
            ranking = search.ranked(corpus.generation, vector, keyword, language)
            places = [corpus.generation.place(r.passage_id) for r in ranking[:DEPTH]]
            ranks.append(gold_rank([p for p in places if p], (fit.doc_id(gold), (1,))))
        print(f"{lang + '→de':<24}{len(ranks):>6}{recall_at(ranks, 1):>8.3f}{recall_at(ranks, 3):>8.3f}"
              f"{mrr_at(ranks):>8.3f}", file=out)


def boilerplate_report(config: IndexConfig, data: fit.XQuAD | None, out: TextIO) -> None:
    sources, _ = load_corpus(config.corpus_dir, config.limits())
    for source in sources:
        paragraphs = [source.text[s:e] for s, e in paragraph_spans(source.text)]
        flagged = sorted(boilerplate_paragraphs(paragraphs, source.source, source.url))
        print(f"boilerplate: {source.id}: ¶{', ¶'.join(map(str, flagged)) or ' none'} of {len(paragraphs)}",
              file=out)
    if data is not None:
        articles = sorted(set(data.article_of))
        texts = {a: [data.paragraphs[i] for i, b in enumerate(data.article_of) if b == a] for a in articles}
        flagged_count = sum(len(boilerplate_paragraphs(texts[a])) for a in articles)
        print(f"boilerplate: XQuAD: {flagged_count} of {len(data.paragraphs)} paragraphs in {len(articles)} "
              "articles flagged", file=out)


async def evaluate(xquad: Path, story_path: Path, limit: int | None, config: IndexConfig, out: TextIO) -> int:
    data = None
    if (xquad / "xquad.de.json").exists():
        corpus, cache = await fit.open_corpus(config, xquad)
        try:
            table = await fit.rows(corpus, cache)
            near_miss_report(table, corpus.engine.scorer, out)
            await retrieval_report(corpus, cache, limit, out)
            data = corpus.data
        finally:
            await cache.close()
            await corpus.engine.close()
    else:
        print(f"XQuAD skipped: no xquad.de.json in {xquad} (give --xquad DIR)", file=out)
    boilerplate_report(config, data, out)
    story = load_story_questions(story_path)
    if limit is not None:
        story = story[:limit]
    engine = await Engine.open(replace(config, data_dir=EVAL_DIR / "story" / "data"), progress=True)
    try:
        await engine.rebuild(progress=True)
        story_report(await ask_all(engine, story), out)
        standalone = [q.text for q in story
                      if q.gold and q.kind in ("original", "reworded", "whole_story", "boilerplate")]
        unanswerable = [q.text for q in story if q.kind in ("small_talk", "off_topic")]
        for name in HELD_OUT_CHATTER:
            if story_path.with_name(name).exists():
                lines = story_path.with_name(name).read_text(encoding="utf-8").splitlines()
                chatter = [line.strip() for line in lines if line.strip()]
                await chatter_report(engine, name, chatter, out)
                unanswerable += chatter
        for name in FOLLOWUPS:
            if story_path.with_name(name).exists():
                print(f"follow-ups: {name}", file=out)
                await followup_report(engine, load_pairs(story_path.with_name(name)), standalone, out,
                                      unanswerable)
    finally:
        await engine.close()
    for name in FOLLOWUPS_XQUAD if data is not None else ():
        if story_path.with_name(name).exists():
            await xquad_followups(config, xquad, story_path.with_name(name), out)
    return 0


async def chatter_report(engine: Engine, name: str, messages: Sequence[str], out: TextIO) -> None:
    """How messages the story does not answer come out when asked alone; each one answered is named."""
    outcomes: Counter[str] = Counter()
    for message in messages:
        answer = await engine.ask(message)
        outcomes[answer.outcome] += 1
        if answer.outcome == "answer":
            where = f"¶{answer.hits[0].paragraph}" if answer.hits else "no passage"
            print(f"  answered: {message!r} from {where}", file=out)
    counts = ", ".join(f"{outcome} {outcomes[outcome]}" for outcome in ("answer", "unsure", "not_found",
                                                                       "small_talk"))
    print(f"{name} asked alone: {len(messages)}: {counts}", file=out)


async def xquad_followups(config: IndexConfig, xquad: Path, path: Path, out: TextIO) -> None:
    """The follow-up figures of a pair set on XQuAD articles, over those articles alone."""
    pairs = load_pairs(path)
    folder = EVAL_DIR / "followups-xquad" / path.stem
    standalone = xquad_articles(xquad, pairs, folder / "corpus")
    engine = await Engine.open(replace(config, corpus_dir=folder / "corpus", data_dir=folder / "data"),
                               progress=True)
    try:
        await engine.rebuild(progress=True)
        articles = ", ".join(sorted({p.doc for p in pairs}))
        print(f"follow-ups: {path.name} (XQuAD articles {articles}, held out by article)", file=out)
        await followup_report(engine, pairs, standalone, out)
    finally:
        await engine.close()


def run(xquad: Path, story: Path, limit: int | None, config: IndexConfig) -> int:
    """``python -m index eval``: print the quality tables; 0 on success, 2 on bad input."""
    try:
        return asyncio.run(evaluate(xquad, story, limit, config, sys.stdout))
    except (OSError, ValueError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2

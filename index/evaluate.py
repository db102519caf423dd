"""Retrieval quality: XQuAD (German paragraphs, German and English questions) and the story set.

    python -m index eval [--xquad DIR] [--story FILE] [--limit N]

Both sets run through the product's own path: documents in a corpus folder, ``Engine.open``
builds the index (under ``.cache/eval``; the embedding cache makes a second run cheap) and
``Engine.ask`` answers every question. Metrics: Recall@1, Recall@3 and MRR@10 of the gold
paragraph; for the story set also the "not in the story" decisions and every failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from .config import ROOT, IndexConfig
from .engine import Engine
from .models import Answer

XQUAD_DIR = ROOT.parent / "shared" / "data" / "xquad"
STORY_QUESTIONS = ROOT / "tests" / "data" / "story_questions.jsonl"
EVAL_DIR = ROOT / ".cache" / "eval"
DEPTH = 10  # hits asked for: MRR@10
CONCURRENCY = 16  # questions in flight at once (the engine encodes concurrent questions together)


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    gold: tuple[str, tuple[int, ...]] | None  # (document id, paragraphs that answer it); None: none


@dataclass(frozen=True)
class Outcome:
    question: Question
    rank: int | None  # 1-based rank of the gold paragraph among distinct paragraphs, None if absent
    answered: bool
    confidence: float  # how surely the top hit answers (compared with the threshold)
    top: tuple[str, int] | None  # (document id, paragraph) of the top hit


# -- metrics ---------------------------------------------------------------------------------------


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose gold item is within the first ``k``."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr_at(ranks: Sequence[int | None], k: int = DEPTH) -> float:
    """Mean reciprocal rank, counting only ranks up to ``k``."""
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


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


# -- question sets ---------------------------------------------------------------------------------


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
        questions.append(Question(text, lang, gold))
    return questions


def _paragraphs(row: dict[str, object]) -> tuple[int, ...]:
    listed = row["paragraphs"] if "paragraphs" in row else [row["paragraph"]]
    if not isinstance(listed, list) or not listed:
        raise ValueError("paragraphs must be a non-empty list")
    return tuple(int(p) for p in listed)


def load_xquad(folder: Path) -> tuple[list[str], dict[str, list[Question]]]:
    """The German paragraphs and the German and English questions, gold = (paragraph id, (1,))."""
    de = json.loads((folder / "xquad.de.json").read_text(encoding="utf-8"))["data"]
    en = json.loads((folder / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    english = {qa["id"]: qa["question"] for art in en for par in art["paragraphs"] for qa in par["qas"]}
    paragraphs: list[str] = []
    sets: dict[str, list[Question]] = {"de": [], "en": []}
    for art in de:
        for par in art["paragraphs"]:
            gold = (xquad_doc_id(len(paragraphs)), (1,))
            paragraphs.append(par["context"])
            for qa in par["qas"]:
                sets["de"].append(Question(qa["question"], "de", gold))
                sets["en"].append(Question(english[qa["id"]], "en", gold))
    return paragraphs, sets


def xquad_doc_id(index: int) -> str:
    return f"xquad-{index:03d}"


def write_corpus(folder: Path, paragraphs: Sequence[str]) -> None:
    """One German document per paragraph (rewritten only when its text changed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(paragraphs):
        doc = folder / f"{xquad_doc_id(i)}.txt"
        meta = folder / f"{xquad_doc_id(i)}.toml"
        if not doc.exists() or doc.read_text(encoding="utf-8") != text + "\n":
            doc.write_text(text + "\n", encoding="utf-8")
            meta.write_text(f'title = "XQuAD {i}"\nlanguage = "de"\n', encoding="utf-8")


# -- running ---------------------------------------------------------------------------------------


def outcome(question: Question, answer: Answer) -> Outcome:
    ranking = [(hit.doc_id, hit.paragraph) for hit in answer.hits]
    top = ranking[0] if ranking else None
    rank = gold_rank(ranking, question.gold) if question.gold else None
    return Outcome(question, rank, answer.answered, answer.confidence, top)


async def ask_all(engine: Engine, questions: Sequence[Question]) -> list[Outcome]:
    results: list[Outcome] = []
    for start in range(0, len(questions), CONCURRENCY):
        batch = questions[start : start + CONCURRENCY]
        answers = await asyncio.gather(*(engine.ask(q.text, k=DEPTH) for q in batch))
        results.extend(outcome(q, a) for q, a in zip(batch, answers, strict=True))
    return results


async def run_set(config: IndexConfig, questions: Sequence[Question]) -> list[Outcome]:
    engine = await Engine.open(config, progress=True)
    try:
        await engine.rebuild(progress=True)  # the corpus may have changed since the last run
        return await ask_all(engine, questions)
    finally:
        await engine.close()


# -- reporting -------------------------------------------------------------------------------------


def metrics_row(name: str, outcomes: Sequence[Outcome]) -> str:
    ranks = [o.rank for o in outcomes]
    declined = sum(not o.answered for o in outcomes)
    return (
        f"{name:<22}{len(ranks):>6}{recall_at(ranks, 1):>8.3f}{recall_at(ranks, 3):>8.3f}"
        f"{mrr_at(ranks):>8.3f}{declined:>10}"
    )


def story_report(outcomes: Sequence[Outcome], threshold: float, out: TextIO) -> None:
    """Off-topic decisions, confidence margins and every failure of the story set."""
    answerable = [o for o in outcomes if o.question.gold]
    off_topic = [o for o in outcomes if not o.question.gold]
    declined_ok = sum(not o.answered for o in off_topic)
    wrongly_declined = [o for o in answerable if not o.answered]
    lost = sum(o.rank == 1 for o in wrongly_declined)
    print(f"story off-topic correctly declined: {declined_ok}/{len(off_topic)}", file=out)
    print(f"story answerable wrongly declined:  {len(wrongly_declined)}/{len(answerable)} "
          f"({lost} of them with the gold paragraph first)", file=out)
    above = [o.confidence for o in answerable if o.confidence >= threshold]
    if above:
        print(f"story lowest answered confidence:   {min(above):.3f} (threshold {threshold:.3f}, "
              f"margin {min(above) - threshold:+.3f})", file=out)
    below = [o.confidence for o in off_topic if o.confidence < threshold]
    if below:
        print(f"story highest declined off-topic:   {max(below):.3f} (margin {threshold - max(below):+.3f})",
              file=out)
    failures = [o for o in answerable if o.rank != 1 or not o.answered]
    failures += [o for o in off_topic if o.answered]
    for o in failures:
        q = o.question
        if q.gold is None:
            why = "answered, but the story does not answer it"
        elif o.rank != 1:
            gold = "/".join(f"¶{p}" for p in q.gold[1])
            why = f"gold {gold} at rank {o.rank or '>10'}, top ¶{o.top[1] if o.top else '-'}"
        else:
            why = "declined, but the top hit is the gold paragraph"
        print(f"  FAIL [{q.lang}] {q.text!r}: {why} (confidence {o.confidence:.3f})", file=out)


def print_table(results: dict[str, list[Outcome]], out: TextIO) -> None:
    print(f"{'set':<22}{'n':>6}{'R@1':>8}{'R@3':>8}{'MRR@10':>8}{'declined':>10}", file=out)
    for name, outcomes in results.items():
        answerable = [o for o in outcomes if o.question.gold]
        print(metrics_row(name, answerable), file=out)


async def evaluate(args: argparse.Namespace, config: IndexConfig, out: TextIO) -> int:
    results: dict[str, list[Outcome]] = {}
    limit = args.limit
    xquad = Path(args.xquad) if args.xquad else XQUAD_DIR
    if (xquad / "xquad.de.json").exists():
        paragraphs, sets = load_xquad(xquad)
        write_corpus(EVAL_DIR / "xquad" / "corpus", paragraphs)
        xconfig = replace(config, corpus_dir=EVAL_DIR / "xquad" / "corpus",
                          data_dir=EVAL_DIR / "xquad" / "data")
        questions = [q for lang in ("de", "en") for q in sets[lang][:limit]]
        outcomes = await run_set(xconfig, questions)
        results["XQuAD de→de"] = [o for o in outcomes if o.question.lang == "de"]
        results["XQuAD en→de"] = [o for o in outcomes if o.question.lang == "en"]
    elif args.xquad:
        print(f"no XQuAD files (xquad.de.json, xquad.en.json) in {xquad}", file=sys.stderr)
        return 2
    else:
        print(f"XQuAD skipped: {xquad} not found (give --xquad DIR)", file=out)
    story = load_story_questions(Path(args.story) if args.story else STORY_QUESTIONS)
    if limit is not None:
        story = [q for q in story if q.gold][:limit] + [q for q in story if not q.gold][:limit]
    sconfig = replace(config, data_dir=EVAL_DIR / "story" / "data")
    results["story (answerable)"] = await run_set(sconfig, story)
    print_table(results, out)
    story_report(results["story (answerable)"], config.threshold, out)
    return 0


def run(args: argparse.Namespace, config: IndexConfig) -> int:
    """``python -m index eval``: print the quality table; 0 on success, 2 on bad input."""
    try:
        return asyncio.run(evaluate(args, config, sys.stdout))
    except (OSError, ValueError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2

"""``python -m index fit``: fit the answering judgement (``judge.py``) on XQuAD, split by article.

    python -m index fit [--xquad DIR]      # writes index/judge_rows.npz and index/scorer.json

1. XQuAD's 240 German paragraphs (48 articles of 5) become one corpus, a document per paragraph,
   indexed with the configured model under ``.cache/fit`` (the embedding cache makes a second run
   cheap); the questions of every language in the folder are encoded once (cached too).
2. Every question is ranked by the product's own ``search.ranked`` within two corpora: its whole
   article (answerable), and its article without its own paragraph (a near miss, the SQuAD-2 way);
   a question of another article against the article gives an off-topic row. The small-talk
   references (``phrases.SMALL_TALK``) ranked against articles give the small-talk rows. Each row is
   the ``judge.Evidence`` of that ranking, its label and its article.
3. The first ``TRAIN_ARTICLES`` articles train, the rest are held out (``python -m index eval``
   reports on them). Logistic regressions (scikit-learn, lbfgs, C = 1, standardized features) on
   the training rows; thresholds on the training rows: ``answer_at`` lets through at most 2 % of
   off-topic rows, ``unsure_at`` keeps at most 1 % of correctly ranked answerable rows below it,
   ``small_talk_at`` is 0.5, ``whole_story_at`` is the 99.5th percentile of the questions'
   closeness to ``phrases.WHOLE_STORY``.

The rows are written to ``judge_rows.npz`` beside this file and the scorer is fitted from them, so
a test checks that the shipped ``scorer.json`` is exactly what the shipped rows give.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import judge, phrases, search
from .build import cached_queries
from .config import ROOT, IndexConfig
from .embedding_cache import EmbeddingCache
from .engine import Engine
from .generation import Generation
from .judge import Evidence, Logistic, Scorer
from .language import stem_words, words

ROWS_FILE = Path(__file__).with_name("judge_rows.npz")
WORK_DIR = ROOT / ".cache" / "fit"
TRAIN_ARTICLES = 32
OFF_TOPIC_PER_ARTICLE = 12  # questions of other articles asked of each article, per language
SMALL_TALK_ARTICLES = 4  # articles each small-talk reference is asked of
OFF_TOPIC_ACCEPTED = 0.02
ANSWERABLE_BELOW_UNSURE = 0.01
WHOLE_STORY_QUANTILE = 99.5
SEED = 7
KINDS = ("answerable", "near_miss", "off_topic", "small_talk")
COLUMNS = tuple(f.name for f in dataclasses.fields(Evidence))


@dataclass(frozen=True)
class XQuAD:
    """XQuAD's German paragraphs and its questions in every language of the folder."""

    paragraphs: list[str]
    article_of: list[int]  # paragraph index -> article index
    questions: dict[str, list[tuple[str, int]]]  # language -> (question, gold paragraph index)


def load_xquad(folder: Path) -> XQuAD:
    """The German contexts, and every language's questions with their gold paragraph."""
    german = json.loads((folder / "xquad.de.json").read_text(encoding="utf-8"))["data"]
    paragraphs: list[str] = []
    article_of: list[int] = []
    place: dict[str, int] = {}
    for a, article in enumerate(german):
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                place[qa["id"]] = len(paragraphs)
            paragraphs.append(paragraph["context"])
            article_of.append(a)
    questions: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(folder.glob("xquad.*.json")):
        lang = path.name.split(".")[1]
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        questions[lang] = [(qa["question"], place[qa["id"]]) for art in data for par in art["paragraphs"]
                           for qa in par["qas"] if qa["id"] in place]
    return XQuAD(paragraphs, article_of, questions)


def doc_id(index: int) -> str:
    return f"xquad-{index:03d}"


def write_corpus(folder: Path, paragraphs: Sequence[str]) -> None:
    """One German document per paragraph (rewritten only when its text changed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(paragraphs):
        doc, meta = folder / f"{doc_id(i)}.txt", folder / f"{doc_id(i)}.toml"
        if not doc.exists() or doc.read_text(encoding="utf-8") != text + "\n":
            doc.write_text(text + "\n", encoding="utf-8")
            meta.write_text(f'title = "XQuAD {i}"\nlanguage = "de"\n', encoding="utf-8")


class Corpus:
    """The XQuAD generation, seen article by article."""

    def __init__(self, engine: Engine, generation: Generation, data: XQuAD) -> None:
        self.engine, self.generation, self.data = engine, generation, data
        ids = generation.passage_ids()
        by_doc: dict[str, list[int]] = {}
        for pid in ids:
            place = generation.place(int(pid))
            if place is not None:
                by_doc.setdefault(place[0], []).append(int(pid))
        self.passages = [by_doc.get(doc_id(i), []) for i in range(len(data.paragraphs))]
        self.texts: dict[int, str] = {}
        self.stems = [set(stem_words(words(text), "de")) for text in data.paragraphs]

    def paragraphs_of(self, article: int) -> list[int]:
        return [i for i, a in enumerate(self.data.article_of) if a == article]

    async def load_texts(self) -> None:
        all_ids = [pid for ids in self.passages for pid in ids]
        found = await self.generation.store.passages(all_ids)
        self.texts = {pid: p.text for pid, p in found.items()}

    async def evidence(self, question: str, vector: np.ndarray, paragraphs: Sequence[int],
                       references: judge.References, baseline: float, *, exclude_self: bool = False,
                       ) -> tuple[Evidence, int | None]:
        """The evidence of ``question`` ranked within ``paragraphs``, and the paragraph ranked first."""
        within = [pid for p in paragraphs for pid in self.passages[p]]
        language = search.guess_language(question)
        keyword: list[int] = []
        if search.use_keywords(language):
            keyword = await self.generation.store.keyword(question, language, search.N_KEYWORD)
        ranking = search.ranked(self.generation, vector, keyword, language, False, within)
        asked = judge.content_words(question)
        vocabulary = set().union(*(self.stems[p] for p in paragraphs)) if paragraphs else set()
        known = judge.stems(asked) & vocabulary
        runner = search.runner_up(ranking, self.generation)
        top = ranking[0] if ranking else None
        evidence = judge.evidence(
            vector, asked, search.top_evidence(ranking, self.generation), search.runner_evidence(runner),
            bool(top and top.cross_lingual), self.texts.get(top.passage_id, "") if top else "", known,
            references, baseline, exclude_self=exclude_self,
        )
        place = self.generation.place(top.passage_id) if top else None
        return evidence, (int(place[0].rsplit("-", 1)[1]) if place else None)


async def open_corpus(config: IndexConfig, xquad: Path) -> tuple[Corpus, EmbeddingCache]:
    data = load_xquad(xquad)
    write_corpus(WORK_DIR / "corpus", data.paragraphs)
    fit_config = replace(config, corpus_dir=WORK_DIR / "corpus", data_dir=WORK_DIR / "data")
    engine = await Engine.open(fit_config, progress=True)
    await engine.rebuild(progress=True)
    corpus = Corpus(engine, engine._serving(), data)
    await corpus.load_texts()
    cache = await EmbeddingCache.open(fit_config.data_dir / "cache.sqlite")
    return corpus, cache


async def rows(corpus: Corpus, cache: EmbeddingCache) -> dict[str, np.ndarray]:
    """Every row of evidence: features, kind, label (1: answer it), article, language."""
    engine, data = corpus.engine, corpus.data
    references = await engine._load_references()
    baseline = engine._baseline(corpus.generation, references)
    rng = random.Random(SEED)
    features: list[np.ndarray] = []
    meta: list[tuple[int, int, int, str, int]] = []  # kind, label, article, language, top-is-gold

    def add(evidence: Evidence, kind: str, label: int, article: int, lang: str, gold_first: int) -> None:
        features.append(evidence.vector(COLUMNS))
        meta.append((KINDS.index(kind), label, article, lang, gold_first))

    articles = sorted(set(data.article_of))
    for lang, questions in data.questions.items():
        vectors = await cached_queries(cache, engine.embedder, [q for q, _ in questions])
        by_article: dict[int, list[int]] = {}
        for i, (_, gold) in enumerate(questions):
            by_article.setdefault(data.article_of[gold], []).append(i)
        for article in articles:
            paragraphs = corpus.paragraphs_of(article)
            for i in by_article.get(article, []):
                question, gold = questions[i]
                found, first = await corpus.evidence(question, vectors[i], paragraphs, references, baseline)
                add(found, "answerable", int(first == gold), article, lang, int(first == gold))
                others = [p for p in paragraphs if p != gold]
                found, _ = await corpus.evidence(question, vectors[i], others, references, baseline)
                add(found, "near_miss", 0, article, lang, 0)
            strangers = [i for a, ids in by_article.items() if a != article for i in ids]
            for i in rng.sample(strangers, min(OFF_TOPIC_PER_ARTICLE, len(strangers))):
                found, _ = await corpus.evidence(questions[i][0], vectors[i], paragraphs, references,
                                                 baseline)
                add(found, "off_topic", 0, article, lang, 0)
    talk = await cached_queries(cache, engine.embedder, list(phrases.SMALL_TALK))
    for i, message in enumerate(phrases.SMALL_TALK):
        for article in rng.sample(articles, SMALL_TALK_ARTICLES):
            found, _ = await corpus.evidence(message, talk[i], corpus.paragraphs_of(article), references,
                                             baseline, exclude_self=True)
            add(found, "small_talk", 0, article, "xx", 0)
    return {
        "features": np.array(features, dtype=np.float32),
        "columns": np.array(COLUMNS),
        "kind": np.array([m[0] for m in meta], dtype=np.int8),
        "label": np.array([m[1] for m in meta], dtype=np.int8),
        "article": np.array([m[2] for m in meta], dtype=np.int16),
        "language": np.array([m[3] for m in meta]),
        "gold_first": np.array([m[4] for m in meta], dtype=np.int8),
    }


def _logistic(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit((x - mean) / scale, y)
    def rounded(values: np.ndarray) -> tuple[float, ...]:
        return tuple(round(float(v), 8) for v in values)

    return Logistic(tuple(names), rounded(mean), rounded(scale), rounded(model.coef_[0]),
                    round(float(model.intercept_[0]), 8))


def columns(table: dict[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    order = [list(table["columns"]).index(name) for name in names]
    return table["features"][:, order].astype(np.float64)


def evidence_rows(table: dict[str, np.ndarray]) -> list[Evidence]:
    names = [str(n) for n in table["columns"]]
    return [Evidence(**{n: float(v) for n, v in zip(names, row, strict=True)}) for row in table["features"]]


def fit_scorer(table: dict[str, np.ndarray]) -> Scorer:
    """The scorer fitted on the training articles' rows of ``table``."""
    train = table["article"] < TRAIN_ARTICLES
    kind = table["kind"]
    questions = train & (kind != KINDS.index("small_talk"))
    answer = _logistic(columns(table, judge.ANSWER_FEATURES)[questions], table["label"][questions],
                       judge.ANSWER_FEATURES)
    is_talk = (kind == KINDS.index("small_talk")).astype(np.int8)
    talk = _logistic(columns(table, judge.SMALL_TALK_FEATURES)[train], is_talk[train],
                     judge.SMALL_TALK_FEATURES)
    evidence = evidence_rows(table)
    p = np.array([answer.probability(e) for e in evidence])
    off_topic = train & (kind == KINDS.index("off_topic"))
    positive = train & (kind == KINDS.index("answerable")) & (table["label"] == 1)
    answer_at = float(np.quantile(p[off_topic], 1.0 - OFF_TOPIC_ACCEPTED))
    unsure_at = min(answer_at, float(np.quantile(p[positive], ANSWERABLE_BELOW_UNSURE)))
    story = columns(table, ["whole_story"])[:, 0]
    whole_story_at = float(np.percentile(story[questions], WHOLE_STORY_QUANTILE))
    languages = sorted(set(map(str, table["language"])) - {"xx"})
    described = (f"XQuAD {', '.join(languages)}, articles 0-{TRAIN_ARTICLES - 1} "
                 f"of 48 (the others held out); {int(questions.sum())} question rows, "
                 f"{int((train & (is_talk == 1)).sum())} small-talk rows; python -m index fit")
    return Scorer(answer, talk, round(answer_at, 6), round(unsure_at, 6), 0.5, round(whole_story_at, 6),
                  described)


def load_rows(path: Path = ROWS_FILE) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


async def fit(config: IndexConfig, xquad: Path) -> Scorer:
    corpus, cache = await open_corpus(config, xquad)
    try:
        table = await rows(corpus, cache)
    finally:
        await cache.close()
        await corpus.engine.close()
    np.savez_compressed(ROWS_FILE, **table)  # type: ignore[arg-type]
    scorer = fit_scorer(load_rows(ROWS_FILE))
    judge.SCORER_FILE.write_text(scorer.dumps(), encoding="utf-8")
    return scorer


def run(xquad: Path, config: IndexConfig) -> int:
    """``python -m index fit``: rows and scorer written beside ``judge.py``; 0 on success."""
    if not (xquad / "xquad.de.json").exists():
        print(f"fit: no xquad.de.json in {xquad} (give --xquad DIR)")
        return 2
    scorer = asyncio.run(fit(config, xquad))
    print(f"wrote {ROWS_FILE.name} and {judge.SCORER_FILE.name}: {scorer.fitted}")
    print(f"answer_at {scorer.answer_at:.4f}, unsure_at {scorer.unsure_at:.4f}, "
          f"whole_story_at {scorer.whole_story_at:.4f}")
    return 0

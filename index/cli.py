"""``python -m index`` commands: prepare-model, build, search, eval."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from .config import DEFAULT_CONFIG, IndexConfig, Section, folder, load_index_config, load_toml
from .engine import Engine
from .errors import IndexError_
from .model import Embedder
from .models import Answer, BuildReport


def configure(args: argparse.Namespace) -> IndexConfig:
    """The config file's settings with ``--corpus`` / ``--data`` applied."""
    config = load_index_config(Path(args.config) if getattr(args, "config", None) else None)
    changes: dict[str, Any] = {}
    if getattr(args, "corpus", None):
        changes["corpus_dir"] = Path(args.corpus).resolve()
    if getattr(args, "data", None):
        changes["data_dir"] = Path(args.data).resolve()
    return dataclasses.replace(config, **changes)


def eval_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """The XQuAD folder and the story question set: the arguments, else ``[eval]`` of the config."""
    path = Path(args.config) if getattr(args, "config", None) else DEFAULT_CONFIG
    section = Section("eval", load_toml(path).get("eval", {}), base=path.resolve().parent)
    where = folder(path.resolve().parent)
    xquad = section.value("xquad_dir", where, path.resolve().parent / "xquad")
    story = section.value("story_questions", where, path.resolve().parent / "story_questions.jsonl")
    section.finish()
    return (Path(args.xquad) if getattr(args, "xquad", None) else xquad,
            Path(args.story) if getattr(args, "story", None) else story)


def run(args: argparse.Namespace, embedder: Embedder | None = None) -> int:
    """Run the parsed command (``embedder`` replaces the configured model); returns the exit code."""
    try:
        config = configure(args)
        if args.command == "prepare-model":
            from .model import prepare

            return prepare.main(config)
        if args.command == "build":
            return asyncio.run(_build(config, embedder))
        if args.command == "search":
            return asyncio.run(_search(config, embedder, args.k, args.jsonl, sys.stdin, sys.stdout))
        if args.command in ("eval", "fit"):
            xquad, story = eval_paths(args)
            if args.command == "fit":
                from . import fit

                return fit.run(xquad, config)
            from . import evaluate

            return evaluate.run(xquad, story, args.limit, config)
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"unknown command {args.command!r}", file=sys.stderr)
    return 2


def summary(report: BuildReport) -> str:
    lines = [
        f"index {report.version}: {report.documents} documents, {report.passages} passages; "
        f"{report.added} added, {report.changed} changed, {report.removed} removed; "
        f"{report.embedded} texts embedded, {report.cached} from the cache, in {report.seconds:.1f} s"
    ]
    lines += [f"skipped {name}: {reason}" for name, reason in report.skipped]
    return "\n".join(lines)


async def _build(config: IndexConfig, embedder: Embedder | None) -> int:
    engine = await Engine.open(config, embedder, build_if_missing=True, progress=True)
    try:
        report = engine.last_report or await engine.rebuild(progress=True)
        suggested = await engine.suggestions()  # logs each listed question its document does not answer
    finally:
        await engine.close()
    print(summary(report))
    print(f"suggested questions answered from their documents: {len(suggested)}")
    return 0


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "outcome": answer.outcome,
        "answered": answer.answered,
        "whole_story": answer.whole_story,
        "confidence": round(answer.confidence, 4),
        "hits": [
            {
                "doc": h.doc_id,
                "passage": h.passage_id,
                "title": h.title,
                "paragraph": h.paragraph,
                "text": h.text,
                "highlight": {"text": h.sentence, "start": h.highlight[0], "end": h.highlight[1]},
                "score": round(h.score, 4),
                "source": {"name": h.source, "url": h.url},
            }
            for h in answer.hits
        ],
    }


def answer_text(answer: Answer) -> str:
    verdict = {"answer": "answered", "unsure": "not sure (the closest passages below)",
               "small_talk": "small talk (not a question about the documents)"}.get(
        answer.outcome, "not in the story (closest passages below)")
    lines = [f"? {answer.question}", f"  {verdict}"]
    for rank, h in enumerate(answer.hits, start=1):
        lines.append(f"  {rank}. [{h.score:.2f}] {h.title}, paragraph {h.paragraph} ({h.source} {h.url})")
        lines.append(f"     » {h.sentence}")
    return "\n".join(lines)


async def _search(
    config: IndexConfig, embedder: Embedder | None, k: int | None, jsonl: bool, lines: TextIO, out: TextIO
) -> int:
    engine = await Engine.open(config, embedder, build_if_missing=True, progress=True)
    try:
        for line in lines:
            question = line.strip()
            if not question:
                continue
            answer = await engine.ask(question, k=k)
            if jsonl:
                out.write(json.dumps(answer_json(answer), ensure_ascii=False) + "\n")
            else:
                out.write(answer_text(answer) + "\n\n")
            out.flush()
    finally:
        await engine.close()
    return 0

"""``python -m index`` commands: prepare-model, build, search, eval.

The environment variable ``INDEX_FAKE_EMBEDDER=1`` swaps the real model for the deterministic
``FakeEmbedder``; it exists for the test suite only (fast, no model files needed).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from .config import IndexConfig, load_index_config
from .embedder import Embedder, FakeEmbedder
from .engine import Engine
from .errors import IndexError_
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


def _embedder() -> Embedder | None:
    return FakeEmbedder() if os.environ.get("INDEX_FAKE_EMBEDDER") == "1" else None


def run(args: argparse.Namespace) -> int:
    try:
        config = configure(args)
        if args.command == "prepare-model":
            from . import model_prep

            return model_prep.main(config)
        if args.command == "build":
            return asyncio.run(_build(config))
        if args.command == "search":
            return asyncio.run(_search(config, args.k, args.jsonl, sys.stdin, sys.stdout))
        if args.command == "eval":
            try:
                from . import evaluate
            except ModuleNotFoundError as exc:
                if exc.name != f"{__package__}.evaluate":
                    raise
                print("eval is not available: index/evaluate.py is missing", file=sys.stderr)
                return 2
            return evaluate.run(args, config)
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"unknown command {args.command!r}", file=sys.stderr)
    return 2


def summary(report: BuildReport) -> str:
    lines = [
        f"index {report.version}: {report.documents} documents, {report.passages} passages; "
        f"{report.added} added, {report.changed} changed, {report.removed} removed; "
        f"{report.embedded} texts embedded in {report.seconds:.1f} s"
    ]
    lines += [f"skipped {name}: {reason}" for name, reason in report.skipped]
    return "\n".join(lines)


async def _build(config: IndexConfig) -> int:
    engine = await Engine.open(config, _embedder(), build_if_missing=True, progress=True)
    try:
        report = engine.last_report or await engine.rebuild(progress=True)
    finally:
        await engine.close()
    print(summary(report))
    return 0


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
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
    verdict = "answered" if answer.answered else "not in the story (closest passages below)"
    lines = [f"? {answer.question}", f"  {verdict}"]
    for rank, h in enumerate(answer.hits, start=1):
        lines.append(f"  {rank}. [{h.score:.2f}] {h.title}, paragraph {h.paragraph} ({h.source} {h.url})")
        lines.append(f"     » {h.sentence}")
    return "\n".join(lines)


async def _search(config: IndexConfig, k: int | None, jsonl: bool, lines: TextIO, out: TextIO) -> int:
    engine = await Engine.open(config, _embedder(), build_if_missing=True, progress=True)
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

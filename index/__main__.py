"""Command line for the retrieval core.

    python -m index prepare-model            # turn the packed model into a sentence-transformers folder
    python -m index build [--corpus DIR] [--data DIR]
    python -m index search [--data DIR] [--k K] --jsonl < questions.txt
    python -m index eval [--xquad DIR] [--story FILE]
    python -m index fit [--xquad DIR]          # fit the answering judgement (index/scorer.json)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None, embedder: Embedder | None = None) -> int:
    """Run a command; returns the exit code. ``embedder`` replaces the configured model."""
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="config file (default: config.toml at the project root)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("prepare-model", help="write the configured model as a sentence-transformers folder")

    build = sub.add_parser("build", help="build or incrementally update the index from the corpus")
    build.add_argument("--corpus", help="corpus folder (default: [index] corpus_dir)")
    build.add_argument("--data", help="data folder (default: [index] data_dir)")

    search = sub.add_parser("search", help="answer questions read from stdin, one per line")
    search.add_argument("--data", help="data folder (default: [index] data_dir)")
    search.add_argument("--corpus", help="corpus folder (default: [index] corpus_dir)")
    search.add_argument("--k", type=int, default=None, help="hits per question")
    search.add_argument("--jsonl", action="store_true", help="print one JSON object per line")

    ev = sub.add_parser("eval", help="answer quality on XQuAD and the story question set")
    ev.add_argument("--xquad", help="folder with xquad.<language>.json (default: [eval] xquad_dir)")
    ev.add_argument("--story", help="story question set, JSON lines (default: [eval] story_questions)")
    ev.add_argument("--limit", type=int, default=None, help="evaluate only the first N questions")

    fit = sub.add_parser("fit", help="fit the answering judgement on XQuAD (writes index/scorer.json)")
    fit.add_argument("--xquad", help="folder with xquad.<language>.json (default: [eval] xquad_dir)")

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from . import cli  # imported late: --help stays fast

    return cli.run(args, embedder)


if __name__ == "__main__":
    sys.exit(main())

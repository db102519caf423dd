"""``python -m bench``: measure the bot and print one table (``make bench``).

    python -m bench                       # everything; scale 10k,100k,1m
    python -m bench --quick               # fewer samples, scale 10k only
    python -m bench --only floor,latency  # some sections
    python -m bench --scale 10k,100k      # choose the synthetic corpus sizes

Working files go to .cache/bench/ (the story's index, synthetic corpora, scale indexes).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from . import workload  # noqa: E402
from .report import Report  # noqa: E402

SECTIONS = ("floor", "latency", "throughput", "build", "coldstart", "scale", "peer")
WORK = workload.ROOT / ".cache" / "bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and shorter runs")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections to run")
    parser.add_argument("--scale", default=None, help="synthetic corpus sizes, e.g. 10k,100k,1m")
    parser.add_argument("--vectors", choices=("lowrank", "uniform"), default="lowrank",
                        help="synthetic vectors for the scale section (default: lowrank)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild scale indexes built by earlier runs")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--work", type=Path, default=WORK, help="folder for the benchmark's files")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}; known: {', '.join(SECTIONS)}")
    if args.scale is None:
        args.scale = "10k" if args.quick else "10k,100k,1m"
    return args


async def in_process(args: argparse.Namespace, report: Report) -> None:
    """The sections that share one loaded model and the story's index."""
    from bot.settings import BotSettings
    from index import Engine, load_index_config
    from index.model import load_embedder

    from . import floor, latency, throughput

    config = dataclasses.replace(load_index_config(), corpus_dir=workload.STORY_DIR,
                                 data_dir=args.work / "story-data")
    started = time.perf_counter()
    embedder = await asyncio.to_thread(load_embedder, config)
    report.add("setup", "model load in process", f"{time.perf_counter() - started:.1f} s", embedder.name)
    questions = workload.questions()
    texts = [q for q, _ in questions]
    samples = 60 if args.quick else 200
    if "latency" in args.sections:
        engine = await Engine.open(config, embedder)
        try:
            result = await latency.measure(engine, questions, samples)
        finally:
            await engine.close()
        latency.section(report, result, floor.section(report, result.floor))
    elif "floor" in args.sections:
        floor.section(report, floor.encode_one(embedder, texts, samples))
    torch = None
    if config.backend != "torch" and {"floor", "throughput"} & set(args.sections):
        started = time.perf_counter()
        torch = await asyncio.to_thread(load_embedder, dataclasses.replace(config, backend="torch"))
        report.add("setup", "torch model load in process", f"{time.perf_counter() - started:.1f} s",
                   f"{torch.name}, the reference the shipped backend is compared with")
    if "floor" in args.sections:
        if torch is not None:
            floor.versus(report, embedder, torch, texts, blocks=4 if args.quick else 10)
            floor.fidelity(report, embedder, torch)
        floor.rates(report, embedder, texts, quick=args.quick)
        floor.profile(report, embedder, texts)
    if "throughput" in args.sections:
        settings = BotSettings(index=config, token="123456:bench", questions_per_minute=10**9)
        seconds = 4.0 if args.quick else 10.0
        loads = await throughput.measure(settings, embedder, questions, (1, 10, 50), seconds,
                                         rate_limit=False)
        limited = (await throughput.measure(settings, embedder, questions, (50,), seconds / 2,
                                            rate_limit=True))[0]
        reference = None
        if torch is not None:  # the same 50 users on torch float32 (an index of its own), in the same run
            torch_config = dataclasses.replace(config, backend="torch",
                                               data_dir=args.work / "story-data-torch")
            await (await Engine.open(torch_config, torch)).close()  # built once, untimed
            torch_settings = dataclasses.replace(settings, index=torch_config)
            reference = (await throughput.measure(torch_settings, torch, questions, (50,), seconds,
                                                  rate_limit=False))[0]
        throughput.section(report, loads, limited=limited, reference=reference)
    if "build" in args.sections:
        from . import build

        await build.section(report, config, embedder, args.work, quick=args.quick)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.work.mkdir(parents=True, exist_ok=True)
    report = Report()
    report.note(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
                f"command: python -m bench {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    if {"floor", "latency", "throughput", "build"} & set(args.sections):
        asyncio.run(in_process(args, report))
    if "coldstart" in args.sections:
        from . import coldstart

        coldstart.section(report, args.work, quick=args.quick)
    if "scale" in args.sections:
        from . import scale

        sizes = [scale.parse_size(s) for s in args.scale.split(",")]
        scale.section(report, args.work, sizes, quick=args.quick, shape=args.vectors, rebuild=args.rebuild)
    if "peer" in args.sections:
        from . import peer

        peer.section(report, args.work, quick=args.quick)
    print(report.render())
    if args.json:
        report.save(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

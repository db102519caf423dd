"""Cold start: a fresh process, from its start to the first answer, with an existing index.

The whole path is ``python -m bot ask "..."`` in a subprocess (wall time until the answer is
printed). A second child process times the phases of the same path: imports, model load, index
open, first answer. The index is the benchmark's copy of the story's (built if missing, untimed),
and the model's files are in the OS file cache after the first run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import workload
from .report import Report, median

QUESTION = "Wer ist Pavel Durov?"
RUNS = 3
PHASES = """
import json, sys, time
marks = {"start": float(sys.argv[1])}
import asyncio
from index import Engine, load_index_config
marks["import index"] = time.time()
import sentence_transformers, torch  # noqa: F401
marks["import torch + sentence-transformers"] = time.time()
from index.model.encoder import load_embedder
config = load_index_config()
embedder = load_embedder(config)
marks["load model"] = time.time()
async def main():
    engine = await Engine.open(config, embedder, build_if_missing=False)
    marks["open index"] = time.time()
    await engine.ask(sys.argv[2])
    marks["first answer"] = time.time()
    await engine.close()
asyncio.run(main())
print(json.dumps(marks))
"""


def _env(work: Path) -> dict[str, str]:
    return {**os.environ, "CORPUS_DIR": str(workload.STORY_DIR), "DATA_DIR": str(work / "story-data"),
            "PYTHONPATH": str(workload.ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def ask_seconds(work: Path) -> float:
    """Wall seconds of ``python -m bot ask`` until its answer is printed."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "ask", QUESTION], env=_env(work), cwd=workload.ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"python -m bot ask failed ({done.returncode}): {done.stderr[-500:]}")
    return time.perf_counter() - start


def phases(work: Path) -> dict[str, float]:
    """Seconds each phase of a cold start takes, in order."""
    done = subprocess.run([sys.executable, "-c", PHASES, repr(time.time()), QUESTION], env=_env(work),
                          cwd=workload.ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"cold start phases failed: {done.stderr[-500:]}")
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    names = list(marks)
    return {name: marks[name] - marks[prev] for prev, name in zip(names, names[1:], strict=False)}


def section(report: Report, work: Path, *, quick: bool) -> None:
    """Add the cold start time and its phases to ``report``."""
    ask_seconds(work)  # builds the index if missing; fills the OS file cache
    times = [ask_seconds(work) for _ in range(1 if quick else RUNS)]
    seconds = median(times)
    report.target("cold start", f"python -m bot ask, median of {len(times)}", f"{seconds:.1f} s", "<= 3 s",
                  seconds <= 3.0, "process start -> answer printed; existing index")
    for name, value in phases(work).items():
        report.add("cold start", f"  phase: {name}", f"{value:.2f} s")

"""Cold start: a fresh process, from its start to the first answer, with an existing index.

The whole path is ``python -m bot ask "..."`` in a subprocess (wall time until the answer is
printed, and the process's peak resident memory, VmHWM). A second child process times the phases
of the same path: imports, model load (on the configured backend), index open, first answer.
The index is the benchmark's copy of the story's (built if missing, untimed),
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
from .report import Report, mb, median

QUESTION = "Wer ist Pavel Durov?"
RUNS = 3
PHASES = """
import json, sys, time
marks = {"start": float(sys.argv[1])}
import asyncio
from index import Engine, load_index_config
marks["import index"] = time.time()
from index.model import load_embedder
config = load_index_config()
embedder = load_embedder(config)
marks["load model (" + config.backend + ")"] = time.time()
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


# ``python -m bot ask`` as it is, reporting its peak resident memory on the way out
ASK = """
import atexit, runpy, sys
def peak():
    hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")]
    print("VmHWM", hwm[0] if hwm else 0, file=sys.stderr)
atexit.register(peak)
sys.argv = ["bot", "ask", sys.argv[1]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


def ask_seconds(work: Path) -> tuple[float, float]:
    """Wall seconds of ``python -m bot ask`` until its answer is printed, and its peak RSS in bytes."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", ASK, QUESTION], env=_env(work), cwd=workload.ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"python -m bot ask failed ({done.returncode}): {done.stderr[-500:]}")
    seconds = time.perf_counter() - start
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("VmHWM ")]
    return seconds, float(peaks[-1]) * 1024 if peaks else 0.0


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
    runs = [ask_seconds(work) for _ in range(1 if quick else RUNS)]
    seconds, peak = median([r[0] for r in runs]), max(r[1] for r in runs)
    report.target("cold start", f"python -m bot ask, median of {len(runs)}", f"{seconds:.1f} s", "<= 5 s",
                  seconds <= 5.0, "process start -> answer printed; existing index")
    report.target("cold start", "python -m bot ask, peak RSS", mb(peak), "<= 600 MB", peak <= 600e6,
                  "VmHWM of the whole process: model, index, bot")
    for name, value in phases(work).items():
        report.add("cold start", f"  phase: {name}", f"{value:.2f} s")

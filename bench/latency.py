"""Answer latency for one user, in process: question text -> rendered reply text, no network.

Each question goes through ``Engine.ask`` (its ``Answer.timings`` give encode / keyword / search /
judge seconds) and then ``bot.render.render_answer`` (the HTML the bot would send). "other" is
what ``ask`` spends outside the named stages: reading the passages, building the hits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import cycle, islice

from bot import render
from index import Engine

from .report import Report, ms, percentile

STAGES = ("encode", "keyword", "search", "judge", "render", "other")
WARM_UP = 10


@dataclass
class Latency:
    """Per-question totals and per-stage seconds."""

    totals: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    floor: list[float] = field(default_factory=list)  # the model alone, interleaved with the answers
    answered: int = 0


async def answer_once(engine: Engine, question: str, lang: str) -> tuple[float, dict[str, float], bool]:
    """Ask and render one question; (total seconds, stage seconds, answered)."""
    start = time.perf_counter()
    answer = await engine.ask(question)
    asked = time.perf_counter()
    messages = render.render_answer(answer, lang)
    end = time.perf_counter()
    if not messages:
        raise RuntimeError(f"no reply rendered for {question!r}")
    stages = {name: float(answer.timings.get(name, 0.0)) for name in STAGES[:4]}
    stages["render"] = end - asked
    stages["other"] = max(0.0, (asked - start) - sum(answer.timings.values()))
    return end - start, stages, answer.answered


async def measure(engine: Engine, questions: Sequence[tuple[str, str]], n: int = 200) -> Latency:
    """``n`` questions one after another (after a warm-up), cycling the list.

    Before each answer the same question is encoded by the model alone (the floor), so floor and
    answers are measured under the same machine load and their ratio is fair on a busy machine.
    """
    for text, lang in islice(cycle(questions), WARM_UP):
        engine.embedder.encode([text], query=True)
        await answer_once(engine, text, lang)
    result = Latency()
    for text, lang in islice(cycle(questions), n):
        start = time.perf_counter()
        engine.embedder.encode([text], query=True)
        result.floor.append(time.perf_counter() - start)
        total, stages, answered = await answer_once(engine, text, lang)
        result.totals.append(total)
        result.answered += answered
        for name, seconds in stages.items():
            result.stages[name].append(seconds)
    return result


def section(report: Report, result: Latency, floor: float) -> None:
    """Add p50/p95, the ratio to the floor and the stage breakdown to ``report``."""
    p50, p95 = percentile(result.totals, 50), percentile(result.totals, 95)
    n = len(result.totals)
    report.target("latency", f"answer p50, 1 user ({n} questions)", ms(p50),
                  "<= 1.1 x floor", p50 <= 1.1 * floor, f"{p50 / floor:.2f} x floor")
    report.target("latency", "answer p95, 1 user", ms(p95), "<= 1.5 x floor", p95 <= 1.5 * floor,
                  f"{p95 / floor:.2f} x floor")
    for name in STAGES:
        values = result.stages[name]
        report.add("latency", f"  stage {name} (p50 / p95)",
                   f"{ms(percentile(values, 50))} / {ms(percentile(values, 95))}")

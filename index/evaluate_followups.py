"""Follow-up questions on the bundled story: read alone, and read with the question before them.

The pair set (``followups.jsonl`` beside the story question set) holds a first question, a
follow-up that leans on it, and the paragraph that answers the follow-up, in German and English.
A pair counts as found when the follow-up's answer (or the candidates of an unsure one) puts that
paragraph first. Self-contained questions of the story set are asked once alone and once after
an unrelated first question: they must come out the same, and none may be read as a follow-up.
Nothing here is fitted: ``followup.py``'s word lists were written by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .engine import Engine
from .models import Answer

SHOWN = ("answer", "unsure")  # outcomes that show passages


@dataclass(frozen=True)
class Pair:
    first: str
    followup: str
    paragraph: int
    lang: str


def load_pairs(path: Path) -> list[Pair]:
    """The pair set (JSON lines); a malformed line raises ``ValueError`` naming it."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            pair = Pair(str(row["first"]), str(row["followup"]), int(row["paragraph"]), str(row["lang"]))
            pairs.append(pair)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {number}: {exc}") from None
    return pairs


def found(answer: Answer, paragraph: int) -> bool:
    return answer.outcome in SHOWN and bool(answer.hits) and answer.hits[0].paragraph == paragraph


def _top(answer: Answer) -> tuple[str, int, str] | None:
    return (answer.hits[0].doc_id, answer.hits[0].paragraph, answer.outcome) if answer.hits else None


async def followup_report(engine: Engine, pairs: Sequence[Pair], standalone: Sequence[str],
                          out: TextIO) -> dict[str, float]:
    """Print the follow-up figures; return them (shares in [0, 1])."""
    print(f"{'follow-ups':<24}{'n':>5}{'alone':>8}{'in context':>12}{'  read as follow-up':>20}", file=out)
    figures: dict[str, float] = {}
    misses: list[str] = []
    for lang in sorted({p.lang for p in pairs}):
        group = [p for p in pairs if p.lang == lang]
        alone = [await engine.ask(p.followup) for p in group]
        joined = []
        for pair in group:
            first = await engine.ask(pair.first)
            shown = first.hits[0].passage_id if first.hits and first.outcome in SHOWN else None
            joined.append(await engine.ask(pair.followup, previous=pair.first, previous_passage=shown))
        share_alone = sum(found(a, p.paragraph) for a, p in zip(alone, group, strict=True)) / len(group)
        share_joined = sum(found(a, p.paragraph) for a, p in zip(joined, group, strict=True)) / len(group)
        read = sum(bool(a.follow_up_of) for a in joined) / len(group)
        figures[f"{lang}_alone"], figures[f"{lang}_context"] = share_alone, share_joined
        print(f"{lang:<24}{len(group):>5}{share_alone:>8.1%}{share_joined:>12.1%}{read:>20.1%}", file=out)
        misses += [f"  missed ({lang}): {p.first!r} -> {p.followup!r}: ¶{p.paragraph} wanted, got "
                   f"{_top(a)}" for a, p in zip(joined, group, strict=True) if not found(a, p.paragraph)]
    total = len(pairs)
    weight = {lang: sum(p.lang == lang for p in pairs) / total for lang in {p.lang for p in pairs}}
    figures["alone"] = sum(figures[f"{lang}_alone"] * w for lang, w in weight.items())
    figures["context"] = sum(figures[f"{lang}_context"] * w for lang, w in weight.items())
    print(f"{'all':<24}{total:>5}{figures['alone']:>8.1%}{figures['context']:>12.1%}", file=out)
    for line in misses:
        print(line, file=out)
    changed = bent = 0
    for number, question in enumerate(standalone):
        before = pairs[number % len(pairs)].first
        plain, after = await engine.ask(question), await engine.ask(question, previous=before)
        changed += _top(plain) != _top(after)
        bent += bool(after.follow_up_of)
    figures["standalone_changed"] = changed / max(1, len(standalone))
    print(f"self-contained questions after another question: {len(standalone)}, answered differently "
          f"{changed}, read as follow-ups {bent}", file=out)
    return figures

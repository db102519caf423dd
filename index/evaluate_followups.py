"""Follow-up questions on the bundled story: read alone, and read with the question before them.

The pair set (``followups.jsonl`` beside the story question set) holds a first question, a
follow-up that leans on it, and the paragraph that answers the follow-up, in German and English.
A pair counts as found when the follow-up's answer (or the candidates of an unsure one) puts that
paragraph first. Self-contained questions of the story set are asked once alone and once after
an unrelated first question: they must come out the same, and none may be read as a follow-up.
Nothing here is fitted: ``followup.py``'s word lists were written by hand, reading the story's
design set. Two sets were written afterwards and never used to change them: more pairs on the story
(``followups_heldout.jsonl``), and pairs on two XQuAD articles the rules never saw
(``followups_xquad.jsonl``: Kenya and Rhine, their German paragraphs as two documents): held out by
article.

Each pair also holds the follow-up written out as a reader means it, a question that stands alone
("Und wann kam er wieder frei?" -> "Wann kam Durov nach seiner Festnahme wieder frei?"), written
from the pair and never changed after a run. Asked alone, it shows what the retriever gives a
perfect reading: a follow-up missed in context whose written-out form is missed too is a miss of
the search, not of the reading.
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
    doc: str = ""  # the document of ``paragraph``; "" where the corpus holds one
    written: str = ""  # the follow-up written out as a question that stands alone, as a reader means it


def xquad_articles(xquad: Path, pairs: Sequence[Pair], folder: Path) -> list[str]:
    """Write the XQuAD articles the pairs name (a pair's ``doc`` is the article's title in lower
    case) into ``folder`` as German documents, one paragraph each; return XQuAD's questions on
    them in German and English: self-contained questions for the same check as the story's.
    ``ValueError`` if a pair names an article XQuAD does not have."""
    wanted = {p.doc for p in pairs}
    german = json.loads((xquad / "xquad.de.json").read_text(encoding="utf-8"))["data"]
    found = {article["title"].lower(): article for article in german if article["title"].lower() in wanted}
    if wanted - set(found):
        raise ValueError(f"XQuAD has no article {', '.join(sorted(wanted - set(found)))}")
    folder.mkdir(parents=True, exist_ok=True)
    ids = set()
    for doc, article in found.items():
        text = "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n"
        path = folder / f"{doc}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:  # rewritten only when changed
            path.write_text(text, encoding="utf-8")
            (folder / f"{doc}.toml").write_text(f'title = "{article["title"]}"\nlanguage = "de"\n',
                                               encoding="utf-8")
        ids |= {qa["id"] for p in article["paragraphs"] for qa in p["qas"]}
    questions = []
    for lang in ("de", "en"):
        data = json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
        questions += [qa["question"] for article in data for paragraph in article["paragraphs"]
                      for qa in paragraph["qas"] if qa["id"] in ids]
    return questions


def load_pairs(path: Path) -> list[Pair]:
    """The pair set (JSON lines); a malformed line raises ``ValueError`` naming it."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            pair = Pair(str(row["first"]), str(row["followup"]), int(row["paragraph"]), str(row["lang"]),
                        str(row.get("doc", "")), str(row.get("written", "")))
            pairs.append(pair)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {number}: {exc}") from None
    return pairs


def found(answer: Answer, pair: Pair) -> bool:
    """The answer shows passages, the first of them the pair's paragraph (of its document)."""
    if answer.outcome not in SHOWN or not answer.hits:
        return False
    top = answer.hits[0]
    return top.paragraph == pair.paragraph and (not pair.doc or top.doc_id == pair.doc)


def _share(answers: Sequence[Answer | None], pairs: Sequence[Pair]) -> float | None:
    """Share of ``pairs`` found by ``answers``; None when a pair has no answer (no written-out form)."""
    if not pairs or any(a is None for a in answers):
        return None
    return sum(found(a, p) for a, p in zip(answers, pairs, strict=True) if a is not None) / len(pairs)


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _written_note(answer: Answer | None, pair: Pair) -> str:
    if answer is None:
        return ""
    return "; written out: found" if found(answer, pair) else f"; written out: missed too, got {_top(answer)}"


def _top(answer: Answer) -> tuple[str, int, str] | None:
    return (answer.hits[0].doc_id, answer.hits[0].paragraph, answer.outcome) if answer.hits else None


async def followup_report(engine: Engine, pairs: Sequence[Pair], standalone: Sequence[str],
                          out: TextIO, unanswerable: Sequence[str] = ()) -> dict[str, float]:
    """Print the follow-up figures; return them (shares in [0, 1]). ``unanswerable``: small talk
    and off-topic questions, which must stay unanswered after a question about the story too."""
    print(f"{'follow-ups':<24}{'n':>5}{'alone':>8}{'in context':>12}{'  read as follow-up':>20}"
          f"{'written out':>13}", file=out)
    figures: dict[str, float] = {}
    misses: list[str] = []
    for lang in sorted({p.lang for p in pairs}):
        group = [p for p in pairs if p.lang == lang]
        alone = [await engine.ask(p.followup) for p in group]
        written = [await engine.ask(p.written) if p.written else None for p in group]
        joined = []
        for pair in group:
            first = await engine.ask(pair.first)
            shown = first.hits[0].passage_id if first.hits and first.outcome in SHOWN else None
            joined.append(await engine.ask(pair.followup, previous=pair.first, previous_passage=shown))
        share_alone = sum(found(a, p) for a, p in zip(alone, group, strict=True)) / len(group)
        share_joined = sum(found(a, p) for a, p in zip(joined, group, strict=True)) / len(group)
        read = sum(bool(a.follow_up_of) for a in joined) / len(group)
        figures[f"{lang}_alone"], figures[f"{lang}_context"] = share_alone, share_joined
        share_written = _share(written, group)
        if share_written is not None:
            figures[f"{lang}_written"] = share_written
        print(f"{lang:<24}{len(group):>5}{share_alone:>8.1%}{share_joined:>12.1%}{read:>20.1%}"
              f"{_percent(share_written):>13}", file=out)
        misses += [f"  missed ({lang}): {p.first!r} -> {p.followup!r}: ¶{p.paragraph} wanted, got "
                   f"{_top(a)}{_written_note(w, p)}"
                   for a, w, p in zip(joined, written, group, strict=True) if not found(a, p)]
    total = len(pairs)
    weight = {lang: sum(p.lang == lang for p in pairs) / total for lang in {p.lang for p in pairs}}
    for name in ("alone", "context", "written"):
        if all(f"{lang}_{name}" in figures for lang in weight):
            figures[name] = sum(figures[f"{lang}_{name}"] * w for lang, w in weight.items())
    print(f"{'all':<24}{total:>5}{figures['alone']:>8.1%}{figures['context']:>12.1%}{'':>20}"
          f"{_percent(figures.get('written')):>13}", file=out)
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
    if unanswerable:
        answered = bent = 0
        for number, question in enumerate(unanswerable):
            after = await engine.ask(question, previous=pairs[number % len(pairs)].first)
            answered += after.outcome == "answer"
            bent += bool(after.follow_up_of)
            if after.outcome == "answer" or after.follow_up_of:
                asked = pairs[number % len(pairs)].first
                print(f"  bent: {asked!r} -> {question!r}: {_top(after)}", file=out)
        figures["unanswerable_answered"] = answered / len(unanswerable)
        print(f"small talk and off-topic after a question about the story: {len(unanswerable)}, answered "
              f"{answered}, read as follow-ups {bent}", file=out)
    return figures

"""Questions to suggest: the ones an admin lists in a document's metadata, checked against the index.

A document's sidecar may list ``questions = ["…", "…"]``. After every build (and at start) each is
asked; one that is not answered from its own document is logged and not suggested, so a reader is
never offered a question the bot then declines.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .concurrency import run_sync

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)

MAX_QUESTIONS = 20  # per document
MAX_CHARS = 200


@dataclass(frozen=True)
class Suggestion:
    question: str
    doc_id: str


def listed_questions(path: Path) -> tuple[str, ...]:
    """The ``questions`` of the sidecar beside ``path``; a malformed list is logged and ignored."""
    try:
        with open(path.with_suffix(".toml"), "rb") as fh:
            value = tomllib.load(fh).get("questions", [])
    except FileNotFoundError:
        return ()
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        log.warning("questions of %s not read: %s", path.name, exc)
        return ()
    if not isinstance(value, list) or not all(isinstance(q, str) for q in value):
        log.warning("questions of %s ignored: it must be a list of texts", path.name)
        return ()
    cleaned = (" ".join(q.split())[:MAX_CHARS] for q in value)
    return tuple(dict.fromkeys(q for q in cleaned if q))[:MAX_QUESTIONS]


async def check(engine: Engine) -> tuple[Suggestion, ...]:
    """The listed questions that the serving index answers from their own document."""
    kept: list[Suggestion] = []
    for document in await engine.documents():
        for question in await run_sync(listed_questions, engine.config.corpus_dir / document.path):
            answer = await engine.ask(question)
            if answer.outcome == "answer" and answer.hits and answer.hits[0].doc_id == document.id:
                kept.append(Suggestion(question, document.id))
            else:
                top = answer.hits[0].doc_id if answer.hits else None
                log.warning("suggested question %r of %s is not answered from it (%s, top: %s); "
                            "not suggested", question, document.id, answer.outcome, top)
    return tuple(kept)

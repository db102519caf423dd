"""Extractions kept beside the corpus: a PDF or Word file is read once, not at every rebuild.

``<corpus>/.extracted/<sha256 of the file's bytes>.json`` holds what ``extract`` made of it, under
the extractor's ``VERSION``; a changed file has another hash, a new extractor another version, and
``prune`` removes the entries no file needs any more. Plain text is quick to read and never cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from . import Extracted, Place

FOLDER = ".extracted"
VERSION = 1  # bump when an extractor changes what it makes of a file
CACHED_KINDS = ("pdf", "docx", "odt", "html")


def key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _path(corpus: Path, digest: str) -> Path:
    return corpus / FOLDER / f"{digest}.json"


def get(corpus: Path, digest: str) -> Extracted | None:
    """The cached extraction of the file with this hash, if there is a sound one."""
    try:
        raw = json.loads(_path(corpus, digest).read_text(encoding="utf-8"))
        if raw.get("version") != VERSION:
            return None
        places = tuple(Place(int(p), int(o), str(s)) for p, o, s in raw["places"])
        meta = {str(k): str(v) for k, v in raw["meta"].items()}
        return Extracted(str(raw["text"]), str(raw["kind"]), places, int(raw["pages"]), meta)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def put(corpus: Path, digest: str, found: Extracted) -> None:
    """Keep ``found``; a cache that cannot be written only costs the next rebuild time."""
    if found.kind not in CACHED_KINDS:
        return
    record = {"version": VERSION, "text": found.text, "kind": found.kind, "pages": found.pages,
              "meta": found.meta, "places": [[p.page, p.on_page, p.section] for p in found.places]}
    folder = corpus / FOLDER
    with contextlib.suppress(OSError):
        folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, ensure_ascii=False)
            os.replace(tmp, _path(corpus, digest))
        finally:
            Path(tmp).unlink(missing_ok=True)


def prune(corpus: Path, needed: Iterable[str]) -> None:
    """Remove the cached extractions of files no longer in the corpus."""
    keep = {f"{d}.json" for d in needed}
    with contextlib.suppress(OSError):
        for entry in (corpus / FOLDER).iterdir():
            if entry.name not in keep:
                entry.unlink(missing_ok=True)

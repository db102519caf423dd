"""The corpus folder: documents with their metadata, loaded, checked, and added by upload.

Each document is one ``.txt``, ``.md``, ``.html``, ``.pdf``, ``.docx`` or ``.odt`` file (``formats``);
its metadata (title, source, url, language, date, author; for a document added by link also the
link and its ``etag`` / ``last_modified``) sits beside it in a sidecar ``<name>.toml``, and fills in
what the file itself does not say. A file that cannot be used is skipped
with a logged reason, never stopping the load; an upload that cannot be used is rejected with
``DocumentError`` and nothing is written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import DocumentError
from .formats import (
    SUPPORTED_SUFFIXES,
    Extracted,
    Limits,
    Place,
    Progress,
    extract,
    extract_text,
    unsupported,
)
from .formats import cache as extraction_cache
from .formats.html import html_title
from .language import document_language
from .models import Document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SourceText",
    "extract_text",
    "html_title",
    "source_text",
    "load_corpus",
    "load_document",
    "read_metadata",
    "store_upload",
]

log = logging.getLogger("index.documents")

METADATA_KEYS = ("title", "source", "url", "language", "date", "author", "link", "etag", "last_modified")
MAX_TITLE_CHARS = 200
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class SourceText:
    """A corpus document: its metadata and its extracted text."""

    id: str
    title: str
    source: str
    url: str
    language: str
    date: str
    path: str  # file name within the corpus folder
    text: str  # plain text, paragraphs separated by blank lines
    sha256: str  # hex digest of ``text`` (and of ``places``, where there are any)
    kind: str = "text"  # ``formats.KINDS``
    pages: int = 0
    places: tuple[Place, ...] = ()  # page and section of each paragraph, () if the format has none
    author: str = ""
    link: str = ""  # the address it was fetched from, for a document added by link

    def to_document(self, passages: int) -> Document:
        return Document(
            id=self.id,
            title=self.title,
            source=self.source,
            url=self.url,
            language=self.language,
            date=self.date,
            path=self.path,
            sha256=self.sha256,
            passages=passages,
            kind="link" if self.link else self.kind,
            pages=self.pages,
            author=self.author,
        )


def document_id(filename: str) -> str:
    """The file name without its extension, with anything but ``[A-Za-z0-9._-]`` replaced by ``-``."""
    return _UNSAFE_ID.sub("-", PurePosixPath(filename).stem) or "-"


def title_from_name(filename: str) -> str:
    """``my_report-2024.txt`` -> ``My report 2024``."""
    words = re.sub(r"[\s_-]+", " ", PurePosixPath(filename).stem).strip() or "Untitled"
    return words[0].upper() + words[1:]


def _clean_field(value: str) -> str:
    return re.sub(r"\s+", " ", "".join(ch for ch in value if unicodedata.category(ch) != "Cc")).strip()


def read_metadata(path: Path) -> dict[str, str]:
    """The sidecar ``<name>.toml`` beside ``path`` as strings; ``{}`` when there is none."""
    sidecar = path.with_suffix(".toml")
    try:
        with open(sidecar, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DocumentError(f"metadata file {sidecar.name} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise DocumentError(f"cannot read metadata file {sidecar.name}: {exc.strerror or exc}") from None
    meta: dict[str, str] = {}
    for key in METADATA_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            raise DocumentError(f"metadata file {sidecar.name}: {key} must be text, not a table or list")
        text = _clean_field(str(value))
        if text:
            meta[key] = text.lower() if key == "language" else text
    return meta


def digest(text: str, places: tuple[Place, ...]) -> str:
    """What identifies a document's content: its text, and where each paragraph sits."""
    h = hashlib.sha256(text.encode("utf-8"))
    for place in places:
        h.update(f"\x00{place.page}\x00{place.on_page}\x00{place.section}".encode())
    return h.hexdigest()


def source_text(filename: str, found: Extracted, meta: dict[str, str]) -> SourceText:
    """The document ``found`` in ``filename``: the sidecar's metadata first, then the file's own."""
    merged = {**found.meta, **meta}
    return SourceText(
        id=document_id(filename),
        title=(merged.get("title") or title_from_name(filename))[:MAX_TITLE_CHARS],
        source=merged.get("source", ""),
        url=merged.get("url", "") or meta.get("link", ""),
        language=meta.get("language") or document_language(found.text),
        date=merged.get("date", ""),
        path=filename,
        text=found.text,
        sha256=digest(found.text, found.places),
        kind=found.kind,
        pages=found.pages,
        places=found.places,
        author=merged.get("author", ""),
        link=meta.get("link", ""),
    )


def load_document(path: Path, limits: Limits | None = None, digests: set[str] | None = None) -> SourceText:
    """Read one corpus file and its sidecar; ``DocumentError`` says why it cannot be used. A PDF,
    Word or web page is read through the corpus's extraction cache; ``digests`` collects the keys
    in use."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise unsupported(path.suffix.lower())
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise DocumentError("not a regular file")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}") from None
    meta = read_metadata(path)
    digest = extraction_cache.key(data)
    if digests is not None:
        digests.add(digest)
    found = extraction_cache.get(path.parent, digest)
    if found is None:
        found = extract(data, path.suffix, limits=limits)
        extraction_cache.put(path.parent, digest, found)
    return source_text(path.name, found, meta)


def load_corpus(folder: Path, limits: Limits | None = None) -> tuple[list[SourceText], list[tuple[str, str]]]:
    """All usable documents in ``folder`` (by file name), and ``(file name, reason)`` for the rest."""
    if not folder.is_dir():
        raise DocumentError(f"corpus folder not found: {folder}")
    documents: list[SourceText] = []
    skipped: list[tuple[str, str]] = []
    by_hash: dict[str, str] = {}
    by_id: dict[str, str] = {}
    digests: set[str] = set()

    def skip(name: str, reason: str) -> None:
        log.warning("skipped %s: %s", name, reason)
        skipped.append((name, reason))

    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(".") or path.suffix.lower() == ".toml":
            continue
        try:
            doc = load_document(path, limits, digests)
        except DocumentError as exc:
            skip(name, str(exc))
            continue
        if doc.id in by_id:
            skip(name, f"same id {doc.id!r} as {by_id[doc.id]}")
        elif doc.sha256 in by_hash:
            skip(name, f"duplicate of {by_hash[doc.sha256]}")
        else:
            by_id[doc.id] = name
            by_hash[doc.sha256] = doc.id
            documents.append(doc)
    extraction_cache.prune(folder, digests)
    return documents, skipped


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if unicodedata.category(ch) != "Cc" else " " for ch in escaped) + '"'


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _free_stem(folder: Path, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3`` ... : the first no corpus file uses."""
    stem, n = wanted, 1
    while any((folder / f"{stem}{s}").exists() for s in (*SUPPORTED_SUFFIXES, ".toml")):
        n += 1
        stem = f"{wanted}-{n}"
    return stem


def store_document(folder: Path, stem: str, suffix: str, data: bytes, doc: SourceText,
                   extra: dict[str, str] | None = None, *, replace: bool = False) -> Path:
    """Write ``data`` as ``<stem><suffix>`` with its sidecar (the metadata of ``doc`` and ``extra``)
    into ``folder``, each file atomically. Unless ``replace``, a duplicate of a corpus document's
    text is refused and a taken name gets a number. ``DocumentError`` if it cannot be written."""
    if not replace and folder.is_dir():
        for existing in load_corpus(folder)[0]:
            if existing.sha256 == doc.sha256:
                raise DocumentError(f"duplicate of {existing.id} ({existing.title})")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem if replace else _free_stem(folder, stem)}{suffix}"
    fields = {"title": doc.title, "source": doc.source, "url": doc.url, "language": doc.language,
              "date": doc.date, "author": doc.author, **(extra or {})}
    sidecar = "".join(f"{key} = {_toml_string(value)}\n" for key, value in fields.items() if value)
    try:
        _write_atomic(target.with_suffix(".toml"), sidecar.encode("utf-8"))
        try:
            _write_atomic(target, data)
        except BaseException:
            if not replace:
                target.with_suffix(".toml").unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise DocumentError(f"cannot save the file: {exc.strerror or exc}") from None
    extraction_cache.put(folder, extraction_cache.key(data), _extracted(doc))
    return target


def _extracted(doc: SourceText) -> Extracted:
    return Extracted(doc.text, doc.kind, doc.places, doc.pages)


def store_upload(
    folder: Path,
    filename: str,
    data: bytes,
    *,
    title: str | None,
    url: str | None,
    max_bytes: int,
    source: str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> Path:
    """Check an uploaded file and save it (with its sidecar) in ``folder``, named after the
    uploaded file (``Jahresbericht 2025.pdf`` -> ``jahresbericht-2025.pdf``; a taken name gets a
    number). Raises ``DocumentError`` with the reason when it is rejected; nothing is written then.
    """
    if len(data) > max_bytes:
        raise DocumentError(f"too large: {len(data)} bytes, limit {max_bytes}")
    original = PurePosixPath(filename.replace("\\", "/")).name
    suffix = PurePosixPath(original).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise unsupported(suffix)
    link = _clean_field(url or "")
    if link and not re.match(r"https?://\S+$", link):
        raise DocumentError(f"the link must start with http:// or https://, got {link[:100]!r}")
    meta = {"title": _clean_field(title or ""), "url": link, "source": _clean_field(source or "")}
    found = extract(data, suffix, limits=limits, progress=progress)
    doc = source_text(original, found, {k: v for k, v in meta.items() if v})
    stem = _slug(PurePosixPath(original).stem) or _slug(doc.title) or "document"
    target = store_document(folder, stem, suffix, data, doc)
    log.info("stored upload %r as %s", original, target.name)
    return target

"""The corpus folder: documents with their metadata, loaded, checked, and added by upload.

Each document is one ``.txt``, ``.md`` or ``.html`` file; its metadata (title, source, url,
language, date) sits beside it in a sidecar ``<name>.toml``. A file that cannot be used is skipped
with a logged reason, never stopping the load; an upload that cannot be used is rejected with
``DocumentError`` and nothing is written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import stat
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import DocumentError
from .extract import SUPPORTED_SUFFIXES, extract_text, html_title
from .language import guess_language
from .models import Document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SourceText",
    "extract_text",
    "html_title",
    "load_corpus",
    "load_document",
    "read_metadata",
    "store_upload",
]

log = logging.getLogger("index.documents")

METADATA_KEYS = ("title", "source", "url", "language", "date")
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
    sha256: str  # hex digest of ``text``

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


def _source_text(filename: str, data: bytes, meta: dict[str, str]) -> SourceText:
    suffix = PurePosixPath(filename).suffix.lower()
    text = extract_text(data, suffix)
    title = meta.get("title") or (html_title(data) if suffix in (".html", ".htm") else None)
    return SourceText(
        id=document_id(filename),
        title=(title or title_from_name(filename))[:MAX_TITLE_CHARS],
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        language=meta.get("language") or guess_language(text, sure=True),
        date=meta.get("date", ""),
        path=filename,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_document(path: Path) -> SourceText:
    """Read one corpus file and its sidecar; ``DocumentError`` says why it cannot be used."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type {path.suffix or '(no extension)'}")
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise DocumentError("not a regular file")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}") from None
    return _source_text(path.name, data, read_metadata(path))


def load_corpus(folder: Path) -> tuple[list[SourceText], list[tuple[str, str]]]:
    """All usable documents in ``folder`` (by file name), and ``(file name, reason)`` for the rest."""
    if not folder.is_dir():
        raise DocumentError(f"corpus folder not found: {folder}")
    documents: list[SourceText] = []
    skipped: list[tuple[str, str]] = []
    by_hash: dict[str, str] = {}
    by_id: dict[str, str] = {}

    def skip(name: str, reason: str) -> None:
        log.warning("skipped %s: %s", name, reason)
        skipped.append((name, reason))

    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(".") or path.suffix.lower() == ".toml":
            continue
        try:
            doc = load_document(path)
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


def store_upload(
    folder: Path,
    filename: str,
    data: bytes,
    *,
    title: str | None,
    url: str | None,
    max_bytes: int,
    source: str | None = None,
) -> Path:
    """Check an uploaded file and save it (with its sidecar) in ``folder`` under a generated name.

    Raises ``DocumentError`` with the reason when it is rejected; nothing is written then.
    """
    if len(data) > max_bytes:
        raise DocumentError(f"too large: {len(data)} bytes, limit {max_bytes}")
    original = PurePosixPath(filename.replace("\\", "/")).name
    suffix = PurePosixPath(original).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(no extension)"
        raise DocumentError(f"unsupported file type {shown}: use {', '.join(SUPPORTED_SUFFIXES)}")
    link = _clean_field(url or "")
    if link and not re.match(r"https?://\S+$", link):
        raise DocumentError(f"the link must start with http:// or https://, got {link[:100]!r}")
    meta = {"title": _clean_field(title or ""), "url": link, "source": _clean_field(source or "")}
    doc = _source_text(original, data, {k: v for k, v in meta.items() if v})
    if folder.is_dir():
        for existing in load_corpus(folder)[0]:
            if existing.sha256 == doc.sha256:
                raise DocumentError(f"duplicate of {existing.id} ({existing.title})")
    stem = f"{_slug(meta['title'] or PurePosixPath(original).stem) or 'document'}-{doc.sha256[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    while any((folder / f"{stem}{s}").exists() for s in SUPPORTED_SUFFIXES):
        stem = f"{stem}-{secrets.token_hex(2)}"
    target = folder / f"{stem}{suffix}"
    sidecar_fields = {"title": doc.title, "source": doc.source, "url": doc.url, "language": doc.language}
    sidecar = "".join(f"{key} = {_toml_string(value)}\n" for key, value in sidecar_fields.items())
    try:
        _write_atomic(target.with_suffix(".toml"), sidecar.encode("utf-8"))
        try:
            _write_atomic(target, data)
        except BaseException:
            target.with_suffix(".toml").unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise DocumentError(f"cannot save the file: {exc.strerror or exc}") from None
    log.info("stored upload %r as %s", original, target.name)
    return target

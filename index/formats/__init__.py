"""A document's bytes -> its paragraphs, where each sits (page, section) and its own metadata.

    .txt              taken as it is                         (text.py)
    .md               markup removed                         (text.py)
    .html .htm        main content and metadata, trafilatura (html.py)
    .pdf              pdfminer.six, page of every paragraph  (pdf.py)
    .docx .odt        paragraphs, headings, table rows       (office.py)

Every format ends in the same shape: ``Extracted.text`` holds paragraphs separated by one blank
line, whitespace inside a paragraph collapsed, Unicode NFC; ``places`` gives, paragraph by
paragraph, its page and section where the format has them. Anything that cannot be read raises
``DocumentError`` with the reason, and the limits bound what a hostile file can cost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..errors import DocumentError
from . import html, office, pdf
from .text import decode, markdown_text, paragraphs

KINDS = {".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html", ".pdf": "pdf",
         ".docx": "docx", ".odt": "odt"}
SUPPORTED_SUFFIXES = tuple(KINDS)
REFUSED = {
    ".docm": "macro-enabled Word files are refused: save it as .docx",
    ".dotm": "macro-enabled Word templates are refused: save it as .docx",
    ".xlsm": "macro-enabled Excel files are refused",
    ".pptm": "macro-enabled PowerPoint files are refused",
    ".doc": "the old Word format is not supported: save it as .docx",
}
Progress = Callable[[str, int, int], None]  # (stage, done, total)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Limits:
    """What reading one document may cost."""

    max_pages: int = 2000
    max_seconds: float = 120.0
    max_unpacked_bytes: int = 200 * 2**20


@dataclass(frozen=True)
class Place:
    """Where a paragraph sits: page (0 if the format has none), its number on that page, section."""

    page: int = 0
    on_page: int = 0
    section: str = ""


@dataclass(frozen=True)
class Extracted:
    """A document's text and what its file says about it."""

    text: str
    kind: str  # text | markdown | html | pdf | docx | odt
    places: tuple[Place, ...] = ()  # one per paragraph of ``text``; () when the format has neither
    pages: int = 0
    meta: dict[str, str] = field(default_factory=dict)  # title, author, source, date, url found inside


def unsupported(suffix: str) -> DocumentError:
    shown = suffix or "(no extension)"
    return DocumentError(REFUSED.get(suffix) or f"unsupported file type {shown}: use {', '.join(KINDS)}")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", _SPACES.sub(" ", text).strip())


def assemble(kind: str, blocks: Iterable[tuple[int, str, str]], pages: int = 0,
             meta: dict[str, str] | None = None) -> Extracted:
    """``(page, kind, text)`` blocks -> ``Extracted``: headings become the section of what follows."""
    texts: list[str] = []
    places: list[Place] = []
    section, page_of, on_page = "", -1, 0
    for page, what, raw in blocks:
        text = _normal(raw)
        if not text:
            continue
        if what == "heading":
            section = text[:200]
            continue
        on_page = on_page + 1 if page == page_of else 1
        page_of = page
        texts.append(text)
        places.append(Place(page, on_page if page else 0, section))
    if not texts:
        raise DocumentError("no text: nothing readable in the file")
    keep = any(p.page or p.section for p in places)
    return Extracted("\n\n".join(texts), kind, tuple(places) if keep else (), pages, meta or {})


def extract(data: bytes, suffix: str, *, limits: Limits | None = None, progress: Progress | None = None,
            charset: str | None = None) -> Extracted:
    """Read a document of type ``suffix``; ``DocumentError`` says why it cannot be used."""
    suffix, limits = suffix.lower(), limits or Limits()
    kind = KINDS.get(suffix)
    if kind is None:
        raise unsupported(suffix)
    if not data:
        raise DocumentError("empty file")
    if kind == "pdf":
        found, count = pdf.read_pdf(data, max_pages=limits.max_pages, max_seconds=limits.max_seconds,
                                    progress=progress)
        return assemble(kind, ((page, "paragraph", text) for page, text in found), count)
    if kind in ("docx", "odt"):
        if not data.startswith(b"PK\x03\x04"):
            what = "Word" if kind == "docx" else "OpenDocument"
            raise DocumentError(f"not a {what} file (not a zip archive)")
        read = office.docx_blocks if kind == "docx" else office.odt_blocks
        blocks = list(read(data, limits.max_unpacked_bytes))
        title = next((t for k, t in blocks if k == "heading" and t.strip()), "")
        return assemble(kind, ((0, k, t) for k, t in blocks), meta={"title": _normal(title)} if title else {})
    if kind == "html":
        return _html(data, charset)
    source = decode(data)
    if not source.strip():
        raise DocumentError("no text: the file holds only whitespace")
    text = paragraphs(markdown_text(source) if kind == "markdown" else source)
    if not text:
        raise DocumentError("no text: nothing readable left after removing the markup")
    return Extracted(text, kind)


def _html(data: bytes, charset: str | None) -> Extracted:
    encoding = html.charset_of(data, charset)
    if encoding == "utf-8":
        source = decode(data)
    else:
        source = unicodedata.normalize("NFC", data.decode(encoding, errors="replace"))
    if not source.strip():
        raise DocumentError("no text: the file holds only whitespace")
    text, meta = html.read_page(source)
    if not text:
        raise DocumentError("no text: nothing readable left after removing the markup")
    title = html.html_title(data)  # og:title, else <title>; trafilatura's guess only without them
    if title:
        meta["title"] = title
    return Extracted(text, "html", meta=meta)


def extract_text(data: bytes, suffix: str) -> str:
    """Only the text of ``extract``."""
    return extract(data, suffix).text


__all__ = ["Extracted", "Limits", "Place", "Progress", "SUPPORTED_SUFFIXES", "extract", "extract_text",
           "unsupported"]

"""Web pages: the main content through trafilatura, with the page's own metadata.

trafilatura drops navigation, ads, cookie banners, comments and related-article lists, and reads
title, author, site name, date and canonical URL. A page it finds no main content in (a bare
fragment, a page that is only a list) is read whole instead by a plain parser (BeautifulSoup):
scripts and styles dropped, block elements turned into paragraph breaks, so nothing readable is
refused.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from xml.etree import ElementTree

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from ..errors import DocumentError
from .text import paragraphs

_SPACES = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
DROPPED_TAGS = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
BLOCK_TAGS = (
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "br",
    "tr", "table", "blockquote", "pre", "section", "article", "header", "footer", "aside",
    "nav", "main", "figure", "figcaption", "hr", "address", "details", "summary",
)  # fmt: skip
KEEP_WHOLE = 1.15  # the whole page is read when it is at most 15 % longer than the main content


def charset_of(data: bytes, declared: str | None = None) -> str:
    """The page's encoding: the HTTP header's, else its ``<meta charset>``, else UTF-8."""
    for candidate in (declared, *(m.decode("ascii") for m in _CHARSET.findall(data[:4096])[:1])):
        if candidate:
            try:
                return "utf-8" if candidate.lower() in ("utf8", "utf-8") else codecs.lookup(candidate).name
            except LookupError:
                continue
    return "utf-8"


class _Break(NavigableString):
    """A paragraph break inserted where a block element starts or ends."""


def whole_text(source: str) -> str:
    """Every readable text of the page, block elements as paragraph breaks."""
    soup = BeautifulSoup(source, "html.parser")
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before(_Break(""))
        tag.append(_Break(""))
    in_pre = {id(node) for pre in soup.find_all("pre") for node in pre.find_all(string=True)}
    parts: list[str] = []
    for node in soup.descendants:
        if isinstance(node, _Break):
            parts.append("\n\n")
        elif type(node) in (NavigableString, CData):
            text = str(node)
            parts.append(text.replace("\n", "\n\n") if id(node) in in_pre else _SPACES.sub(" ", text))
    return "".join(parts)


def html_title(data: bytes) -> str | None:
    """The page's ``og:title`` or ``<title>``, if it has one."""
    soup = BeautifulSoup(data.decode("utf-8", errors="replace"), "html.parser")
    meta = soup.find("meta", attrs={"property": "og:title"})
    candidates = [meta.get("content") if isinstance(meta, Tag) else None]
    if soup.title is not None:
        candidates.append(soup.title.get_text())
    for candidate in candidates:
        if isinstance(candidate, str) and _SPACES.sub(" ", candidate).strip():
            return _SPACES.sub(" ", candidate).strip()
    return None


_BLOCKS = ("p", "head", "item", "quote", "code", "row")
_ATTRIBUTES = {"title": "title", "author": "author", "source": "sitename", "date": "date", "url": "url"}


def _blocks(element: ElementTree.Element) -> Iterator[str]:
    """The text of each outermost block of trafilatura's XML (a table row's cells joined)."""
    for child in element:
        if child.tag == "row":
            yield "; ".join(" ".join(cell.itertext()).strip() for cell in child)
        elif child.tag in _BLOCKS:
            yield " ".join("".join(child.itertext()).split())
        else:
            yield from _blocks(child)


def main_content(source: str) -> tuple[str, dict[str, str]]:
    """The page's main text (paragraphs separated by blank lines; ``""`` if trafilatura finds
    none) and its metadata (title, author, source, date, url), each only where the page has it."""
    import trafilatura  # a second of imports: only when a page is read

    soup = BeautifulSoup(source, "html.parser")
    for tag in soup.find_all(("script", "style", "noscript", "template", "iframe", "object")):
        tag.decompose()  # trafilatura keeps <noscript> text
    try:
        xml = trafilatura.extract(
            str(soup), output_format="xml", with_metadata=True, include_comments=False,
            include_tables=True, include_images=False, include_formatting=False, deduplicate=False,
        )
        root = ElementTree.fromstring(xml) if xml else None
    except Exception as exc:  # trafilatura wraps lxml; its errors vary
        raise DocumentError(f"cannot read the page: {type(exc).__name__}: {exc}"[:200]) from None
    if root is None:
        return "", {}
    meta = {key: _SPACES.sub(" ", root.get(attr) or "").strip() for key, attr in _ATTRIBUTES.items()}
    main = root.find("main")
    texts = [t for t in (_blocks(main) if main is not None else ()) if t.strip()]
    if texts and meta["title"] and texts[0] == meta["title"]:
        texts = texts[1:]  # the page's own heading repeats its title
    return "\n\n".join(texts), {k: v for k, v in meta.items() if v}


def read_page(source: str) -> tuple[str, dict[str, str]]:
    """The page's text: its main content, or the whole page when trafilatura found nothing or
    dropped next to nothing (a bare document, whose own paragraph breaks are then kept)."""
    main, meta = main_content(source)
    whole = paragraphs(whole_text(source))
    if not main or len(whole.split()) <= KEEP_WHOLE * len(main.split()):
        return whole, meta
    return paragraphs(main), meta

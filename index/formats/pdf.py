"""PDF files through pdfminer.six: text in reading order, page by page, with the page kept.

pdfminer's layout analysis groups lines into text boxes; each box is a paragraph. Boxes are put in
reading order here: between full-width boxes (a title across both columns), columns left to right,
each top to bottom. Lines of a box are joined, a word hyphenated at a line
end is rejoined ("Straf-" + "verfolgung" -> "Strafverfolgung"; "Telegram-" + "Gründer" keeps its
hyphen), and a paragraph cut by a column or page break is joined again. Running headers and
footers (a box near the top or bottom edge whose text, digits aside, repeats on most pages) and
page numbers are dropped.

Refused with the reason: encrypted files that need a password, files without a text layer
(scans), damaged files, more than ``max_pages`` pages, more than ``max_seconds`` of work.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import DocumentError

EDGE = 0.12  # a header or footer sits in the top or bottom 12 % of the page
REPEATED = 0.5  # ... and repeats on at least half of the pages
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:seite|page|s\.|p\.)\s*)?\d{1,5}(?:\s*(?:/|von|of|-)\s*\d{1,5})?[\W_]*$", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_ENDS_SENTENCE = re.compile(r"[.!?:;\"“”»«'’)\]]$")


@dataclass(frozen=True)
class Box:
    """A text box of a page: its text (lines joined) and whether it sits at the page's edge."""

    page: int
    text: str
    at_edge: bool
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0


HEADING_CHARS = 80  # a box without a sentence end and at least this long is not a heading
WIDE = 0.6  # a box wider than 60 % of the text area spans the columns


def reading_order(boxes: list[Box]) -> list[Box]:
    """One page's boxes in reading order: header lines, then the body by columns, then footers."""
    body = sorted((b for b in boxes if not b.at_edge), key=lambda b: -b.top)
    if not body:
        return sorted(boxes, key=lambda b: -b.top)
    left, right = min(b.x0 for b in body), max(b.x1 for b in body)
    ordered: list[Box] = []
    band: list[Box] = []
    for box in body:
        if box.x1 - box.x0 > WIDE * (right - left):
            ordered += _by_columns(band) + [box]
            band = []
        else:
            band.append(box)
    ordered += _by_columns(band)
    edges = sorted((b for b in boxes if b.at_edge), key=lambda b: -b.top)
    middle = (max(b.top for b in boxes) + min(b.top for b in boxes)) / 2
    return [b for b in edges if b.top > middle] + ordered + [b for b in edges if b.top <= middle]


def _by_columns(boxes: list[Box]) -> list[Box]:
    """Boxes grouped into columns (x-ranges that overlap), left to right, each top to bottom."""
    columns: list[list[Box]] = []
    extent: list[list[float]] = []
    for box in sorted(boxes, key=lambda b: b.x0):
        if extent and box.x0 < extent[-1][1]:
            columns[-1].append(box)
            extent[-1][1] = max(extent[-1][1], box.x1)
        else:
            columns.append([box])
            extent.append([box.x0, box.x1])
    return [box for column in columns for box in sorted(column, key=lambda b: -b.top)]


def join_lines(lines: list[str]) -> str:
    """The lines of one paragraph as one line, hyphenations at line ends rejoined."""
    out = ""
    for raw in lines:
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        if not out:
            out = line
        elif re.search(r"\w-$", out) and line[:1].islower():
            out = out[:-1] + line  # "Straf-" + "verfolgung"
        elif re.search(r"\w-$", out):
            out += line  # "Telegram-" + "Gründer": a real hyphen
        else:
            out += " " + line
    return out


def _key(text: str) -> str:
    return _DIGITS.sub("#", text.lower())


def drop_running_lines(boxes: list[Box], pages: int) -> list[Box]:
    """``boxes`` without page numbers and without edge boxes that repeat on most pages."""
    counts: Counter[str] = Counter()
    for page in range(1, pages + 1):
        counts.update({_key(b.text) for b in boxes if b.page == page and b.at_edge})
    need = max(2, int(pages * REPEATED + 0.999))
    return [
        b for b in boxes
        if not (b.at_edge and (_PAGE_NUMBER.match(b.text) or (pages >= 2 and counts[_key(b.text)] >= need)))
    ]


def merge_continued(boxes: list[Box]) -> list[Box]:
    """Join a paragraph that a column or page break cut in two: the first part ends without a
    sentence end, and the next starts in lower case or the first part is too long for a heading."""
    merged: list[Box] = []
    for box in boxes:
        last = merged[-1] if merged else None
        if last is not None and not _ENDS_SENTENCE.search(last.text) and (
                box.text[:1].islower() or len(last.text) >= HEADING_CHARS):
            merged[-1] = Box(last.page, join_lines([last.text, box.text]), False)
        else:
            merged.append(box)
    return merged


def _open(data: bytes) -> object:
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser

    if not data.lstrip()[:1024].count(b"%PDF-"):
        raise DocumentError("not a PDF file (no %PDF header)")
    try:
        return PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except PDFPasswordIncorrect:
        raise DocumentError("encrypted PDF: it needs a password; upload a copy without one") from None
    except PDFEncryptionError as exc:
        raise DocumentError(f"encrypted PDF that cannot be read ({exc})") from None
    except Exception as exc:
        raise DocumentError(f"damaged PDF: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200] if str(exc) else type(exc).__name__


def page_count(document: object) -> int:
    from pdfminer.pdftypes import resolve1

    try:
        pages = resolve1(document.catalog["Pages"])  # type: ignore[attr-defined]
        return int(resolve1(pages.get("Count", 0)))
    except Exception:
        return 0


def read_pdf(
    data: bytes, *, max_pages: int, max_seconds: float,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[tuple[int, str]], int]:
    """The paragraphs of a PDF as ``(page, text)`` in reading order, and its number of pages."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    document = _open(data)
    total = page_count(document)
    if total > max_pages:
        raise DocumentError(f"too many pages: {total}, the limit is {max_pages}")
    resources = PDFResourceManager()
    device = PDFPageAggregator(resources, laparams=LAParams())
    interpreter = PDFPageInterpreter(resources, device)
    deadline = time.monotonic() + max_seconds
    boxes: list[Box] = []
    number = 0
    try:
        for number, page in enumerate(PDFPage.create_pages(document), 1):  # type: ignore[arg-type]
            if number > max_pages:
                raise DocumentError(f"too many pages: more than {max_pages}")
            if time.monotonic() > deadline:
                raise DocumentError(f"reading took longer than {max_seconds:g} s (stopped at page {number})")
            if progress is not None:
                progress("reading", number, max(total, number))
            interpreter.process_page(page)
            layout = device.get_result()
            height = max(float(layout.height), 1.0)
            page_boxes: list[Box] = []
            for item in layout:
                if not isinstance(item, LTTextContainer):
                    continue
                lines = [line.get_text() for line in item if isinstance(line, LTTextLine)]
                text = join_lines(lines or [item.get_text()])
                if text:
                    edge = item.y0 > layout.y1 - EDGE * height or item.y1 < layout.y0 + EDGE * height
                    page_boxes.append(Box(number, text, edge, item.x0, item.x1, item.y1))
            boxes += reading_order(page_boxes)
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(f"damaged PDF: {_reason(exc)} (page {number or 1})") from None
    if number == 0:
        raise DocumentError("damaged PDF: it has no pages")
    kept = merge_continued(drop_running_lines(boxes, number))
    if not kept:
        raise DocumentError("scanned PDF — no text to read; OCR is not supported")
    return [(box.page, box.text) for box in kept], number

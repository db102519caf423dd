"""Word (``.docx``, python-docx) and OpenDocument text (``.odt``): paragraphs, headings, tables.

Both are zip files: before anything is parsed the archive is checked, so a zip bomb (a small file
that unpacks to gigabytes) or a file with macros is refused with the reason. Headings become the
section title of the paragraphs under them; a table becomes one paragraph per row, each cell named
by its column's header ("Jahr: 2023; Fahrgäste: 81.000").
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from ..errors import DocumentError

MAX_RATIO = 200  # a part that unpacks to more than 200 times its packed size is a bomb
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "basic/")
HEADING_STYLES = ("Heading", "Title", "Überschrift", "Titel")
Block = tuple[str, str]  # ("heading" | "paragraph", text)


def check_archive(data: bytes, max_unpacked: int, what: str) -> zipfile.ZipFile:
    """The archive, opened, once its declared sizes and parts are known to be safe."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise DocumentError(f"damaged {what} file: {exc}") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_unpacked:
        raise DocumentError(f"refused: it unpacks to {unpacked // 2**20} MB, the limit is "
                            f"{max_unpacked // 2**20} MB (a zip bomb?)")
    for member in members:
        if member.file_size > 2**20 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            ratio = member.file_size // max(member.compress_size, 1)
            raise DocumentError(f"refused: {member.filename} unpacks to {ratio} times its size (a zip bomb?)")
        if any(part in member.filename.lower() for part in MACRO_PARTS):
            raise DocumentError("refused: the file contains macros; save it as a plain document")
    return archive


def _row_texts(rows: list[list[str]]) -> list[str]:
    """Table rows as text, cells named by the header row when there is one."""
    rows = [[" ".join(c.split()) for c in row] for row in rows if any(c.strip() for c in row)]
    if len(rows) < 2:
        return ["; ".join(c for c in row if c) for row in rows]
    header, *body = rows
    named = all(header) and len(set(header)) == len(header)
    if not named:
        return ["; ".join(c for c in row if c) for row in rows]
    return ["; ".join(f"{h}: {c}" for h, c in zip(header, row, strict=False) if c) for row in body]


def docx_blocks(data: bytes, max_unpacked: int) -> Iterator[Block]:
    """The blocks of a Word file in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_archive(data, max_unpacked, "Word").close()
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors ...
        raise DocumentError(f"damaged Word file: {type(exc).__name__}: {exc}"[:200]) from None
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            style = (item.style.name if item.style is not None else "") or ""
            yield ("heading" if style.startswith(HEADING_STYLES) else "paragraph"), item.text
        elif isinstance(item, Table):
            rows = [[cell.text for cell in row.cells] for row in item.rows]
            for text in _row_texts(rows):
                yield "paragraph", text


_ODT_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODT_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def odt_blocks(data: bytes, max_unpacked: int) -> Iterator[Block]:
    """The blocks of an OpenDocument text in document order."""
    with check_archive(data, max_unpacked, "OpenDocument") as archive:
        try:
            root = ElementTree.fromstring(archive.read("content.xml"))
        except KeyError:
            raise DocumentError("damaged OpenDocument file: no content.xml") from None
        except ElementTree.ParseError as exc:
            raise DocumentError(f"damaged OpenDocument file: {exc}") from None
    yield from _odt_walk(root)


def _odt_walk(element: ElementTree.Element) -> Iterator[Block]:
    for child in element:
        if child.tag == f"{_ODT_TEXT}h":
            yield "heading", "".join(child.itertext())
        elif child.tag == f"{_ODT_TEXT}p":
            yield "paragraph", "".join(child.itertext())
        elif child.tag == f"{_ODT_TABLE}table":
            rows = [["".join(cell.itertext()) for cell in row.iter(f"{_ODT_TABLE}table-cell")]
                    for row in child.iter(f"{_ODT_TABLE}table-row")]
            for text in _row_texts(rows):
                yield "paragraph", text
        else:
            yield from _odt_walk(child)

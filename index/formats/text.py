"""Text files: the check that bytes are UTF-8 text, paragraphs, and Markdown without its markup.

``decode`` refuses binary data (naming what it looks like), invalid UTF-8 and control-character
noise; ``paragraphs`` gives the one shape every format ends in: paragraphs separated by one blank
line, whitespace inside a paragraph collapsed, Unicode NFC.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import DocumentError

# leading bytes of common binary formats -> what they are
MAGIC = (
    (b"PK\x03\x04", "a zip archive (or an Office/OpenDocument file)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"%PDF-", "a PDF file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file"),
    (b"\x7fELF", "an executable program"),
    (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"),
)
MAX_CONTROL_SHARE = 0.1  # more control characters than this and it is not text

_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0]*\n")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")



def decode(data: bytes) -> str:
    """Check that ``data`` is UTF-8 text and return it with BOM, CR and control characters gone."""
    if not data:
        raise DocumentError("empty file")
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise DocumentError(f"not a text file: this is {what}")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise DocumentError("not a text file: this is a WebP image")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise DocumentError(f"not a text file: binary data (NUL byte at offset {offset})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"invalid UTF-8 at byte {exc.start}: save the file as UTF-8") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    controls = len(_CONTROL.findall(text))
    if controls > MAX_CONTROL_SHARE * len(text):
        raise DocumentError(f"not a text file: binary data ({controls} control characters)")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text.replace("\f", "\n\n")))


def paragraphs(text: str) -> str:
    """Blocks separated by blank lines -> one paragraph each, whitespace collapsed."""
    blocks = (_SPACES.sub(" ", block).strip() for block in _BLANK_LINE.split(text))
    return "\n\n".join(block for block in blocks if block)


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^\s{0,3}(?:(?:[-*_]\s*){3,}|=+)\s*$")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # link -> its text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference link -> its text
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolink
    (re.compile(r"`+([^`]+?)`+"), r"\1"),  # inline code
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis *x*
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),  # emphasis _x_
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # strike-through
)


def markdown_text(source: str) -> str:
    lines: list[str] = []
    in_code = False
    for line in source.split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
            lines.append("")
            continue
        if in_code:
            lines.append(line)
            continue
        if _RULE.match(line) or _REFERENCE.match(line):
            lines.append("")
            continue
        heading = _HEADING.match(line)
        if heading:
            lines.extend(["", heading.group(1), ""])
            continue
        line = _LIST.sub("", _QUOTE.sub("", line))
        for pattern, replacement in _INLINE:
            line = pattern.sub(replacement, line)
        lines.append(line)
    return "\n".join(lines)

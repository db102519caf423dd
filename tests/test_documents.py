"""Corpus documents: text extraction, metadata, loading a folder, and storing uploads."""

from __future__ import annotations

import hashlib
import logging
import os
import tomllib
from pathlib import Path

import pytest

from index import DocumentError
from index.documents import (
    SUPPORTED_SUFFIXES,
    extract_text,
    html_title,
    load_corpus,
    load_document,
    read_metadata,
    store_upload,
)

STORY = Path(__file__).resolve().parent.parent / "corpus" / "durov-telegram.de.txt"
MB = 1024 * 1024

PAGE = b"""<!doctype html><html><head><title> The  Page </title>
<style>p { color: red }</style><script>var secret = "SCRIPTTEXT";</script></head>
<body><noscript>NOSCRIPTTEXT</noscript><template>TEMPLATETEXT</template>
<h1>Heading</h1><p>First <b>bold</b> sentence.
Still the first paragraph.</p><!-- COMMENTTEXT -->
<ul><li>one</li><li>two</li></ul>before<br>after &amp; more
<script>document.write("SCRIPTTEXT")</script><div>Last block</div></body></html>"""


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n\t\r\n  ", "whitespace"),
        (b"PK\x03\x04\x14\x00\x00\x00rest", "zip"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"text with a \x00 NUL byte", "NUL byte at offset 12"),
        (b"\x01\x02\x03\x04\x05\x06 ab", "control characters"),
        (b"Gr\xfc\xdfe aus M\xfcnchen", "invalid UTF-8 at byte 2"),
        (b"ok so far \xe2\x82", "invalid UTF-8 at byte 10"),
    ],
)
def test_extract_text_rejects_non_text_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        extract_text(data, ".txt")


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [
        (".exe", r"unsupported file type \.exe: use \.txt"),
        ("", r"unsupported file type \(no extension\)"),
        (".docm", "macro-enabled Word files are refused"),
        (".doc", "old Word format"),
    ],
)
def test_extract_text_rejects_unsupported_suffix(suffix: str, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        extract_text(b"hello", suffix)


def test_a_file_whose_content_is_not_its_type_is_refused() -> None:
    with pytest.raises(DocumentError, match="not a PDF file"):
        extract_text(b"hello", ".pdf")
    with pytest.raises(DocumentError, match="not a Word file"):
        extract_text(b"hello", ".docx")


def test_extract_text_normalizes_bom_line_endings_and_controls() -> None:
    data = "\ufeffErste Zeile\r\nzweite\x07 Zeile\r\n\r\n\r\nNeuer Absatz\rEnde".encode()
    assert extract_text(data, ".txt") == "Erste Zeile zweite Zeile\n\nNeuer Absatz Ende"


def test_extract_text_composes_umlauts() -> None:
    decomposed = "Mu\u0308nchen".encode()
    assert extract_text(decomposed, ".txt") == "M\u00fcnchen"


def test_html_drops_scripts_styles_and_comments_and_breaks_blocks() -> None:
    text = extract_text(PAGE, ".html")
    for hidden in ("SCRIPTTEXT", "NOSCRIPTTEXT", "TEMPLATETEXT", "COMMENTTEXT", "color", "The Page"):
        assert hidden not in text
    assert text.split("\n\n") == [
        "Heading",
        "First bold sentence. Still the first paragraph.",
        "one",
        "two",
        "before",
        "after & more",
        "Last block",
    ]


def test_html_title_prefers_og_title_then_title() -> None:
    assert html_title(PAGE) == "The Page"
    og = b'<html><head><meta property="og:title" content="Open  Graph"><title>T</title></head></html>'
    assert html_title(og) == "Open Graph"
    assert html_title(b"<p>no title</p>") is None


def test_html_with_only_markup_is_rejected() -> None:
    with pytest.raises(DocumentError, match="no text"):
        extract_text(b"<html><script>x()</script><p>  </p></html>", ".html")


def test_markdown_syntax_is_stripped_lightly() -> None:
    source = (
        "# Die Überschrift #\n"
        "Ein *betonter* und **starker** Satz mit [Link](https://example.com) und `code`.\n"
        "snake_case_name bleibt.\n\n"
        "```python\nprint('hi')\n```\n\n"
        "- erster Punkt\n- zweiter Punkt\n\n"
        "> Ein Zitat\n\n---\n![Bild](bild.png)\n\n[ref]: https://example.com/ref\n"
    )
    assert extract_text(source.encode(), ".md").split("\n\n") == [
        "Die Überschrift",
        "Ein betonter und starker Satz mit Link und code. snake_case_name bleibt.",
        "print('hi')",
        "erster Punkt zweiter Punkt",
        "Ein Zitat",
        "Bild",
    ]


def test_txt_holding_html_is_kept_as_text_but_binary_txt_is_rejected() -> None:
    assert extract_text(b"<p>Hallo</p>", ".txt") == "<p>Hallo</p>"
    with pytest.raises(DocumentError, match="zip"):
        extract_text(b"PK\x03\x04" + b"a" * 100, ".txt")


def test_bundled_story_loads_with_metadata() -> None:
    doc = load_document(STORY)
    assert (doc.id, doc.path, doc.language, doc.source) == (
        "durov-telegram.de",
        "durov-telegram.de.txt",
        "de",
        "SeaPRwire",
    )
    assert doc.title.startswith("Durov: Telegram")
    assert doc.url.startswith("https://")
    paragraphs = doc.text.split("\n\n")
    assert len(paragraphs) == 14
    assert paragraphs[0].startswith("(SeaPRwire)")  # boilerplate is kept: it is part of the story file
    assert paragraphs[-1].startswith("SeaPRwire liefert")
    assert doc.sha256 == hashlib.sha256(doc.text.encode()).hexdigest()
    document = doc.to_document(passages=20)
    assert (document.id, document.sha256, document.passages) == (doc.id, doc.sha256, 20)


def test_metadata_ignores_unknown_keys_and_stringifies_dates(tmp_path: Path) -> None:
    doc = write(tmp_path, "a.txt", "Text")
    write(tmp_path, "a.toml", 'title = " Ein  Titel "\ndate = 2024-09-05\nlanguage = "DE"\ncolour = "x"\n')
    assert read_metadata(doc) == {"title": "Ein Titel", "date": "2024-09-05", "language": "de"}
    assert read_metadata(write(tmp_path, "b.txt", "Text")) == {}


@pytest.mark.parametrize("sidecar", ['title = "unterminated\n', "title = [1, 2]\n", b"title = '\xff'\n"])
def test_malformed_sidecar_names_the_file(tmp_path: Path, sidecar: str | bytes) -> None:
    doc = write(tmp_path, "bad.txt", "Text")
    write(tmp_path, "bad.toml", sidecar)
    with pytest.raises(DocumentError, match=r"bad\.toml"):
        read_metadata(doc)


def test_title_falls_back_to_html_title_then_file_name(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "page.html", PAGE)).title == "The Page"
    plain = load_document(write(tmp_path, "my_report-2024.txt", "Some text here."))
    assert (plain.title, plain.id) == ("My report 2024", "my_report-2024")
    write(tmp_path, "page.toml", 'title = "From metadata"\n')
    assert load_document(tmp_path / "page.html").title == "From metadata"


def test_document_id_is_sanitised(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "Bericht über (2024) #1.md", "Text")).id == "Bericht--ber--2024---1"


def test_load_corpus_skips_bad_files_with_logged_reasons(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "a.md", "# A\n\nSame id as the text file.")
    write(tmp_path, "a.txt", "A different text with the same id.")
    write(tmp_path, "b.txt", "Die Geschichte.")
    write(tmp_path, "c.txt", "Die Geschichte.\r\n")  # same text after normalization
    write(tmp_path, "d.txt", b"")
    write(tmp_path, "e.txt", b"\x00\x01binary")
    write(tmp_path, "f.txt", b"caf\xe9")
    write(tmp_path, "g.exe", b"MZ binary")
    write(tmp_path, "h.txt", "Fine text.")
    write(tmp_path, "h.toml", "title = ")
    write(tmp_path, ".hidden.txt", "never read")
    write(tmp_path, "z.txt", "   \n  ")
    os.symlink(tmp_path / "missing.txt", tmp_path / "i.txt")
    with caplog.at_level(logging.WARNING, logger="index.documents"):
        documents, skipped = load_corpus(tmp_path)
    assert [d.id for d in documents] == ["a", "b"]
    reasons = dict(skipped)
    assert reasons["a.txt"] == "same id 'a' as a.md"
    assert reasons["c.txt"] == "duplicate of b"
    assert "empty" in reasons["d.txt"]
    assert "binary" in reasons["e.txt"]
    assert "invalid UTF-8 at byte 3" in reasons["f.txt"]
    assert "unsupported file type .exe" in reasons["g.exe"]
    assert "h.toml" in reasons["h.txt"]
    assert "cannot read" in reasons["i.txt"]
    assert "whitespace" in reasons["z.txt"]
    assert ".hidden.txt" not in reasons and "h.toml" not in reasons
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(logged) == len(skipped)
    assert all(any(name in message for message in logged) for name, _ in skipped)


def test_load_corpus_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="not found"):
        load_corpus(tmp_path / "nowhere")


def upload(folder: Path, name: str, data: bytes, **kwargs: object) -> Path:
    options: dict = {"title": None, "url": None, "max_bytes": 2 * MB, **kwargs}
    return store_upload(folder, name, data, **options)


def test_upload_is_stored_with_sidecar_and_loads(tmp_path: Path) -> None:
    path = upload(tmp_path, "notes.md", b"# Notes\n\nDer Text.", title='Mein "Bericht" \\ 2024',
                  url="https://example.com/x")  # fmt: skip
    assert path.parent == tmp_path and path.suffix == ".md"
    assert path.name == "notes.md"  # the id follows the uploaded file's name
    meta = tomllib.loads(path.with_suffix(".toml").read_text("utf-8"))
    assert meta["title"] == 'Mein "Bericht" \\ 2024' and meta["url"] == "https://example.com/x"
    assert "source" not in meta
    doc = load_document(path)
    assert (doc.title, doc.text) == ('Mein "Bericht" \\ 2024', "Notes\n\nDer Text.")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_upload_with_traversal_name_stays_in_folder(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    path = upload(folder, "../../etc/passwd.txt", b"root text")
    assert path.resolve().parent == folder.resolve()
    assert path.name == "passwd.txt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]
    windows = upload(folder, "..\\..\\evil name.txt", b"other text")
    assert windows.resolve().parent == folder.resolve() and windows.name == "evil-name.txt"


def test_upload_html_with_script_keeps_no_script_text(tmp_path: Path) -> None:
    doc = load_document(upload(tmp_path, "page.html", PAGE))
    assert "SCRIPTTEXT" not in doc.text and "First bold sentence." in doc.text
    assert doc.title == "The Page"


@pytest.mark.parametrize(
    ("name", "data", "kwargs", "reason"),
    [
        ("big.txt", b"x" * 101, {"max_bytes": 100}, "too large: 101 bytes, limit 100"),
        ("doc.pdf", b"%PDF-1.4", {}, r"damaged PDF"),
        ("doc.exe", b"MZ", {}, r"unsupported file type \.exe"),
        ("macro.docm", b"PK\x03\x04", {}, r"macro-enabled"),
        ("noext", b"text", {}, "unsupported file type"),
        ("fake.txt", b"PK\x03\x04" + bytes(50), {}, "zip"),
        ("fake.txt", b"\x00\x01\x02", {}, "binary"),
        ("latin.txt", b"Stra\xdfe", {}, "invalid UTF-8 at byte 4"),
        ("empty.txt", b"", {}, "empty"),
        ("blank.md", b"\n \n", {}, "whitespace"),
        ("ok.txt", b"text", {"url": "javascript:alert(1)"}, "http"),
    ],
)
def test_rejected_upload_writes_nothing(
    tmp_path: Path, name: str, data: bytes, kwargs: dict, reason: str
) -> None:
    with pytest.raises(DocumentError, match=reason):
        upload(tmp_path, name, data, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_upload_duplicate_of_corpus_document_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "story.txt", "Die Geschichte.\n\nZweiter Absatz.")
    before = sorted(tmp_path.iterdir())
    with pytest.raises(DocumentError, match="duplicate of story"):
        upload(tmp_path, "copy.md", b"Die Geschichte.\r\n\r\nZweiter   Absatz.\r\n")
    assert sorted(tmp_path.iterdir()) == before


def test_uploads_with_same_title_get_distinct_names(tmp_path: Path) -> None:
    first = upload(tmp_path, "a.txt", b"one text", title="Same")
    second = upload(tmp_path, "b.txt", b"another text", title="Same")
    assert first != second
    documents, skipped = load_corpus(tmp_path)
    assert len(documents) == 2 and skipped == []


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".odt")

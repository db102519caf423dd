"""Reading PDF, Word, OpenDocument and web pages: what is kept, what is dropped, what is refused.

The fixture files are made by ``support/documents.py`` (reportlab, python-docx, zipfile).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from support import documents as fixtures

from index.documents import load_corpus
from index.errors import DocumentError
from index.formats import Limits, Place, extract
from index.formats import cache as extraction_cache
from index.formats.pdf import Box, drop_running_lines, join_lines, merge_continued
from index.language import document_language


@pytest.fixture(scope="module")
def chronicle() -> fixtures.Pdf:
    return fixtures.chronicle_pdf()


def test_pdf_is_read_in_column_order_with_the_page_of_every_paragraph(chronicle: fixtures.Pdf) -> None:
    found = extract(chronicle.data, ".pdf")
    assert found.kind == "pdf" and found.pages == chronicle.pages == 2
    assert found.text.split("\n\n") == [p.replace("\u00ad", "") for p in fixtures.CHRONICLE]
    assert found.places[:5] == (Place(1, 1), Place(1, 2), Place(1, 3), Place(1, 4), Place(2, 1))


def test_pdf_drops_running_header_and_page_numbers_and_rejoins_hyphenations(chronicle: fixtures.Pdf) -> None:
    text = extract(chronicle.data, ".pdf").text
    assert "Quellenbacher Chronik" not in text and "Jahresbericht" not in text
    assert "Seite" not in text
    assert chronicle.hyphenated, "the fixture must break some words at line ends"
    for word in chronicle.hyphenated:
        assert word in text
    assert "- " not in text and "\u00ad" not in text


def test_line_joining_rejoins_hyphenated_words_but_keeps_real_hyphens() -> None:
    assert join_lines(["die Straf-", "verfolgung wurde"]) == "die Strafverfolgung wurde"
    assert join_lines(["der Telegram-", "Gründer"]) == "der Telegram-Gründer"
    assert join_lines(["  erste  Zeile ", "", "zweite"]) == "erste Zeile zweite"


def test_repeated_edge_lines_are_dropped_but_body_text_and_single_edges_stay() -> None:
    boxes = [
        Box(p, t, edge)
        for p in (1, 2, 3)
        for t, edge in ((f"Bericht 2025 · Seite {p}", True), (f"Text der Seite {p}.", False), (str(p), True))
    ]
    boxes.append(Box(3, "Anhang: nur einmal am Rand", True))
    kept = [b.text for b in drop_running_lines(boxes, 3)]
    assert kept == [
        "Text der Seite 1.",
        "Text der Seite 2.",
        "Text der Seite 3.",
        "Anhang: nur einmal am Rand",
    ]


def test_a_paragraph_cut_by_a_column_or_page_break_is_joined_again() -> None:
    start = "Der Gemeinderat beschloss in seiner Sitzung im Mai nach langer Debatte, die alte"
    boxes = [
        Box(1, start, False),
        Box(2, "Brücke neu zu bauen.", False),
        Box(2, "Finanzierung", False),
        Box(2, "Die Kosten trägt das Land.", False),
        Box(2, "der nächste Absatz beginnt klein, aber nach einem Satzende.", False),
    ]
    assert [b.text for b in merge_continued(boxes)] == [
        f"{start} Brücke neu zu bauen.",
        "Finanzierung",  # a heading: short, so not joined to what follows
        "Die Kosten trägt das Land.",
        "der nächste Absatz beginnt klein, aber nach einem Satzende.",
    ]


@pytest.mark.parametrize(
    ("make", "limits", "reason"),
    [
        (fixtures.encrypted_pdf, Limits(), "encrypted PDF: it needs a password"),
        (fixtures.scanned_pdf, Limits(), "scanned PDF — no text to read; OCR is not supported"),
        (fixtures.damaged_pdf, Limits(), "damaged PDF"),
        (lambda: fixtures.chronicle_pdf().data, Limits(max_pages=1), "too many pages: 2, the limit is 1"),
        (lambda: fixtures.chronicle_pdf().data, Limits(max_seconds=-1), "reading took longer than -1 s"),
        (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 4, Limits(), "damaged PDF"),
        (lambda: b"just text", Limits(), "not a PDF file"),
    ],
    ids=["encrypted", "scanned", "damaged", "pages", "seconds", "garbage", "not-pdf"],
)
def test_unreadable_pdfs_are_refused_with_the_reason(make, limits: Limits, reason: str) -> None:  # noqa: ANN001
    with pytest.raises(DocumentError, match=reason):
        extract(make(), ".pdf", limits=limits)


def test_word_file_keeps_headings_as_sections_and_tables_as_named_rows() -> None:
    found = extract(fixtures.lindsee_docx(), ".docx")
    assert found.meta["title"] == "Die Lindsee-Fähre"
    paragraphs = found.text.split("\n\n")
    assert paragraphs[0] == fixtures.WORD_SECTIONS[0][1][0]
    assert [p.section for p in found.places] == [
        "Geschichte",
        "Geschichte",
        "Fahrplan",
        "Fahrgastzahlen",
        "Fahrgastzahlen",
    ]
    assert paragraphs[-2:] == ["Jahr: 2023; Fahrgäste: 81.000", "Jahr: 2024; Fahrgäste: 94.500"]
    assert "Geschichte" not in paragraphs  # headings are places, not passages


def test_opendocument_text_is_read() -> None:
    found = extract(fixtures.harbour_odt(), ".odt")
    assert found.text.split("\n\n") == [
        "Der Hafen von Westmünde wurde 1874 eröffnet und 1960 erweitert.",
        "Heute legen dort jährlich etwa 1.200 Schiffe an.",
    ]
    assert found.places[0].section == "Der Hafen von Westmünde"


@pytest.mark.parametrize(
    ("make", "suffix", "limits", "reason"),
    [
        (fixtures.zip_bomb_docx, ".docx", Limits(), "times its size \\(a zip bomb\\?\\)"),
        (
            fixtures.lindsee_docx,
            ".docx",
            Limits(max_unpacked_bytes=1000),
            "unpacks to 0 MB, the limit is 0 MB",
        ),
        (fixtures.macro_docx, ".docx", Limits(), "contains macros"),
        (lambda: b"PK\x03\x04" + b"\x00" * 40, ".docx", Limits(), "damaged Word file"),
        (lambda: b"<w:document/>", ".docx", Limits(), "not a Word file"),
        (lambda: _zip({"word/document.xml": b"<not-xml"}), ".docx", Limits(), "damaged Word file"),
        (lambda: _zip({"mimetype": b"x"}), ".odt", Limits(), "no content.xml"),
    ],
    ids=["bomb", "unpacked-limit", "macros", "truncated", "not-zip", "broken-part", "odt-empty"],
)
def test_bad_office_files_are_refused_before_they_are_parsed(
    make,
    suffix: str,
    limits: Limits,  # noqa: ANN001
    reason: str,
) -> None:
    with pytest.raises(DocumentError, match=reason):
        extract(make(), suffix, limits=limits)


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_web_page_keeps_the_article_and_its_metadata_and_drops_the_rest() -> None:
    found = extract(fixtures.article_html("Lauterbrücke eröffnet", fixtures.BRIDGE), ".html")
    assert found.text.split("\n\n") == list(fixtures.BRIDGE)
    assert found.meta == {
        "title": "Lauterbrücke eröffnet",
        "author": "Mara Lenz",
        "source": "Lautertaler Bote",
        "date": "2025-03-14",
        "url": "https://bote.example/artikel",
    }
    for dropped in ("Startseite", "Cookies", "Leserkommentar", "Mehr zum Thema", "Impressum"):
        assert dropped not in found.text


def test_a_page_in_another_encoding_is_decoded_by_its_declared_charset() -> None:
    page = "<html><head><meta charset='iso-8859-1'></head><body><p>Grüße aus Köln.</p></body></html>"
    assert extract(page.encode("latin-1"), ".html").text == "Grüße aus Köln."


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (" ".join(fixtures.CHRONICLE), "de"),
        (
            "The new bridge over the river was opened on Friday after three years of construction work, "
            "and the mayor called it the most important building of the town in decades. " * 2,
            "en",
        ),
        (
            "Le nouveau pont sur la rivière a été ouvert vendredi après trois ans de travaux, et la maire "
            "l'a qualifié de bâtiment le plus important de la ville depuis des décennies. " * 2,
            "fr",
        ),
    ],
)
def test_a_document_s_language_is_detected_from_its_text(text: str, language: str) -> None:
    assert document_language(text) == language


def test_extractions_are_cached_beside_the_corpus_and_pruned_with_their_file(tmp_path: Path) -> None:
    (tmp_path / "chronik.pdf").write_bytes(fixtures.chronicle_pdf().data)
    (first,), _ = load_corpus(tmp_path)
    (entry,) = (tmp_path / extraction_cache.FOLDER).iterdir()
    record = json.loads(entry.read_text())
    record["text"] = record["text"].replace("Wasserwerk", "Wasserturm")  # prove the cache is read
    entry.write_text(json.dumps(record))
    (second,), _ = load_corpus(tmp_path)
    assert "Wasserwerk" in first.text and "Wasserturm" in second.text
    assert second.pages == 2 and second.places == first.places
    (tmp_path / "chronik.pdf").unlink()
    assert load_corpus(tmp_path) == ([], []) and list((tmp_path / extraction_cache.FOLDER).iterdir()) == []

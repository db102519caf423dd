"""Fixture documents, made here rather than committed: PDFs (two columns of German text with
hyphenation, a running header and page numbers; encrypted; without a text layer; damaged), Word
files (headings and a table; a zip bomb; a macro file), OpenDocument text and web pages with
navigation and comments.

``PYTHONPATH=.:tests python -m support.documents <folder>`` writes them all to look at;
``... -m support.documents --measure`` prints what extraction keeps of a 100-page PDF and how
fast it reads.
"""

from __future__ import annotations

import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HEADER = "Quellenbacher Chronik · Jahresbericht 2025"

# Paragraphs of the two-column PDF; "\u00ad" marks where a word may be hyphenated at a line end.
CHRONICLE = (
    "Das Wasser\u00adwerk von Quellenbach wurde im Jahr 1898 von dem Ingenieur Konrad Albers "
    "gebaut und versorgte zunächst nur die Altstadt mit Trink\u00adwasser.",
    "Im Sommer 1921 zerstörte ein Hoch\u00adwasser der Lauter die Pump\u00adstation; die "
    "Stadt ließ sie innerhalb von acht Monaten an höherer Stelle wieder errichten.",
    "Die Staats\u00adanwalt\u00adschaft ermittelte 1957 gegen den damaligen Werks\u00adleiter "
    "wegen Untreue, die Straf\u00adverfolgung wurde jedoch mangels Beweisen eingestellt.",
    "Seit 1984 gehört das Werk den Stadt\u00adwerken Quellenbach, die es 2012 für "
    "vierzig Millionen Euro moderni\u00adsieren ließen.",
    "Heute liefert das Werk täglich rund zwölf\u00adtausend Kubik\u00admeter Wasser an "
    "achtund\u00addreißig\u00adtausend Haushalte im ganzen Lautertal.",
    "Die Bürger\u00adinitiative Klares Wasser fordert seit 2023 eine zweite Aufbereitungs\u00adanlage "
    "für den wachsenden Ortsteil Neuberg.",
    "Der Gemeinderat will über die neue Anlage im Frühjahr 2026 entscheiden; die Kosten werden "
    "auf elf Millionen Euro geschätzt.",
    "Zum hundertsten Jubiläum 1998 erschien eine Fest\u00adschrift, die der Heimat\u00adverein "
    "bis heute im Rathaus verkauft.",
)


@dataclass
class Pdf:
    data: bytes
    pages: int
    hyphenated: list[str] = field(default_factory=list)  # words broken at a line end, whole


def _wrap(text: str, width: float, font: str, size: float, hyphenated: list[str]) -> list[str]:
    """Lines of at most ``width`` points, breaking words at their soft hyphens where needed."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def fits(line: str) -> bool:
        return stringWidth(line, font, size) <= width

    lines: list[str] = []
    line = ""
    for word in text.split():
        whole = word.replace("\u00ad", "")
        trial = f"{line} {whole}".strip()
        if fits(trial):
            line = trial
            continue
        parts = word.split("\u00ad")
        for cut in range(len(parts) - 1, 0, -1):
            head = "".join(parts[:cut]) + "-"
            if fits(f"{line} {head}".strip()):
                lines.append(f"{line} {head}".strip())
                line = "".join(parts[cut:])
                hyphenated.append(whole)
                break
        else:
            lines.append(line)
            line = whole
    if line:
        lines.append(line)
    return [x for x in lines if x]


def chronicle_pdf(
    paragraphs: tuple[str, ...] = CHRONICLE, per_page: int = 4, encrypt: str | None = None
) -> Pdf:
    """Two columns of German text per page, a running header, "Seite N von M" at the foot."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt, invariant=1)
    pages = [paragraphs[i : i + per_page] for i in range(0, len(paragraphs), per_page)]
    width, height = A4
    column, gap, margin, size, leading = 220.0, 40.0, 60.0, 11.0, 14.0
    hyphenated: list[str] = []
    for number, page in enumerate(pages, 1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(margin, height - 40, HEADER)
        pdf.drawCentredString(width / 2, 30, f"Seite {number} von {len(pages)}")
        pdf.setFont("Helvetica", size)
        halves = (page[: (len(page) + 1) // 2], page[(len(page) + 1) // 2 :])
        for index, half in enumerate(halves):
            x, y = margin + index * (column + gap), height - 100
            for paragraph in half:
                for line in _wrap(paragraph, column, "Helvetica", size, hyphenated):
                    pdf.drawString(x, y, line)
                    y -= leading
                y -= leading * 1.5
        pdf.showPage()
    pdf.save()
    return Pdf(buffer.getvalue(), len(pages), hyphenated)


def scanned_pdf() -> bytes:
    """Two pages of drawn shapes and no text layer, as a scan would be."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for _ in range(2):
        for row in range(30):
            pdf.rect(60, 780 - row * 22, 400 - (row % 5) * 30, 12, fill=1)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def damaged_pdf() -> bytes:
    """A PDF cut off after its header and first object."""
    data = chronicle_pdf().data
    return data[: len(data) // 5]


def encrypted_pdf() -> bytes:
    return chronicle_pdf(encrypt="geheim").data


WORD_SECTIONS = (
    (
        "Geschichte",
        (
            "Die Fähre über den Lindsee verkehrt seit 1907 zwischen Oberlind und Unterlind.",
            "Ihr erster Kapitän war Jakob Weidinger, der das Schiff 31 Jahre lang steuerte.",
        ),
    ),
    ("Fahrplan", ("Im Winter fährt die Fähre nur an Wochenenden, im Sommer stündlich von 7 bis 21 Uhr.",)),
)
WORD_TABLE = (("Jahr", "Fahrgäste"), ("2023", "81.000"), ("2024", "94.500"))


def lindsee_docx() -> bytes:
    """A Word file with a title, two headings with paragraphs under them and a table."""
    import docx

    document = docx.Document()
    document.add_heading("Die Lindsee-Fähre", level=0)
    for heading, paragraphs in WORD_SECTIONS:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    document.add_heading("Fahrgastzahlen", level=1)
    table = document.add_table(rows=0, cols=2)
    for row in WORD_TABLE:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx(unpacked_mb: int = 120) -> bytes:
    """A valid-looking Word file whose document part unpacks to ``unpacked_mb`` MB of spaces."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(lindsee_docx())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item.filename, source.read(item.filename))
        with bomb.open("word/padding.xml", "w", force_zip64=True) as fh:
            block = b" " * (1024 * 1024)
            for _ in range(unpacked_mb):
                fh.write(block)
    return buffer.getvalue()


def macro_docx() -> bytes:
    """A Word file carrying a VBA project, as a .docm does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(lindsee_docx())) as source, zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            out.writestr(item.filename, source.read(item.filename))
        out.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return buffer.getvalue()


def harbour_odt() -> bytes:
    """An OpenDocument text with a heading and two paragraphs."""
    content = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">
<office:body><office:text>
<text:h text:outline-level="1">Der Hafen von Westmünde</text:h>
<text:p>Der Hafen von Westmünde wurde 1874 eröffnet und 1960 erweitert.</text:p>
<text:p>Heute legen dort jährlich etwa <text:span>1.200</text:span> Schiffe an.</text:p>
</office:text></office:body></office:document-content>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as odt:
        odt.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        odt.writestr("content.xml", content)
    return buffer.getvalue()


def article_html(
    title: str,
    paragraphs: tuple[str, ...],
    *,
    site: str = "Lautertaler Bote",
    author: str = "Mara Lenz",
    url: str = "https://bote.example/artikel",
) -> bytes:
    """A news page: navigation, a cookie banner, the article, comments and related links."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="{site}">
<meta name="author" content="{author}"><meta name="date" content="2025-03-14">
<link rel="canonical" href="{url}"></head><body>
<nav><ul><li><a href="/">Startseite</a></li><li><a href="/politik">Politik</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<div class="cookie-banner">Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten. Akzeptieren</div>
<main><article><h1>{title}</h1>{body}</article></main>
<section class="comments" id="comments"><h2>Kommentare</h2>
<div class="comment"><p>Leserkommentar: Das glaube ich erst, wenn ich es sehe!</p></div></section>
<aside class="related"><h2>Mehr zum Thema</h2><ul><li><a href="/a">Andere Meldung eins</a></li>
<li><a href="/b">Andere Meldung zwei</a></li></ul></aside>
<footer>© 2025 {site} · Impressum · Datenschutz</footer></body></html>""".encode()


BRIDGE = (
    "Die neue Lauterbrücke in Quellenbach ist am Freitag nach drei Jahren Bauzeit für den "
    "Verkehr freigegeben worden.",
    "Die Brücke ist 240 Meter lang und hat 18 Millionen Euro gekostet, zwei Millionen mehr als geplant.",
    "Bürgermeisterin Helga Brandt nannte sie bei der Eröffnung das wichtigste Bauwerk der Stadt "
    "seit Jahrzehnten.",
)


def write_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "chronik.pdf": chronicle_pdf().data,
        "verschluesselt.pdf": encrypted_pdf(),
        "scan.pdf": scanned_pdf(),
        "kaputt.pdf": damaged_pdf(),
        "faehre.docx": lindsee_docx(),
        "bombe.docx": zip_bomb_docx(),
        "makro.docx": macro_docx(),
        "hafen.odt": harbour_odt(),
        "bruecke.html": article_html("Lauterbrücke eröffnet", BRIDGE),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)


def measure(copies: int = 50) -> None:
    """Extraction figures on ``copies`` times the chronicle (4 paragraphs a page)."""
    import time

    from index.formats import extract

    paragraphs = CHRONICLE * copies
    pdf = chronicle_pdf(paragraphs)
    started = time.perf_counter()
    found = extract(pdf.data, ".pdf")
    seconds = time.perf_counter() - started
    parts = found.text.split("\n\n")
    expected = [p.replace("\u00ad", "") for p in paragraphs]
    print(f"PDF: {pdf.pages} pages, {len(pdf.data) // 1024} KB, read in {seconds:.2f} s "
          f"({pdf.pages / seconds:.0f} pages/s)")
    print(f"paragraphs: {len(parts)} of {len(expected)}, in reading order: {parts == expected}")
    print(f"running headers left: {sum(HEADER in p for p in parts)} of {pdf.pages}; "
          f"page numbers left: {sum('Seite' in p for p in parts)} of {pdf.pages}")
    whole = sum(word in found.text for word in pdf.hyphenated)
    print(f"words hyphenated at line ends: {len(pdf.hyphenated)}, rejoined: {whole}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        measure()
    else:
        write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "fixture-documents"))

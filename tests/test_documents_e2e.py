"""Real documents end to end: the Application over HTTP against the Bot API stand-in, an admin
uploading PDF and Word files and sending links (served on 127.0.0.1), users asking about them.
Each bad file and bad link gets its reason and leaves the corpus as it was."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import documents as fixtures
from support.botapi import BotApi, Call, settled
from support.botrun import serve, settings_for
from support.webserver import Site, serving

ADMIN, ALICE = 1001, 2002
_files = itertools.count(1)


@pytest.fixture
def site() -> Iterator[Site]:
    with serving() as running:
        running.pages["/bruecke"] = (
            "text/html; charset=utf-8",
            fixtures.article_html("Lauterbrücke eröffnet", fixtures.BRIDGE),
        )
        running.pages["/logo.png"] = ("image/png", b"\x89PNG\r\n\x1a\n")
        yield running


@pytest.fixture
async def app(bot_api: BotApi, corpus_dir: Path, tmp_path: Path) -> AsyncIterator[Any]:
    settings = settings_for(
        bot_api,
        corpus_dir,
        tmp_path / "data",
        ADMIN,
        threshold=0.0,
        allow_private_urls=True,
        progress_seconds=0.0,
    )
    async with serve(settings) as application:
        yield application


def corpus(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def upload(api: BotApi, data: bytes, name: str, caption: str | None = None, user: int = ADMIN) -> None:
    file_id = api.add_file(data, f"upload-{next(_files)}.bin")
    document = {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "file_size": len(data)}
    api.message(user, document=document, **({"caption": caption} if caption else {}))


async def outcome(api: BotApi, chat: int = ADMIN) -> Call:
    """The final text of the admin's status message."""
    return await api.next_matching("editMessageText", chat, settled)


async def ask(api: BotApi, text: str, user: int = ALICE) -> Call:
    api.text(user, text, language_code="en")
    (call,) = await api.next_calls("sendMessage", user)
    return call


async def test_a_pdf_upload_is_answered_from_with_its_page_and_context(
    bot_api: BotApi, app: Any, corpus_dir: Path
) -> None:
    upload(
        bot_api,
        fixtures.chronicle_pdf().data,
        "Chronik 2025.pdf",
        caption="Quellenbacher Chronik https://chronik.example/2025",
    )
    (status,) = await bot_api.next_calls("sendMessage", ADMIN)
    assert status.plain == "Reading Chronik 2025.pdf…"
    added = await outcome(bot_api)
    assert added.params["message_id"] == status.result["message_id"]
    assert added.plain.startswith("Added “Quellenbacher Chronik” (id chronik-2025) with 8 passages")
    assert "PDF · 2 pages · de · 8 passages" in added.plain and "https://chronik.example/2025" in added.plain
    assert "chronik-2025.pdf" in corpus(corpus_dir)
    answer = await ask(bot_api, "Wann zerstörte ein Hochwasser die Pumpstation?")
    assert "Im Sommer 1921 zerstörte ein Hochwasser" in answer.plain
    assert "Quellenbacher Chronik, page 1, paragraph 2" in answer.plain
    bot_api.press(ALICE, answer.buttons["Show context"], answer.message)
    (context,) = await bot_api.next_calls("sendMessage", ALICE)
    paragraphs = [p.replace("\u00ad", "") for p in fixtures.CHRONICLE]
    assert paragraphs[0] in context.plain and paragraphs[2] in context.plain  # before and after
    assert context.plain.endswith("Quellenbacher Chronik, page 1, paragraph 2 · chronik.example")


async def test_a_word_upload_cites_its_section(bot_api: BotApi, app: Any) -> None:
    upload(bot_api, fixtures.lindsee_docx(), "faehre.docx")
    added = await outcome(bot_api)
    assert added.plain.startswith("Added “Die Lindsee-Fähre” (id faehre) with 5 passages")
    answer = await ask(bot_api, "Wer war der erste Kapitän der Fähre?")
    assert "Jakob Weidinger" in answer.plain and "Geschichte, paragraph 2" in answer.plain


@pytest.mark.parametrize(
    ("make", "name", "reason"),
    [
        (fixtures.encrypted_pdf, "geheim.pdf", "encrypted PDF: it needs a password"),
        (fixtures.scanned_pdf, "scan.pdf", "scanned PDF — no text to read; OCR is not supported"),
        (fixtures.damaged_pdf, "kaputt.pdf", "damaged PDF"),
        (fixtures.zip_bomb_docx, "bombe.docx", "a zip bomb?"),
        (fixtures.macro_docx, "makro.docx", "contains macros"),
        (fixtures.lindsee_docx, "makro.docm", "macro-enabled Word files are refused"),
    ],
)
async def test_bad_files_are_refused_with_their_reason_and_nothing_is_stored(
    bot_api: BotApi, app: Any, corpus_dir: Path, make: Any, name: str, reason: str
) -> None:
    before = corpus(corpus_dir)
    upload(bot_api, make(), name)
    refused = await outcome(bot_api)
    assert refused.plain.startswith(f"I could not add {name}: ") and reason in refused.plain
    assert corpus(corpus_dir) == before
    assert len(await app.bot_data.engine.documents()) == 1


async def test_a_link_sent_by_an_admin_is_added_and_answered_from(
    bot_api: BotApi, app: Any, site: Site
) -> None:
    bot_api.text(ADMIN, site.url + "/bruecke", language_code="en")
    (status,) = await bot_api.next_calls("sendMessage", ADMIN)
    assert status.plain == f"Fetching {site.url}/bruecke…"
    added = await outcome(bot_api)
    assert added.plain.startswith("Added “Lauterbrücke eröffnet” (id lauterbrucke-eroffnet) with 3 passages")
    assert "link · de · 3 passages" in added.plain and "https://bote.example/artikel" in added.plain
    answer = await ask(bot_api, "Wie viele Meter lang ist die Brücke, und was hat sie gekostet?")
    assert "240 Meter" in answer.plain and "Lautertaler Bote" in answer.plain


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "the server answered 404"),
        ("/logo.png", "the server sent image/png"),
        ("/hops/9", "too many redirects"),
    ],
)
async def test_bad_links_are_refused_with_their_reason(
    bot_api: BotApi, app: Any, site: Site, corpus_dir: Path, path: str, reason: str
) -> None:
    before = corpus(corpus_dir)
    bot_api.text(ADMIN, f"/add {site.url}{path}", language_code="en")
    refused = await outcome(bot_api)
    assert refused.plain.startswith(f"I could not add {site.url}{path}: ") and reason in refused.plain
    assert corpus(corpus_dir) == before


async def test_a_link_from_a_user_is_a_question_not_a_fetch(bot_api: BotApi, app: Any, site: Site) -> None:
    reply = await ask(bot_api, site.url + "/bruecke")
    assert not reply.plain.startswith(("Fetching", "Added"))
    bot_api.text(ALICE, f"/add {site.url}/bruecke", language_code="en")
    (refused,) = await bot_api.next_calls("sendMessage", ALICE)
    assert refused.plain == "Sorry, only admins may use /add."
    assert site.requests == []


async def test_sources_show_type_pages_and_remove_buttons_to_admins_only(bot_api: BotApi, app: Any) -> None:
    upload(bot_api, fixtures.chronicle_pdf().data, "chronik.pdf")
    await bot_api.next_calls("sendMessage", ADMIN)  # the status message
    await outcome(bot_api)
    bot_api.text(ALICE, "/sources", language_code="en")
    (listing,) = await bot_api.next_calls("sendMessage", ALICE)
    assert "chronik · PDF · 2 pages · de · 8 passages" in listing.plain
    assert "reply_markup" not in listing.params
    bot_api.text(ADMIN, "/sources", language_code="en")
    (admin_listing,) = await bot_api.next_calls("sendMessage", ADMIN)
    remove = admin_listing.buttons["🗑 Remove Chronik"]
    bot_api.press(ALICE, remove, {**admin_listing.message, "chat": {"id": ALICE, "type": "private"}})
    (answered,) = await bot_api.next_calls("answerCallbackQuery")
    assert answered.params["show_alert"] is True  # not hers: refused
    bot_api.press(ADMIN, remove, admin_listing.message)
    (confirm,) = await bot_api.next_calls("sendMessage", ADMIN)
    assert confirm.plain.startswith("Remove “Chronik” (id chronik, 8 passages)")

"""Documents added by link and kept current: the engine with the fake embedder, sites on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from support import documents as fixtures
from support.fakes import FakeEmbedder
from support.webserver import Site, serving

from index import DocumentError, Engine, IndexConfig
from index.documents import read_metadata

HTML = "text/html; charset=utf-8"


@pytest.fixture
def site() -> Iterator[Site]:
    with serving() as running:
        running.pages["/bruecke"] = (HTML, fixtures.article_html("Lauterbrücke eröffnet", fixtures.BRIDGE))
        running.pages["/chronik.pdf"] = ("application/pdf", fixtures.chronicle_pdf().data)
        yield running


@pytest.fixture
async def linked(engine_config: IndexConfig, fake_embedder: FakeEmbedder) -> AsyncIterator[Engine]:
    config = dataclasses.replace(engine_config, allow_private_urls=True, threshold=0.0)
    opened = await Engine.open(config, fake_embedder)
    yield opened
    await opened.close()


def corpus_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


async def test_a_link_is_fetched_read_stored_and_answered_from(linked: Engine, site: Site) -> None:
    document, report = await linked.add_link(site.url + "/bruecke")
    assert (document.kind, document.title, document.source) == (
        "link",
        "Lauterbrücke eröffnet",
        "Lautertaler Bote",
    )
    assert document.url == "https://bote.example/artikel" and document.author == "Mara Lenz"
    assert document.language == "de" and document.passages == 3 and report.documents == 2
    meta = read_metadata(linked.config.corpus_dir / document.path)
    assert meta["link"] == site.url + "/bruecke" and meta["etag"] == site.etag("/bruecke")
    answer = await linked.ask("Wie viele Meter lang ist die Brücke, und was hat sie gekostet?")
    assert answer.hits[0].doc_id == document.id and "240 Meter" in answer.hits[0].text


async def test_a_pdf_link_cites_its_pages(linked: Engine, site: Site) -> None:
    document, _ = await linked.add_link(site.url + "/chronik.pdf")
    assert (document.kind, document.pages) == ("link", 2)
    answer = await linked.ask("Wann erschien die Festschrift zum Jubiläum?")
    top = answer.hits[0]
    assert (top.doc_id, top.page, top.on_page) == (document.id, 2, 4)


async def test_a_link_already_added_or_failing_adds_nothing(linked: Engine, site: Site) -> None:
    await linked.add_link(site.url + "/bruecke")
    before = corpus_files(linked.config.corpus_dir)
    with pytest.raises(DocumentError, match="this link is already a document"):
        await linked.add_link(site.url + "/bruecke")
    for path, reason in (("/missing", "404"), ("/broken", "500")):
        with pytest.raises(DocumentError, match=reason):
            await linked.add_link(site.url + path)
    assert corpus_files(linked.config.corpus_dir) == before


async def test_reload_revalidates_links_and_updates_only_what_changed(linked: Engine, site: Site) -> None:
    bridge, _ = await linked.add_link(site.url + "/bruecke")
    chronicle, _ = await linked.add_link(site.url + "/chronik.pdf")
    site.requests.clear()
    report = await linked.reload()
    assert report.links is not None and (report.links.unchanged, report.links.updated) == (2, 0)
    assert {etag for _, etag in site.requests} == {site.etag("/bruecke"), site.etag("/chronik.pdf")}
    assert report.changed == 0
    changed = (*fixtures.BRIDGE[:1], "Die Brücke ist 260 Meter lang; die Stadt hatte sich vermessen.")
    site.pages["/bruecke"] = (HTML, fixtures.article_html("Lauterbrücke eröffnet", changed))
    report = await linked.reload()
    assert report.links is not None and (report.links.unchanged, report.links.updated) == (1, 1)
    assert report.changed == 1
    answer = await linked.ask("Wie viele Meter lang ist die Brücke?")
    assert answer.hits[0].doc_id == bridge.id and "260 Meter" in answer.hits[0].text
    assert chronicle.id in {d.id for d in await linked.documents()}


async def test_a_link_that_fails_on_reload_keeps_its_old_text(linked: Engine, site: Site) -> None:
    bridge, _ = await linked.add_link(site.url + "/bruecke")
    stored = (linked.config.corpus_dir / bridge.path).read_bytes()
    site.redirects["/bruecke"] = "/broken"
    report = await linked.reload()
    assert report.links is not None and report.links.updated == 0
    assert report.links.failed == ((bridge.id, "the server answered 500 Internal Server Error"),)
    assert (linked.config.corpus_dir / bridge.path).read_bytes() == stored
    answer = await linked.ask("Wie viele Meter lang ist die Brücke, und was hat sie gekostet?")
    assert answer.hits[0].doc_id == bridge.id and "240 Meter" in answer.hits[0].text


async def test_a_link_is_refused_when_private_addresses_are_not_allowed(
    engine_config: IndexConfig, fake_embedder: FakeEmbedder, site: Site
) -> None:
    opened = await Engine.open(engine_config, fake_embedder)
    try:
        before = corpus_files(engine_config.corpus_dir)
        with pytest.raises(DocumentError, match="private or local address"):
            await opened.add_link(site.url + "/bruecke")
        assert corpus_files(engine_config.corpus_dir) == before and site.requests == []
    finally:
        await opened.close()

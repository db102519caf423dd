"""Fetching links: only public addresses (every redirect checked), bounded, typed, conditional.

A web server on 127.0.0.1 (``support/webserver.py``) plays the sites. Loopback is private, so
tests that need to reach it pass ``allow_private`` or a ``permit`` that lets exactly 127.0.0.1
through and nothing else, which is how a redirect to a private address is shown to be refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from support import documents as fixtures
from support.webserver import Site, serving

from index.errors import DocumentError
from index.fetch import check_url, fetch, is_public

ONLY_THE_TEST_SERVER = ipaddress.ip_address("127.0.0.1")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def site() -> Iterator[Site]:
    with serving() as running:
        running.pages["/article"] = (
            "text/html; charset=utf-8",
            fixtures.article_html("Lauterbrücke eröffnet", fixtures.BRIDGE),
        )
        running.pages["/report.pdf"] = ("application/pdf", fixtures.chronicle_pdf().data)
        running.pages["/faehre.docx"] = (DOCX, fixtures.lindsee_docx())
        running.pages["/logo.png"] = ("image/png", b"\x89PNG\r\n\x1a\n")
        yield running


async def get(site: Site, path: str, **options: object):  # noqa: ANN201
    settings: dict = {
        "max_bytes": 2_000_000,
        "read_timeout": 2.0,
        "total_seconds": 10.0,
        "permit": lambda address: address == ONLY_THE_TEST_SERVER,
        **options,
    }
    return await fetch(site.url + path, **settings)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("::1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.7", False),
        ("172.16.4.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),
        ("fc00::1", False),
        ("224.0.0.251", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
        ("2002:5db8:d822::", True),
        ("192.0.2.10", False),
        ("198.18.0.1", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/file.pdf", "only http:// and https:// links"),
        ("file:///etc/passwd", "only http:// and https:// links"),
        ("javascript:alert(1)", "only http:// and https:// links"),
        ("http://user:secret@example.org/", "user name or password"),
        ("http:///nohost", "no host name"),
        ("http://[not-ip]/", "not a valid link"),
    ],
)
def test_links_that_are_not_plain_web_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        check_url(url)


async def test_a_link_to_a_loopback_address_is_refused_without_a_request(site: Site) -> None:
    with pytest.raises(DocumentError, match=r"refused: 127.0.0.1 is a private or local address"):
        await fetch(site.url + "/article", max_bytes=10_000, read_timeout=1, total_seconds=5)
    assert site.requests == []


async def test_a_host_name_is_refused_when_any_of_its_addresses_is_private(site: Site) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    with pytest.raises(DocumentError, match=r"intranet.example is a private or local address \(10.1.2.3\)"):
        await fetch(
            "http://intranet.example/", max_bytes=100, read_timeout=1, total_seconds=5, resolve=resolver
        )


async def test_an_international_domain_name_is_resolved_in_its_ascii_form() -> None:
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    with pytest.raises(DocumentError, match="private or local"):
        await fetch(
            "https://bücher.example/", max_bytes=100, read_timeout=1, total_seconds=5, resolve=resolver
        )
    assert asked == ["xn--bcher-kva.example"]


@pytest.mark.parametrize(
    "target",
    [
        "http://10.1.2.3/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://127.0.0.2/",
        "http://[::ffff:127.0.0.1]/",
        "ftp://example.org/",
        "http://u:p@127.0.0.1/",
    ],
)
async def test_a_redirect_to_a_private_address_or_another_scheme_is_refused(site: Site, target: str) -> None:
    site.redirects["/away"] = target
    with pytest.raises(DocumentError, match="private or local|only http|user name"):
        await get(site, "/away")
    assert [path for path, _ in site.requests] == ["/away"]


async def test_redirects_are_followed_up_to_five(site: Site) -> None:
    fetched = await get(site, "/hops/4")
    assert fetched.url == site.url + "/article" and fetched.suffix == ".html"
    assert b"Lauterbr" in fetched.data
    with pytest.raises(DocumentError, match=r"too many redirects \(more than 5\)"):
        await get(site, "/hops/5")


@pytest.mark.parametrize(
    ("path", "options", "reason"),
    [
        ("/missing", {}, "the server answered 404 Not Found"),
        ("/broken", {}, "the server answered 500 Internal Server Error"),
        ("/silent", {"read_timeout": 0.3}, "no answer from 127.0.0.1 within 0.3 s"),
        ("/endless", {"max_bytes": 500_000}, "too large: more than 500000 bytes, stopped"),
        ("/article", {"max_bytes": 100}, r"too large: \d+ bytes, limit 100"),
        ("/logo.png", {}, "not a web page or document: the server sent image/png"),
    ],
)
async def test_bad_answers_are_refused_with_the_reason(
    site: Site, path: str, options: dict, reason: str
) -> None:
    with pytest.raises(DocumentError, match=reason):
        await get(site, path, **options)


async def test_pdf_and_word_links_are_typed_by_their_content_type(site: Site) -> None:
    assert (await get(site, "/report.pdf")).suffix == ".pdf"
    assert (await get(site, "/faehre.docx")).suffix == ".docx"


async def test_a_conditional_request_with_the_etag_gets_not_modified(site: Site) -> None:
    first = await get(site, "/article")
    assert first.etag and not first.not_modified
    again = await get(site, "/article", etag=first.etag)
    assert again.not_modified and again.data == b""
    assert site.requests[-1] == ("/article", first.etag)

"""Fetching a link safely: public addresses only, bounded in time, size, redirects and types.

Every hop (the link and each redirect, at most ``MAX_REDIRECTS``) is checked before it is asked:
only ``http`` and ``https``, no user name or password in the link, and the host name (IDN names
in their ASCII form) resolved here, refused if any of its addresses is loopback, private,
link-local (cloud metadata at 169.254.169.254 among them), multicast, reserved or otherwise not
global, IPv4-mapped and 6to4 IPv6 addresses judged by the IPv4 address inside. The request then
goes to the address that was checked (the name is kept for ``Host`` and TLS), so a second DNS
answer cannot point it elsewhere. The body is streamed and stopped at ``max_bytes``; only web
pages, PDF and Word/OpenDocument files are accepted. ``allow_private`` (tests, intranets) lifts
the address check and nothing else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from .errors import DocumentError

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
ACCEPTED = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.oasis.opendocument.text": ".odt",
}
USER_AGENT = "story-bot/1.0 (+document fetcher)"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class Fetched:
    """What a link gave: the body and what the server said about it."""

    url: str  # the address the body came from, after redirects
    suffix: str  # the document type it is read as (``.html``, ``.pdf`` ...)
    data: bytes
    charset: str | None = None
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False  # 304: the copy we have is current


def is_public(address: Address) -> bool:
    """True for an address on the public internet: global unicast, not reserved."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, from the system's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str) -> httpx.URL:
    """``url`` parsed, if it may be fetched at all (scheme, host, no credentials)."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise DocumentError(f"not a valid link: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise DocumentError(f"only http:// and https:// links can be added, not {parsed.scheme or 'this'}")
    if not parsed.host:
        raise DocumentError("the link has no host name")
    if parsed.userinfo:
        raise DocumentError("links with a user name or password are refused")
    return parsed


async def pinned_address(url: httpx.URL, resolve: Resolver, permit: Callable[[Address], bool]) -> str:
    """The address to connect to for ``url``, once every address of its host passed the check."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = await resolve(host.strip("[]"), port)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise DocumentError(f"cannot find the host {url.host}: {reason}") from None
    if not addresses:
        raise DocumentError(f"cannot find the host {url.host}")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if not permit(address):
            raise DocumentError(f"refused: {url.host} is a private or local address ({address})")
    return addresses[0]


def _media_type(response: httpx.Response) -> tuple[str, str | None]:
    value = response.headers.get("content-type", "")
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip('"') or None
    return media.strip().lower(), charset


async def fetch(
    url: str, *, max_bytes: int, read_timeout: float, total_seconds: float, allow_private: bool = False,
    etag: str = "", last_modified: str = "", resolve: Resolver = system_resolve,
    permit: Callable[[Address], bool] | None = None,
) -> Fetched:
    """Fetch ``url`` under the rules above; ``DocumentError`` names the rule it broke. ``permit``
    decides which addresses may be reached (default: public ones, or any with ``allow_private``)."""
    allowed = permit or ((lambda _: True) if allow_private else is_public)
    try:
        async with asyncio.timeout(total_seconds):
            return await _fetch(url, max_bytes, read_timeout, allowed, etag, last_modified, resolve)
    except TimeoutError:
        raise DocumentError(f"the server took longer than {total_seconds:g} s") from None


async def _fetch(url: str, max_bytes: int, read_timeout: float, permit: Callable[[Address], bool],
                 etag: str, last_modified: str, resolve: Resolver) -> Fetched:
    current = check_url(url)
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(ACCEPTED)}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    limits = httpx.Timeout(read_timeout)
    async with httpx.AsyncClient(timeout=limits, follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            address = await pinned_address(current, resolve, permit)
            target = current.copy_with(host=address)
            host = {"Host": current.netloc.decode("ascii")}
            request = client.build_request("GET", target, headers={**headers, **host})
            if current.scheme == "https":
                request.extensions["sni_hostname"] = current.raw_host.decode("ascii")
            try:
                response = await client.send(request, stream=True)
            except httpx.TimeoutException:
                raise DocumentError(f"no answer from {current.host} within {read_timeout:g} s") from None
            except httpx.HTTPError as exc:
                why = f"{type(exc).__name__}: {exc}"[:160]
                raise DocumentError(f"cannot fetch {current.host}: {why}") from None
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    current = check_url(str(current.join(response.headers["location"])))
                    continue
                return await _body(response, str(current), max_bytes, read_timeout)
            finally:
                await response.aclose()
    raise DocumentError(f"too many redirects (more than {MAX_REDIRECTS})")


async def _body(response: httpx.Response, url: str, max_bytes: int, read_timeout: float) -> Fetched:
    if response.status_code == 304:
        return Fetched(url, "", b"", not_modified=True)
    if response.status_code >= 400:
        raise DocumentError(f"the server answered {response.status_code} {response.reason_phrase}".strip())
    if response.status_code != 200:
        raise DocumentError(f"unexpected answer {response.status_code} {response.reason_phrase}".strip())
    media, charset = _media_type(response)
    suffix = ACCEPTED.get(media)
    if suffix is None:
        raise DocumentError(f"not a web page or document: the server sent {media or 'no content type'}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise DocumentError(f"too large: {int(declared)} bytes, limit {max_bytes}")
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise DocumentError(f"too large: more than {max_bytes} bytes, stopped")
    except httpx.TimeoutException:
        raise DocumentError(f"the server stopped sending for more than {read_timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise DocumentError(f"the download broke off: {type(exc).__name__}") from None
    return Fetched(url, suffix, bytes(body), charset, response.headers.get("etag", ""),
                   response.headers.get("last-modified", ""))

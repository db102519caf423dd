"""Documents added by link: fetched (``fetch.py``), read, stored in the corpus, and kept current.

A link document is an ordinary corpus file (``.html``, ``.pdf`` ...) whose sidecar also holds the
``link`` it came from and the server's ``etag`` / ``last_modified``. ``resync`` asks each link's
server again with those (a conditional request): an unchanged page costs one 304, a changed one
replaces the file, and a failure leaves the old text serving, with the reason reported.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

import httpx

from .concurrency import run_sync
from .config import IndexConfig
from .documents import SourceText, load_corpus, read_metadata, source_text, store_document
from .errors import DocumentError
from .fetch import Fetched, fetch
from .formats import Progress, extract
from .models import LinkSync

log = logging.getLogger(__name__)


async def download(config: IndexConfig, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """``url`` fetched under the configured limits."""
    return await fetch(
        url, max_bytes=config.max_document_bytes, read_timeout=config.fetch_timeout,
        total_seconds=config.fetch_seconds, allow_private=config.allow_private_urls,
        etag=etag, last_modified=last_modified,
    )


def _stem(title: str, url: str) -> str:
    parsed = httpx.URL(url)
    for candidate in (title, f"{parsed.host} {parsed.path}"):
        ascii_text = unicodedata.normalize("NFKD", candidate).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
        if slug:
            return slug
    return "link"


def _extra(link: str, fetched: Fetched) -> dict[str, str]:
    return {"link": link, "etag": fetched.etag, "last_modified": fetched.last_modified}


def _read(fetched: Fetched, name: str, link: str, config: IndexConfig,
          progress: Progress | None) -> SourceText:
    found = extract(fetched.data, fetched.suffix, limits=config.limits(), progress=progress,
                    charset=fetched.charset)
    return source_text(name, found, {"link": link})


def store_link(config: IndexConfig, link: str, fetched: Fetched, progress: Progress | None = None) -> Path:
    """Read a fetched link and store it as a new corpus document; ``DocumentError`` if it cannot."""
    folder = config.corpus_dir
    if folder.is_dir():
        for existing in load_corpus(folder, config.limits())[0]:
            if existing.link == link:
                raise DocumentError(f"this link is already a document: {existing.id} ({existing.title})")
    doc = _read(fetched, f"link{fetched.suffix}", link, config, progress)
    return store_document(folder, _stem(doc.title, fetched.url), fetched.suffix, fetched.data, doc,
                          _extra(link, fetched))


async def resync(config: IndexConfig) -> LinkSync:
    """Fetch every link document again; replace those that changed. Never raises for one link."""
    folder = config.corpus_dir
    sources, _ = await run_sync(load_corpus, folder, config.limits())
    unchanged = updated = 0
    failed: list[tuple[str, str]] = []
    for source in (s for s in sources if s.link):
        try:
            if await _resync_one(config, folder / source.path, source):
                updated += 1
            else:
                unchanged += 1
        except DocumentError as exc:
            log.warning("link %s (%s) not refreshed, the old text stays: %s", source.id, source.link, exc)
            failed.append((source.id, str(exc)))
    return LinkSync(unchanged, updated, tuple(failed))


async def _resync_one(config: IndexConfig, path: Path, source: SourceText) -> bool:
    """True if the document changed and was replaced."""
    meta = await run_sync(read_metadata, path)
    fetched = await download(config, source.link, etag=meta.get("etag", ""),
                             last_modified=meta.get("last_modified", ""))
    if fetched.not_modified:
        return False
    fresh = await run_sync(_read, fetched, path.stem + fetched.suffix, source.link, config, None)
    if fresh.sha256 == source.sha256:
        return False
    target = await run_sync(store_document, path.parent, path.stem, fetched.suffix, fetched.data, fresh,
                            _extra(source.link, fetched), replace=True)
    if target != path:  # the link now serves another type (a page became a PDF)
        await run_sync(path.unlink, missing_ok=True)
    log.info("link %s (%s) changed and was re-read", source.id, source.link)
    return True

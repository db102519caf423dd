"""Bot settings: ``config.toml``'s ``[bot]`` table and the environment, plus the index settings.

Environment over file over default:

    TELEGRAM_BOT_TOKEN     the bot's token (environment only; never logged, hidden from repr)
    TELEGRAM_API_BASE_URL  the Bot API server, e.g. http://127.0.0.1:8081/bot for a local one
    BOT_ADMIN_IDS          comma-separated numeric Telegram user ids, added to [bot] admin_ids
    CORPUS_DIR, DATA_DIR, EMBEDDING_MODEL, MODEL_CACHE   see ``index.config``

A missing or malformed value raises ``ConfigError`` naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index import ConfigError, IndexConfig, index_config, load_toml
from index.config import DEFAULT_CONFIG, Section, from_environment, integer, number

from .database import redact
from .webhook import WebhookSettings, webhook_settings

TELEGRAM_API = "https://api.telegram.org/bot"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class BotSettings:
    """Everything the bot needs to start; ``token`` is "" when no token is set."""

    index: IndexConfig
    token: str = field(default="", repr=False)
    api_base_url: str = TELEGRAM_API  # ends in "/bot"; the token is appended by the client
    admin_ids: frozenset[int] = frozenset()
    questions_per_minute: int = 20
    max_upload_bytes: int = 20 * 1024 * 1024  # Telegram lets bots download at most 20 MB
    progress_seconds: float = 3.0  # a status message is edited at most this often
    follow_up_seconds: float = 600.0  # a private question may lean on the one asked this recently
    webhook: WebhookSettings = WebhookSettings()  # for ``python -m bot run --webhook``
    store_url: str = field(default="", repr=False)  # [store] url: PostgreSQL for the query log; "": SQLite

    @property
    def base_url(self) -> str:
        """The Bot API method URL prefix, as python-telegram-bot's ``base_url`` takes it."""
        return self.api_base_url

    @property
    def base_file_url(self) -> str:
        """The file download URL prefix: ".../bot" becomes ".../file/bot"."""
        return self.api_base_url[: -len("/bot")] + "/file/bot"

    def require_token(self) -> str:
        """The token, or ``ConfigError`` naming TELEGRAM_BOT_TOKEN if none is set."""
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export it")
        return self.token

    def is_admin(self, user_id: int | None) -> bool:
        """True if the numeric Telegram user id belongs to an admin."""
        return user_id is not None and user_id in self.admin_ids


def parse_token(value: Any, where: str) -> str:
    """A token of the form ``<digits>:<secret>``; the error never repeats the value."""
    value = str(value).strip()
    if value and not _TOKEN.match(value):
        raise ConfigError(f"{where} is malformed: expected <bot id>:<secret> from @BotFather")
    return value


def parse_base_url(value: Any, where: str) -> str:
    """An http(s) Bot API URL ending in "/bot" (appended when missing)."""
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a URL string, got {value!r}")
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{where} must be an http(s) URL like {TELEGRAM_API}, got {value!r}")
    return url if url.endswith("/bot") else url + "/bot"


def parse_admin_ids(value: Any, where: str) -> frozenset[int]:
    """Numeric Telegram user ids from a TOML list or a comma-separated string (environment)."""
    if isinstance(value, str) and from_environment(where):
        items: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise ConfigError(f"{where} must be a list of numeric Telegram user ids, got {value!r}")
    ids = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and item > 0:
            ids.add(item)
        elif isinstance(item, str) and item.strip().isdigit() and item.strip().isascii():
            ids.add(int(item))
        else:
            raise ConfigError(f"{where} must be numeric Telegram user ids (comma-separated), got {item!r}")
    return frozenset(ids)


def parse_store_url(value: Any, where: str) -> str:
    """Empty (SQLite in the data folder) or a ``postgresql://`` URL."""
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a postgresql:// URL or empty")
    url = value.strip()
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{where} must be a postgresql:// URL or empty, got {redact(url)!r}")
    return url


def bot_settings(section: Section, index: IndexConfig) -> BotSettings:
    """The ``[bot]`` settings (webhook keys included) from a section of the config file."""
    d, none = BotSettings, frozenset[int]()
    admins = section.value("admin_ids", parse_admin_ids, none)
    settings = BotSettings(
        index=index,
        token=section.value("token", parse_token, "", env="TELEGRAM_BOT_TOKEN", in_file=False),
        api_base_url=section.value("api_base_url", parse_base_url, TELEGRAM_API, env="TELEGRAM_API_BASE_URL"),
        admin_ids=admins | section.from_env("BOT_ADMIN_IDS", parse_admin_ids, none),
        questions_per_minute=section.value("questions_per_minute", integer(1), d.questions_per_minute),
        max_upload_bytes=section.value("max_upload_bytes", integer(1), d.max_upload_bytes),
        progress_seconds=section.value("progress_seconds", number(0.0, 600.0), d.progress_seconds),
        follow_up_seconds=section.value("follow_up_seconds", number(0.0, 86400.0), d.follow_up_seconds),
        webhook=webhook_settings(section),
    )
    section.finish()
    return settings


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> BotSettings:
    """Read ``config.toml`` (or ``path``) and the environment into ``BotSettings``."""
    path = path or DEFAULT_CONFIG
    data = load_toml(path)
    index = index_config(data.get("index", {}), env, base=path.resolve().parent)
    settings = bot_settings(Section("bot", data.get("bot", {}), env, path.resolve().parent), index)
    store = Section("store", data.get("store", {}), env, path.resolve().parent)
    url = store.value("url", parse_store_url, "", env="DATABASE_URL")
    store.finish()
    return replace(settings, store_url=url)

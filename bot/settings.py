"""Bot settings: ``config.toml``'s ``[bot]`` table and the environment, plus the index settings.

Environment over file over default:

    TELEGRAM_BOT_TOKEN     the bot's token (environment only; never logged, hidden from repr)
    TELEGRAM_API_BASE_URL  the Bot API server, e.g. http://127.0.0.1:8081/bot for a local one
    BOT_ADMIN_IDS          comma-separated numeric Telegram user ids, added to [bot] admin_ids
    CORPUS_DIR, DATA_DIR, EMBEDDING_MODEL, MODEL_CACHE   see ``index.config``

A missing or malformed value raises ``ConfigError`` naming the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index import ConfigError, IndexConfig, index_config, load_toml
from index.config import DEFAULT_CONFIG

from .webhook import KEYS as WEBHOOK_KEYS
from .webhook import WebhookSettings, webhook_settings

TELEGRAM_API = "https://api.telegram.org/bot"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_INTS = {"questions_per_minute": 20, "max_upload_bytes": 2 * 1024 * 1024}


@dataclass(frozen=True)
class BotSettings:
    """Everything the bot needs to start; ``token`` is "" when no token is set."""

    index: IndexConfig
    token: str = field(default="", repr=False)
    api_base_url: str = TELEGRAM_API  # ends in "/bot"; the token is appended by the client
    admin_ids: frozenset[int] = frozenset()
    questions_per_minute: int = 20
    max_upload_bytes: int = 2 * 1024 * 1024
    webhook: WebhookSettings = WebhookSettings()  # for ``python -m bot run --webhook``

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


def parse_token(value: str) -> str:
    """A token of the form ``<digits>:<secret>``; the error never repeats the value."""
    value = value.strip()
    if value and not _TOKEN.match(value):
        raise ConfigError("TELEGRAM_BOT_TOKEN is malformed: expected <bot id>:<secret> from @BotFather")
    return value


def parse_base_url(value: str, key: str) -> str:
    """An http(s) Bot API URL ending in "/bot" (appended when missing)."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{key} must be an http(s) URL like {TELEGRAM_API}, got {value!r}")
    return url if url.endswith("/bot") else url + "/bot"


def parse_admin_ids(value: Any, key: str) -> frozenset[int]:
    """Numeric Telegram user ids from a TOML list or a comma-separated string."""
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise ConfigError(f"{key} must be a list of numeric Telegram user ids, got {value!r}")
    ids = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and item > 0:
            ids.add(item)
        elif isinstance(item, str) and item.strip().isdigit() and item.strip().isascii():
            ids.add(int(item))
        else:
            raise ConfigError(f"{key} must be numeric Telegram user ids (comma-separated), got {item!r}")
    return frozenset(ids)


def bot_settings(
    table: Mapping[str, Any] | None, index: IndexConfig, env: Mapping[str, str] | None = None
) -> BotSettings:
    """Build the settings from a ``[bot]`` table, the index settings and the environment."""
    table = dict(table or {})
    env = os.environ if env is None else env
    if "token" in table:
        raise ConfigError("[bot] token must not be in the config file: set TELEGRAM_BOT_TOKEN")
    unknown = set(table) - {"api_base_url", "admin_ids", *_INTS, *WEBHOOK_KEYS}
    if unknown:
        raise ConfigError(f"[bot] unknown setting(s): {', '.join(sorted(unknown))}")
    if not isinstance(table.get("admin_ids", []), list):
        value = table["admin_ids"]
        raise ConfigError(f"[bot] admin_ids must be a list of numeric Telegram user ids, got {value!r}")
    base_url = TELEGRAM_API
    if "api_base_url" in table:
        if not isinstance(table["api_base_url"], str):
            raise ConfigError(f"[bot] api_base_url must be a URL string, got {table['api_base_url']!r}")
        base_url = parse_base_url(table["api_base_url"], "[bot] api_base_url")
    if env.get("TELEGRAM_API_BASE_URL", "").strip():
        base_url = parse_base_url(env["TELEGRAM_API_BASE_URL"], "TELEGRAM_API_BASE_URL")
    admins = parse_admin_ids(table.get("admin_ids", []), "[bot] admin_ids")
    admins |= parse_admin_ids(env.get("BOT_ADMIN_IDS", ""), "BOT_ADMIN_IDS")
    numbers = {}
    for key, default in _INTS.items():
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"[bot] {key} must be a positive integer, got {value!r}")
        numbers[key] = value
    return BotSettings(
        index=index,
        token=parse_token(env.get("TELEGRAM_BOT_TOKEN", "")),
        api_base_url=base_url,
        admin_ids=admins,
        webhook=webhook_settings(table, env),
        **numbers,
    )


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> BotSettings:
    """Read ``config.toml`` (or ``path``) and the environment into ``BotSettings``."""
    path = path or DEFAULT_CONFIG
    data = load_toml(path)
    for name in ("index", "bot"):
        if not isinstance(data.get(name, {}), dict):
            raise ConfigError(f"[{name}] must be a table")
    index = index_config(data.get("index", {}), env, base=path.resolve().parent)
    return bot_settings(data.get("bot", {}), index, env)

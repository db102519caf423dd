"""Webhook mode: Telegram (or a load balancer in front of several replicas) POSTs updates to the bot.

    python -m bot run --webhook

Settings (``config.toml`` ``[bot]``, environment over file):

    webhook_listen    address the bot's HTTP server binds (default 127.0.0.1; 0.0.0.0 in a container)
    webhook_port      its port (default 8443)
    webhook_url_path  the path updates are POSTed to (default "telegram")
    webhook_url       the public https URL Telegram calls, e.g. https://bot.example.org/telegram
                      (env TELEGRAM_WEBHOOK_URL); required in webhook mode
    TELEGRAM_WEBHOOK_SECRET  (environment only) the secret Telegram sends in the
                      X-Telegram-Bot-Api-Secret-Token header; requests without it are refused (403)

TLS is terminated by the load balancer or a reverse proxy in front of the bot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application

from index import ConfigError

KEYS = frozenset({"webhook_listen", "webhook_port", "webhook_url_path", "webhook_url"})
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_PATH = re.compile(r"^[A-Za-z0-9._~/-]{0,200}$")


@dataclass(frozen=True)
class WebhookSettings:
    listen: str = "127.0.0.1"
    port: int = 8443
    url_path: str = "telegram"
    url: str = ""  # where Telegram sends updates; "" until set
    secret_token: str = field(default="", repr=False)

    def require(self) -> None:
        """``ConfigError`` naming what webhook mode still lacks."""
        if not self.url:
            raise ConfigError("[bot] webhook_url (or TELEGRAM_WEBHOOK_URL) must be set for --webhook")
        if not self.secret_token:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be set for --webhook (1-256 of A-Z a-z 0-9 _ -)")


def webhook_settings(table: Mapping[str, Any], env: Mapping[str, str]) -> WebhookSettings:
    """The webhook keys of a ``[bot]`` table and the environment; ``ConfigError`` names a bad one."""
    listen = table.get("webhook_listen", WebhookSettings.listen)
    if not isinstance(listen, str) or not listen.strip():
        raise ConfigError(f"[bot] webhook_listen must be an address like 0.0.0.0, got {listen!r}")
    port = table.get("webhook_port", WebhookSettings.port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"[bot] webhook_port must be a port number (1-65535), got {port!r}")
    path = table.get("webhook_url_path", WebhookSettings.url_path)
    if not isinstance(path, str) or not _PATH.match(path.strip("/")):
        raise ConfigError(f"[bot] webhook_url_path must be a URL path like \"telegram\", got {path!r}")
    url = env.get("TELEGRAM_WEBHOOK_URL", "").strip() or table.get("webhook_url", "")
    if not isinstance(url, str):
        raise ConfigError(f"[bot] webhook_url must be a URL string, got {url!r}")
    parts = urlsplit(url.strip())
    if url and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ConfigError(f"[bot] webhook_url must be an http(s) URL, got {url!r}")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if secret and not _SECRET.match(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
    return WebhookSettings(listen.strip(), port, path.strip("/"), url.strip(), secret)


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def webhook_arguments(settings: WebhookSettings) -> dict[str, Any]:
    """The arguments of PTB's ``run_webhook`` / ``Updater.start_webhook`` for these settings."""
    settings.require()
    return {"listen": settings.listen, "port": settings.port, "url_path": settings.url_path,
            "webhook_url": settings.url, "secret_token": settings.secret_token,
            "allowed_updates": Update.ALL_TYPES}


def run_webhook(application: AnyApplication, settings: WebhookSettings) -> None:
    """Serve updates POSTed to ``listen:port/url_path`` until stopped (blocking, like run_polling)."""
    application.run_webhook(**webhook_arguments(settings))

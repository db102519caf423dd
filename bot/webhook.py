"""Webhook mode: Telegram (or a load balancer in front of several replicas) POSTs updates to the bot.

    python -m bot run --webhook

Settings (``config.toml`` ``[bot]``, environment over file):

    webhook_listen    address the bot's HTTP server binds (default 127.0.0.1; 0.0.0.0 in a container)
    webhook_port      its port (default 8443)
    webhook_url_path  the path updates are POSTed to (default "telegram")
    webhook_url       the public https URL Telegram calls, e.g. https://bot.example.org/telegram
                      (env TELEGRAM_WEBHOOK_URL); required in webhook mode
    health_port       GET /healthz on this port, same address (default 0: off; bot/health.py)
    drain_seconds     at SIGTERM, updates stop being taken and answers in flight get this long
                      to finish before the bot closes (default 30)
    TELEGRAM_WEBHOOK_SECRET  (environment only) the secret Telegram sends in the
                      X-Telegram-Bot-Api-Secret-Token header; requests without it are refused (403)

TLS is terminated by the load balancer or a reverse proxy in front of the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application

from index import ConfigError
from index.config import Section, integer, number

log = logging.getLogger(__name__)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_PATH = re.compile(r"^[A-Za-z0-9._~/-]{0,200}$")


@dataclass(frozen=True)
class WebhookSettings:
    listen: str = "127.0.0.1"
    port: int = 8443
    url_path: str = "telegram"
    url: str = ""  # where Telegram sends updates; "" until set
    secret_token: str = field(default="", repr=False)
    health_port: int = 0  # GET /healthz on this port (``health.py``); 0: off
    drain_seconds: float = 30.0  # at shutdown, answers in flight get this long to finish

    def require(self) -> None:
        """``ConfigError`` naming what webhook mode still lacks."""
        if not self.url:
            raise ConfigError("[bot] webhook_url (or TELEGRAM_WEBHOOK_URL) must be set for --webhook")
        if not self.secret_token:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be set for --webhook (1-256 of A-Z a-z 0-9 _ -)")


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be an address like 0.0.0.0, got {value!r}")
    return value.strip()


def _path(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _PATH.match(value.strip("/")):
        raise ConfigError(f"{where} must be a URL path like \"telegram\", got {value!r}")
    return value.strip("/")


def _url(value: Any, where: str) -> str:
    parts = urlsplit(value.strip()) if isinstance(value, str) else None
    if parts is None or (value.strip() and (parts.scheme not in ("http", "https") or not parts.netloc)):
        raise ConfigError(f"{where} must be an http(s) URL, got {value!r}")
    return str(value).strip()


def _secret(value: Any, where: str) -> str:
    if not _SECRET.match(str(value).strip()):
        raise ConfigError(f"{where} must be 1-256 characters of A-Z a-z 0-9 _ -")
    return str(value).strip()


def webhook_settings(section: Section) -> WebhookSettings:
    """The webhook keys of the ``[bot]`` section and the environment."""
    d = WebhookSettings
    port = section.value("webhook_port", integer(1), d.port)
    if port > 65535:
        raise ConfigError(f"[bot] webhook_port must be a port number (1-65535), got {port!r}")
    health_port = section.value("health_port", integer(0), d.health_port)
    if health_port > 65535 or health_port == port:
        raise ConfigError(f"[bot] health_port must be 0 or a port other than webhook_port, "
                          f"got {health_port!r}")
    return WebhookSettings(
        listen=section.value("webhook_listen", _address, d.listen),
        port=port,
        health_port=health_port,
        drain_seconds=section.value("drain_seconds", number(0.0, 3600.0), d.drain_seconds),
        url_path=section.value("webhook_url_path", _path, d.url_path),
        url=section.value("webhook_url", _url, d.url, env="TELEGRAM_WEBHOOK_URL"),
        secret_token=section.from_env("TELEGRAM_WEBHOOK_SECRET", _secret, ""),
    )


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def webhook_arguments(settings: WebhookSettings) -> dict[str, Any]:
    """The arguments of PTB's ``run_webhook`` / ``Updater.start_webhook`` for these settings."""
    settings.require()
    return {"listen": settings.listen, "port": settings.port, "url_path": settings.url_path,
            "webhook_url": settings.url, "secret_token": settings.secret_token,
            "allowed_updates": Update.ALL_TYPES}


def run_webhook(application: AnyApplication, settings: WebhookSettings) -> None:
    """Serve updates POSTed to ``listen:port/url_path`` until SIGTERM or SIGINT, then drain:
    stop taking updates, let answers in flight finish (at most ``drain_seconds``), close."""
    from .app import serving

    settings.require()

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with serving(application, settings):
            log.info("webhook mode: updates on %s:%s/%s, /healthz on port %s", settings.listen, settings.port,
                     settings.url_path, settings.health_port or "(off)")
            await stop.wait()

    asyncio.run(serve())

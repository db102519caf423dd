"""Webhook mode: the real Application serving updates POSTed to its HTTP endpoint on 127.0.0.1,
replying through the Bot API stand-in; requests without the right secret token are refused."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.botapi import BotApi
from support.botrun import BotProcess, process_env, watching
from support.fakes import FakeEmbedder, GatedEmbedder
from telegram.ext import Application

from bot.__main__ import main
from bot.app import build_application, serving
from bot.settings import BotSettings
from bot.webhook import WebhookSettings, webhook_settings
from index import ConfigError, Engine, IndexConfig
from index.config import Section

SECRET = "webhook-secret_0123456789"
ALICE, BOB = 4004, 5005


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def webhook(bot_api: BotApi, corpus_dir: Path, tmp_path: Path) -> AsyncIterator[WebhookSettings]:
    """The bot in webhook mode (fake embedder, every question answered); yields its settings."""
    port = free_port()
    hook = WebhookSettings("127.0.0.1", port, "hook", f"http://127.0.0.1:{port}/hook", SECRET)
    config = IndexConfig(corpus_dir=corpus_dir, data_dir=tmp_path / "data", threshold=0.0)
    settings = BotSettings(index=config, token=bot_api.token, api_base_url=bot_api.base_url, webhook=hook)

    async def open_engine(config: IndexConfig) -> Engine:
        return await Engine.open(config, FakeEmbedder())

    application: Application = build_application(settings, engine_factory=open_engine)
    async with serving(application, hook):
        yield hook


def update(bot_api: BotApi, user_id: int, text: str, update_id: int) -> dict[str, Any]:
    """A text message update as Telegram would POST it (the stand-in registers the chat)."""
    return {"update_id": update_id, "message": bot_api.text(user_id, text, language_code="de")}


async def post(url: str, body: dict[str, Any], secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json=body, headers=headers, timeout=30)
    return response.status_code


async def test_webhook_registers_its_url_and_secret_with_the_bot_api(
    webhook: WebhookSettings, bot_api: BotApi
) -> None:
    (call,) = bot_api.calls_of("setWebhook")
    assert call.params["url"] == webhook.url
    assert call.params["secret_token"] == SECRET


async def test_question_posted_to_the_webhook_is_answered_through_the_bot_api(
    webhook: WebhookSettings, bot_api: BotApi
) -> None:
    status = await post(webhook.url, update(bot_api, ALICE, "Was sagt Durov über Kriminelle?", 1), SECRET)
    assert status == 200
    (reply,) = await bot_api.next_calls("sendMessage", chat_id=ALICE)
    assert "Durov" in reply.plain


@pytest.mark.parametrize("secret", ["wrong-secret", None], ids=["wrong", "missing"])
async def test_update_without_the_right_secret_is_refused_and_never_answered(
    webhook: WebhookSettings, bot_api: BotApi, secret: str | None
) -> None:
    assert await post(webhook.url, update(bot_api, ALICE, "Wer ist Durov?", 1), secret) == 403
    assert await post(webhook.url, update(bot_api, BOB, "Wer ist Durov?", 2), SECRET) == 200
    await bot_api.next_calls("sendMessage", chat_id=BOB)
    assert bot_api.calls_of("sendMessage", chat_id=ALICE) == []


def test_webhook_settings_read_from_config_and_environment() -> None:
    table = {"webhook_listen": "0.0.0.0", "webhook_port": 8080, "webhook_url_path": "/tg/"}
    env = {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg", "TELEGRAM_WEBHOOK_SECRET": SECRET}
    assert webhook_settings(Section("bot", table, env)) == WebhookSettings("0.0.0.0", 8080, "tg", "https://bot.example.org/tg",
                                                           SECRET)


@pytest.mark.parametrize(
    ("table", "env", "named"),
    [
        ({"webhook_port": 70000}, {}, "webhook_port"),
        ({"webhook_port": "8443"}, {}, "webhook_port"),
        ({"webhook_url": "ftp://x"}, {}, "webhook_url"),
        ({"webhook_url_path": "a b"}, {}, "webhook_url_path"),
        ({}, {"TELEGRAM_WEBHOOK_SECRET": "has space"}, "TELEGRAM_WEBHOOK_SECRET"),
    ],
)
def test_bad_webhook_setting_is_named(table: dict[str, Any], env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        webhook_settings(Section("bot", table, env))


def test_run_webhook_without_a_secret_fails_at_start_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[bot]\nwebhook_url = "https://bot.example.org/hook"\n', encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:abcdef")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)

    async def no_engine(config: IndexConfig) -> Engine:
        raise AssertionError("the engine must not be opened")

    assert main(["--config", str(config), "run", "--webhook"], engine_factory=no_engine) == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err


async def health(port: int) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
    return response.status_code, response.json()


def gated_bot(bot_api: BotApi, corpus_dir: Path, tmp_path: Path, gated: GatedEmbedder,
              drain_seconds: float) -> tuple[Application, WebhookSettings]:
    port, health_port = free_port(), free_port()
    hook = WebhookSettings("127.0.0.1", port, "hook", f"http://127.0.0.1:{port}/hook", SECRET,
                           health_port=health_port, drain_seconds=drain_seconds)
    config = IndexConfig(corpus_dir=corpus_dir, data_dir=tmp_path / "data", threshold=0.0)
    settings = BotSettings(index=config, token=bot_api.token, api_base_url=bot_api.base_url, webhook=hook)

    async def open_engine(config: IndexConfig) -> Engine:
        return await Engine.open(config, gated)

    return build_application(settings, engine_factory=open_engine), hook


async def test_healthz_reports_the_serving_generation_then_draining_while_answers_in_flight_finish(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, gated: GatedEmbedder
) -> None:
    application, hook = gated_bot(bot_api, corpus_dir, tmp_path, gated, drain_seconds=60)
    bot = serving(application, hook)
    await bot.__aenter__()  # serving: the webhook and /healthz answer
    status, body = await health(hook.health_port)
    assert status == 200 and body == {"status": "ok", "index": "open",
                                      "generation": application.bot_data.engine.version}
    gated.hold_queries = True
    assert await post(hook.url, update(bot_api, ALICE, "Was sagt Durov über Kriminelle?", 1), SECRET) == 200
    assert await asyncio.to_thread(gated.entered.wait, 30)  # the answer is in flight
    with watching("bot.health", "draining") as draining:
        served = asyncio.create_task(bot.__aexit__(None, None, None))  # what SIGTERM starts
        await draining.reached(1)
    status, body = await health(hook.health_port)
    assert (status, body["status"]) == (503, "draining")
    assert not served.done()  # waiting for the answer in flight
    gated.release.set()
    await asyncio.wait_for(served, 30)
    (reply,) = await bot_api.next_calls("sendMessage", chat_id=ALICE)
    assert "Durov" in reply.plain


async def test_draining_is_bounded_an_answer_stuck_past_it_is_cancelled(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, gated: GatedEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    application, hook = gated_bot(bot_api, corpus_dir, tmp_path, gated, drain_seconds=0.2)
    async with serving(application, hook):
        gated.hold_queries = True
        assert await post(hook.url, update(bot_api, ALICE, "Wer ist Durov?", 1), SECRET) == 200
        assert await asyncio.to_thread(gated.entered.wait, 30)
    assert "answers still running after 0.2 s of draining are cancelled" in caplog.text
    assert bot_api.calls_of("sendMessage", chat_id=ALICE) == []
    gated.release.set()


async def test_the_bot_process_in_webhook_mode_answers_reports_health_and_ends_cleanly_on_sigterm(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    port, health_port = free_port(), free_port()
    config = tmp_path / "config.toml"
    settings = (f"[index]\nthreshold = 0.0\n\n[bot]\nwebhook_port = {port}\nhealth_port = {health_port}\n"
                f'webhook_url = "http://127.0.0.1:{port}/telegram"\n')
    config.write_text(settings, encoding="utf-8")
    env = process_env(bot_api, corpus_dir, tmp_path / "data", 1001, TELEGRAM_WEBHOOK_SECRET=SECRET)
    bot = await BotProcess.start(env, "--config", str(config), "run", "--webhook")
    try:
        await bot.wait_for("webhook mode: updates on 127.0.0.1")
        status, body = await health(health_port)
        assert status == 200 and body["status"] == "ok"
        url = f"http://127.0.0.1:{port}/telegram"
        assert await post(url, update(bot_api, ALICE, "Was sagt Durov über Kriminelle?", 1), SECRET) == 200
        (reply,) = await bot_api.next_calls("sendMessage", chat_id=ALICE)
        assert "Durov" in reply.plain
    finally:
        code = await bot.stop(signal.SIGTERM)
    assert code == 0, bot.log
    assert "draining" in bot.log and "Traceback" not in bot.log

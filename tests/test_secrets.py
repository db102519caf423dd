"""The bot token never shows: not in logs (any logger, any level, tracebacks included), not in
error messages, not in replies, not in what the bot process prints when the token is rejected.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from support.botapi import BotApi, settled
from support.botrun import BotProcess, process_env, serve, settings_for, watching, write_config
from support.fakes import GatedEmbedder

from bot import i18n
from bot.delivery import SEND_ATTEMPTS
from bot.settings import bot_settings, parse_token
from index import ConfigError, IndexConfig
from index.config import Section

ADMIN, ALICE = 1001, 2002
QUESTION = "Wo hat Durov die Hotline mit Telegram eingerichtet?"


async def test_token_stays_out_of_logs_and_replies_through_faults_and_errors(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "telegram", "tornado"):
        caplog.set_level(logging.DEBUG, logger=noisy)
    settings = settings_for(bot_api, corpus_dir, tmp_path / "data", ADMIN, threshold=0.0)
    embedder = GatedEmbedder()
    async with serve(settings, embedder):
        bot_api.text(ALICE, QUESTION, language_code="de")
        await bot_api.next_calls("sendMessage", ALICE)
        bot_api.fail("getUpdates", status=500)  # a polling error, logged with its traceback
        # a reply failing every attempt: the handler's error, then an apology
        bot_api.fail("sendMessage", status=502, times=SEND_ATTEMPTS)
        bot_api.text(ALICE, QUESTION, language_code="de")
        [apology] = await bot_api.next_calls("sendMessage", ALICE)
        assert apology.plain == i18n.text("de", "error")
        with watching("telegram.ext.Updater", "Exception happened while polling") as errors:
            port = bot_api.port
            await bot_api.stop()  # refused connections: the URL is in the request that failed
            await errors.reached(1)
            await bot_api.start(port)
        url = f"{bot_api.base_url}{bot_api.token}/sendMessage"
        embedder.fail_queries = f"could not reach {url}"  # an error whose text carries the token
        bot_api.text(ALICE, QUESTION, language_code="en")
        [sorry] = await bot_api.next_calls("sendMessage", ALICE)
        assert sorry.plain == i18n.text("en", "error")
        bot_api.text(ADMIN, "/reload", language_code="en")
        await bot_api.next_calls("sendMessage", ADMIN)  # "reloading", then edited to the summary
        await bot_api.next_matching("editMessageText", ADMIN, settled)
    assert "getUpdates" in caplog.text and "could not reach" in caplog.text  # logged in detail ...
    assert bot_api.token not in caplog.text  # ... without the token
    assert all(bot_api.token not in str(r.args) for r in caplog.records)
    sent = json.dumps([c.params for c in bot_api.calls], ensure_ascii=False, default=str)
    assert bot_api.token not in sent  # no reply, button or command menu carries it


@pytest.mark.slow
async def test_a_rejected_token_is_reported_without_showing_it(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path
) -> None:
    wrong = "987654321:TEST-not-the-right-secret"
    env = {**process_env(bot_api, corpus_dir, tmp_path / "data", ADMIN), "TELEGRAM_BOT_TOKEN": wrong}
    bot = await BotProcess.start(env, "--config", str(write_config(tmp_path)), "run")
    code = await bot.wait(60)
    assert code == 2, bot.log
    assert "TELEGRAM_BOT_TOKEN" in bot.log and "rejected" in bot.log
    assert wrong not in bot.log + "".join(bot.stdout)
    assert wrong.split(":")[1] not in bot.log


def test_a_malformed_token_error_and_the_settings_repr_do_not_show_it(tmp_path: Path) -> None:
    secret = "12345:has spaces and/slashes"
    with pytest.raises(ConfigError) as raised:
        parse_token(secret, "TELEGRAM_BOT_TOKEN")
    assert "TELEGRAM_BOT_TOKEN" in str(raised.value) and "has spaces" not in str(raised.value)
    index = IndexConfig(corpus_dir=tmp_path, data_dir=tmp_path)
    settings = bot_settings(Section("bot", {}, {"TELEGRAM_BOT_TOKEN": "12345:SECRETsecret_0123"}), index)
    assert settings.token == "12345:SECRETsecret_0123"
    assert "SECRETsecret" not in repr(settings) and "SECRETsecret" not in str(settings)

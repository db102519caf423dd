"""Bot settings: config.toml's [bot] table, environment overrides, errors that name the key, and a
token that never shows up in a repr or a log line."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from bot.app import build_application
from bot.settings import TELEGRAM_API, BotSettings, load_settings
from index import ConfigError, IndexConfig

TOKEN = "987654321:TEST-secret-token-value"


def write_config(tmp_path: Path, bot: str = "", index: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"[index]\n{index}\n[bot]\n{bot}\n", encoding="utf-8")
    return path


def test_defaults_come_from_the_file_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, "admin_ids = [5, 7]", 'corpus_dir = "docs"'), env={})
    assert settings.token == ""
    assert settings.api_base_url == TELEGRAM_API
    assert settings.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.admin_ids == frozenset({5, 7})
    assert settings.questions_per_minute == 20
    assert settings.index.corpus_dir == tmp_path / "docs"


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
        "BOT_ADMIN_IDS": " 11, 12 ,",
        "CORPUS_DIR": str(tmp_path / "other-corpus"),
        "DATA_DIR": str(tmp_path / "other-data"),
    }
    config = write_config(tmp_path, 'api_base_url = "https://example.org/bot"\nadmin_ids = [5]')
    settings = load_settings(config, env=env)
    assert settings.token == TOKEN
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.admin_ids == frozenset({5, 11, 12})
    assert settings.index.corpus_dir == tmp_path / "other-corpus"
    assert settings.index.data_dir == tmp_path / "other-data"


def test_a_base_url_without_bot_suffix_gets_it(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path), env={"TELEGRAM_API_BASE_URL": "http://localhost:8081/"})
    assert settings.base_url == "http://localhost:8081/bot"
    assert settings.base_file_url == "http://localhost:8081/file/bot"


@pytest.mark.parametrize("value", ["abc", "12,x", "1.5", "-3", "12;13", "٣"])
def test_malformed_admin_ids_in_the_environment_name_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="BOT_ADMIN_IDS"):
        load_settings(write_config(tmp_path), env={"BOT_ADMIN_IDS": value})


@pytest.mark.parametrize(
    ("bot", "key"),
    [
        ('admin_ids = "5"', "admin_ids"),
        ('admin_ids = ["x"]', "admin_ids"),
        ("admin_ids = [true]", "admin_ids"),
        ("questions_per_minute = 0", "questions_per_minute"),
        ('max_upload_bytes = "big"', "max_upload_bytes"),
        ('api_base_url = "ftp://example.org/bot"', "api_base_url"),
        ("api_base_url = 5", "api_base_url"),
        ('token = "1:abc"', "TELEGRAM_BOT_TOKEN"),
        ("colour = 3", "colour"),
    ],
)
def test_a_bad_bot_setting_names_its_key(tmp_path: Path, bot: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings(write_config(tmp_path, bot), env={})


def test_a_bad_base_url_in_the_environment_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        load_settings(write_config(tmp_path), env={"TELEGRAM_API_BASE_URL": "not a url"})


def test_a_malformed_token_is_named_but_not_repeated(tmp_path: Path) -> None:
    bad = "secret-without-colon"
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN") as caught:
        load_settings(write_config(tmp_path), env={"TELEGRAM_BOT_TOKEN": bad})
    assert bad not in str(caught.value)


def test_running_on_telegram_without_a_token_fails_naming_it(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path), env={})
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        settings.require_token()
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_application(settings)


def test_admins_are_checked_by_numeric_id() -> None:
    settings = BotSettings(
        index=IndexConfig(corpus_dir=Path("c"), data_dir=Path("d")), admin_ids=frozenset({5})
    )
    assert settings.is_admin(5)
    assert not settings.is_admin(6) and not settings.is_admin(None)


def test_the_token_is_absent_from_repr_and_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(write_config(tmp_path), env={"TELEGRAM_BOT_TOKEN": TOKEN})
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    caplog.set_level(logging.DEBUG)
    application = build_application(settings)  # python-telegram-bot logs its URLs at DEBUG
    logging.getLogger("bot.test").info("settings: %s, url: %s", settings, application.bot.base_url)
    logging.getLogger("httpx").warning("POST %s/getMe failed", application.bot.base_url)
    try:
        raise RuntimeError(f"request to {application.bot.base_url} failed")
    except RuntimeError:
        logging.getLogger("bot.test").exception("with a traceback")
    assert TOKEN in application.bot.base_url  # the URL does carry it ...
    assert "[TOKEN]" in caplog.text  # ... and the logs show where it was
    assert TOKEN not in caplog.text
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


def test_index_settings_take_the_environment_over_the_file_over_the_default(tmp_path: Path) -> None:
    config = write_config(tmp_path, index='model = "all-MiniLM-L6-v2"\ndata_dir = "store"\ntop_k = 5')
    settings = load_settings(config, env={"EMBEDDING_MODEL": "/models/e5"})
    assert settings.index.model == "/models/e5"  # environment
    assert settings.index.data_dir == tmp_path / "store" and settings.index.top_k == 5  # file
    assert settings.index.threshold == IndexConfig.threshold  # default


@pytest.mark.parametrize(
    ("index", "env", "named"),
    [
        ("top_k = -1", {}, r"\[index\] top_k"),
        ('top_k = "3"', {}, r"\[index\] top_k"),
        ("threshold = 1.5", {}, r"\[index\] threshold"),
        ('index_type = "ivf"', {}, r"\[index\] index_type"),
        ("max_passage_tokens = 8", {}, r"\[index\] max_passage_tokens"),
        ("corpus_dir = 3", {}, r"\[index\] corpus_dir"),
        ("colour = 3", {}, r"\[index\] unknown setting\(s\): colour"),
        ("", {"EMBEDDING_MODEL": " "}, None),  # blank variables are unset
    ],
)
def test_a_bad_index_setting_names_its_key(
    tmp_path: Path, index: str, env: dict[str, str], named: str | None
) -> None:
    config = write_config(tmp_path, index=index)
    if named is None:
        assert load_settings(config, env=env).index.model == IndexConfig.model
        return
    with pytest.raises(ConfigError, match=named):
        load_settings(config, env=env)


def test_a_table_that_is_not_a_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('bot = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[bot\] must be a table"):
        load_settings(path, env={})


def test_the_store_url_comes_from_database_url_and_must_be_postgresql(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[store]\nurl = "postgresql://bot:secret@db.internal/story"\n', encoding="utf-8")
    assert load_settings(config, env={}).store_url == "postgresql://bot:secret@db.internal/story"
    assert "secret" not in repr(load_settings(config, env={}))
    assert load_settings(config, env={"DATABASE_URL": "postgresql://127.0.0.1/other"}).store_url.endswith("/other")
    config.write_text('[store]\nurl = "mysql://bot:secret@db/story"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[store\] url") as info:
        load_settings(config, env={})
    assert "secret" not in str(info.value)
    config.write_text('[store]\nuri = "postgresql://db/story"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[store\] unknown setting\(s\): uri"):
        load_settings(config, env={})


async def test_an_unreachable_database_stops_the_start_naming_it_without_the_password(tmp_path: Path) -> None:
    from bot.querylog import QueryLog

    with socket.socket() as sock:  # a port on 127.0.0.1 that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConfigError, match=rf"127\.0\.0\.1:{port}") as info:
        await QueryLog.open(tmp_path, f"postgresql://bot:hunter2@127.0.0.1:{port}/story")
    assert "hunter2" not in str(info.value) and "bot:***@" in str(info.value)

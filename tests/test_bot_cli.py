"""The command line: ``python -m bot run | chat | ask`` with the real Engine (fake embedder) over a
temporary corpus, and settings errors that name the key."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fakes import FakeEmbedder

from bot.__main__ import main
from index import Engine, IndexConfig
from index.chunking import paragraph_spans

ROOT = Path(__file__).resolve().parent.parent


async def open_fake(config: IndexConfig) -> Engine:
    return await Engine.open(config, FakeEmbedder())


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, corpus_dir: Path, tmp_path: Path) -> Path:
    """The CLI pointed at the temporary corpus and data folder, without a token."""
    monkeypatch.setenv("CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "cli-data"))
    for name in ("TELEGRAM_BOT_TOKEN", "BOT_ADMIN_IDS", "TELEGRAM_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return corpus_dir


def whole_paragraph(corpus: Path) -> str:
    text = (corpus / "durov-telegram.de.txt").read_text(encoding="utf-8")
    start, end = paragraph_spans(text)[4]
    return text[start:end]


def lines(*items: str) -> Iterator[str]:
    yield from items


def test_ask_prints_the_answer_as_plain_text(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paragraph = whole_paragraph(cli_env)
    assert main(["--lang", "de", "ask", paragraph], engine_factory=open_fake) == 0
    out = capsys.readouterr().out
    assert "Quelle: Durov" in out and ", Absatz 5 · " in out
    assert "<b>" not in out and "**" in out


def test_ask_an_off_topic_question_says_not_in_the_story(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--lang", "en", "ask", "Which football club won the cup final?"], engine_factory=open_fake) == 0
    )
    assert "not in the story" in capsys.readouterr().out


def test_run_without_a_token_explains_it_and_starts_the_terminal_chat(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    typed = lines(whole_paragraph(cli_env), "", "quit")
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert main(["--lang", "en", "run"], engine_factory=open_fake) == 0
    captured = capsys.readouterr()
    assert "TELEGRAM_BOT_TOKEN is not set" in captured.err and "export TELEGRAM_BOT_TOKEN" in captured.err
    assert captured.out.startswith("Hello!")
    assert ", paragraph 5 · SeaPRwire" in captured.out


def test_chat_ends_at_end_of_input(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def end_of_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", end_of_input)
    assert main(["--lang", "de", "chat"], engine_factory=open_fake) == 0
    assert capsys.readouterr().out.startswith("Hallo!")


def test_a_bad_setting_stops_the_start_with_its_name(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BOT_ADMIN_IDS": "12,abc",
        "TELEGRAM_BOT_TOKEN": "42:never-printed-secret",
        "DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "BOT_ADMIN_IDS" in done.stderr and "'abc'" in done.stderr
    assert "never-printed-secret" not in done.stderr + done.stdout


async def test_the_terminal_chat_keeps_the_last_answer_for_a_follow_up_but_not_small_talk(
    engine: Engine,
) -> None:
    from bot.terminal import answer_with

    _, first = await answer_with(engine, "Wo wurde Durov festgenommen?", "de", None)
    assert first is not None and first.outcome != "small_talk"
    reply, kept = await answer_with(engine, "Hallo!", "de", first)
    assert reply and kept is first  # small talk: the follow-up still leans on the question before
    _, empty = await answer_with(engine, "   ", "de", first)
    assert empty is first

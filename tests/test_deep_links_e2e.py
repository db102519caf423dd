"""Deep links to the evidence: every source line links ``t.me/<bot>?start=p_<passage>``, which
opens the passage with its context in a private chat; forged or stale ones get one short reply."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from support.botapi import BOT_USER, BotApi, Call
from support.botrun import serve, settings_for

from bot import i18n, render
from index import Hit

ADMIN, ALICE = 1001, 2002
QUESTION = "Wo hat Durov die Hotline mit Telegram eingerichtet?"
LINK = re.compile(r'<a href="https://t\.me/' + BOT_USER["username"] + r'\?start=p_(\d+)">([^<]+)</a>')


@pytest.fixture
async def app(bot_api: BotApi, corpus_dir: Path, tmp_path: Path) -> AsyncIterator[Any]:
    async with serve(
        settings_for(bot_api, corpus_dir, tmp_path / "data", ADMIN, threshold=0.0)
    ) as application:
        yield application


async def send(api: BotApi, text: str, lang: str = "en") -> Call:
    api.text(ALICE, text, language_code=lang)
    (call,) = await api.next_calls("sendMessage", ALICE)
    return call


async def test_an_answer_links_its_passage_and_the_link_opens_it_with_context(
    bot_api: BotApi, app: Any
) -> None:
    answer = await send(bot_api, QUESTION)
    links = LINK.findall(answer.text)
    assert links and links[0][1] == "🔎 in context"
    passage_id = int(links[0][0])
    shown = await app.bot_data.engine.context(passage_id)
    opened = await send(bot_api, f"/start p_{passage_id}")
    assert opened.plain.startswith(i18n.text("en", "context_title"))
    assert shown.passage.text.strip() in opened.plain
    if shown.before is not None:
        assert "<blockquote expandable>" in opened.text


@pytest.mark.parametrize("payload", ["p_999999999", "p_0", "p_abc", "p_1; DROP TABLE", "x" * 64, "p_-1"])
async def test_a_forged_or_stale_deep_link_gets_no_longer_available(
    bot_api: BotApi, app: Any, payload: str
) -> None:
    reply = await send(bot_api, f"/start {payload}", lang="de")
    assert reply.plain == i18n.text("de", "passage_gone")


async def test_start_without_a_payload_or_from_the_inline_hint_greets(bot_api: BotApi, app: Any) -> None:
    for text in ("/start", "/start inline"):
        reply = await send(bot_api, text)
        assert reply.plain.startswith(i18n.text("en", "greeting"))


def test_passage_links_are_left_out_where_there_is_no_bot_to_link_to() -> None:
    hit = Hit(7, "story", "Titel", "Quelle", "https://example.org/a", 3, "Ein Satz.", 0.9, (0, 9))
    blocks = render.hit_blocks(hit, "en")
    assert "🔎" not in render.to_html(blocks) and "🔎" not in render.to_plain(blocks)
    linked = render.to_html(blocks, passage_link=lambda pid: f"https://t.me/bot?start=p_{pid}")
    assert linked.endswith(' · <a href="https://t.me/bot?start=p_7">🔎 in context</a>')

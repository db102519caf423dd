"""A conversation, end to end: a follow-up in a private chat is read with the question before it
and says so; a self-contained question after it is answered on its own; in a group, a reply to
the bot's answer is read with that answer's question."""

from __future__ import annotations

from typing import Any

import pytest
from support.botapi import BotApi, Call
from support.botrun import watching

from bot import i18n

ADMIN, ALICE, BOB = 1001, 2002, 3003
GROUP = -100777
FIRST = "Wo wurde Durov festgenommen?"
FOLLOW_UP = "Und wann kam er wieder frei?"
NOTE = i18n.text("en", "follow_up_of", question=FIRST)


pytestmark = pytest.mark.model  # reading a follow-up is about meaning: the real model answers


@pytest.fixture
async def app(start_bot: Any) -> Any:
    return await start_bot(real_model=True)


async def send(api: BotApi, user: int, text: str) -> Call:
    api.text(user, text, language_code="en")
    (call,) = await api.next_calls("sendMessage", user)
    return call


async def test_a_follow_up_is_read_with_the_previous_question_and_says_so(bot_api: BotApi, app: Any) -> None:
    first = await send(bot_api, ALICE, FIRST)
    assert "festgenommen" in first.plain and NOTE not in first.plain
    follow_up = await send(bot_api, ALICE, FOLLOW_UP)
    assert follow_up.plain.startswith(NOTE)
    assert "gegen Kaution freigelassen" in follow_up.plain
    alone = await send(bot_api, BOB, FOLLOW_UP)  # another user: nothing to lean on
    assert not alone.plain.startswith(NOTE.split(":")[0])


async def test_a_self_contained_question_after_a_first_one_is_answered_on_its_own(
    bot_api: BotApi, app: Any
) -> None:
    await send(bot_api, ALICE, FIRST)
    second = await send(bot_api, ALICE, "Wie viele monatlich aktive Nutzer hat Telegram?")
    assert not second.plain.startswith(NOTE.split(":")[0]) and "950 Millionen" in second.plain


async def test_in_a_group_a_reply_to_the_bot_s_answer_is_a_follow_up(bot_api: BotApi, app: Any) -> None:
    with watching("bot.handlers", "delivered: yes") as recorded:
        command = [{"type": "bot_command", "offset": 0, "length": 4}]
        bot_api.message(ALICE, chat_id=GROUP, chat_type="supergroup", text=f"/ask {FIRST}", entities=command)
        (answer,) = await bot_api.next_calls("sendMessage", GROUP)
        await recorded.reached(1)  # the answer's message is known as one
    replied = answer.message
    bot_api.message(BOB, chat_id=GROUP, chat_type="supergroup", text=FOLLOW_UP, reply_to_message=replied)
    (follow_up,) = await bot_api.next_calls("sendMessage", GROUP)
    assert follow_up.plain.startswith(NOTE) and "gegen Kaution freigelassen" in follow_up.plain

"""Which group messages are addressed to the bot, and the question they carry."""

from __future__ import annotations

import datetime as dt

from telegram import Chat, Message, MessageEntity, User

from bot.groups import addressed_question

BOT = User(id=999, first_name="Story", is_bot=True, username="StoryBot")
ALICE = User(id=1, first_name="Alice", is_bot=False)
GROUP = Chat(id=-100, type=Chat.SUPERGROUP)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def message(
    text: str, entities: tuple[tuple[str, str], ...] = (), reply_to: Message | None = None
) -> Message:
    """A group message; entities are (type, exact substring) found in ``text``."""
    found = []
    for kind, sub in entities:
        start = text.index(sub)
        found.append(MessageEntity(kind, utf16_len(text[:start]), utf16_len(sub)))
    return Message(
        1, dt.datetime.now(dt.UTC), GROUP, from_user=ALICE, text=text, entities=found,
        reply_to_message=reply_to,
    )


def ask(msg: Message) -> str | None:
    return addressed_question(msg, "StoryBot", BOT.id)


def test_plain_group_chatter_is_not_addressed() -> None:
    assert ask(message("Wer hat Durov festgenommen?")) is None


def test_mention_is_stripped_from_the_question() -> None:
    msg = message("@StoryBot Wer hat Durov festgenommen?", (("mention", "@StoryBot"),))
    assert ask(msg) == "Wer hat Durov festgenommen?"


def test_mention_after_emoji_uses_utf16_offsets() -> None:
    msg = message("👋🏽 hey @storybot wo wurde er festgenommen?", (("mention", "@storybot"),))
    assert ask(msg) == "👋🏽 hey wo wurde er festgenommen?"


def test_mention_of_another_user_is_not_addressed() -> None:
    assert ask(message("@OtherBot what happened?", (("mention", "@OtherBot"),))) is None


def test_ask_command_with_and_without_bot_name() -> None:
    assert ask(message("/ask Who arrested Durov?", (("bot_command", "/ask"),))) == "Who arrested Durov?"
    assert ask(message("/ask@StoryBot Who?", (("bot_command", "/ask@StoryBot"),))) == "Who?"


def test_ask_command_for_another_bot_or_other_command_is_ignored() -> None:
    assert ask(message("/ask@OtherBot Who?", (("bot_command", "/ask@OtherBot"),))) is None
    assert ask(message("/start", (("bot_command", "/start"),))) is None


def test_reply_to_the_bot_is_addressed() -> None:
    answer = Message(5, dt.datetime.now(dt.UTC), GROUP, from_user=BOT, text="an answer")
    assert ask(message("Und wann?", reply_to=answer)) == "Und wann?"


def test_reply_to_someone_else_is_not_addressed() -> None:
    other = Message(5, dt.datetime.now(dt.UTC), GROUP, from_user=ALICE, text="hi")
    assert ask(message("Und wann?", reply_to=other)) is None


def test_bare_mention_is_addressed_without_a_question() -> None:
    assert ask(message("@StoryBot", (("mention", "@StoryBot"),))) == ""

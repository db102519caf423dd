"""Who may do what: every admin action tried by someone who is not an admin, in a private chat,
in a group where an admin is present, through edited, forwarded and anonymous messages, and
through the admin's own confirm buttons or forged ones. None succeeds; each is logged with the
user id that tried it.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.botapi import BOT_USER, BotApi, Call
from support.botrun import serve, settings_for

from bot import i18n

ADMIN, MALLORY = 1001, 6666
ANONYMOUS_ADMIN = 1087968824  # Telegram's GroupAnonymousBot, the sender of anonymous group admins
GROUP = -100200
DOC = "durov-telegram.de"
_ids = itertools.count(70_000)

Attempt = Callable[[BotApi, dict[str, str]], None]  # (stand-in, buttons of the admin's /remove)


def command(value: str, user: int = MALLORY, group: bool = False, **extra: Any) -> Attempt:
    def attempt(api: BotApi, buttons: dict[str, str]) -> None:
        where: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"} if group else {}
        api.text(user, value, language_code="en", **where, **extra)
    return attempt


def edited_into(value: str) -> Attempt:
    def attempt(api: BotApi, buttons: dict[str, str]) -> None:
        api.push({"edited_message": {
            "message_id": next(_ids), "date": int(time.time()) - 60, "edit_date": int(time.time()),
            "chat": {"id": MALLORY, "type": "private", "first_name": "M"}, "from": api.user(MALLORY),
            "text": value, "entities": [{"type": "bot_command", "offset": 0, "length": len(value)}]}})
    return attempt


def sent_as(value: str, sender: dict[str, Any], chat: dict[str, Any], **extra: Any) -> Attempt:
    """A command message with a hand-made sender (name, username, bot flag) and chat."""

    def attempt(api: BotApi, buttons: dict[str, str]) -> None:
        entity = {"type": "bot_command", "offset": 0, "length": len(value.split()[0])}
        api.push({"message": {"message_id": next(_ids), "date": int(time.time()), "chat": chat,
                              "from": sender, "text": value, "entities": [entity], **extra}})
    return attempt


GROUP_CHAT = {"id": GROUP, "type": "supergroup", "title": "Group"}
ANONYMOUS = {"id": ANONYMOUS_ADMIN, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
LOOKALIKE = {"id": MALLORY, "is_bot": False, "first_name": "Admin", "username": "admin"}


def anonymous(value: str) -> Attempt:
    return sent_as(value, ANONYMOUS, GROUP_CHAT, sender_chat=GROUP_CHAT)


def upload(api: BotApi, buttons: dict[str, str]) -> None:
    file_id = api.add_file(b"Ein neuer Text.", "upload.bin")
    api.message(MALLORY, language_code="en", document={
        "file_id": file_id, "file_unique_id": file_id, "file_name": "mine.txt", "file_size": 15})


def press(button: str | None, data: str = "") -> Attempt:
    def attempt(api: BotApi, buttons: dict[str, str]) -> None:
        message = {"message_id": 1, "date": int(time.time()), "text": "Remove?", "from": BOT_USER,
                   "chat": {"id": GROUP, "type": "supergroup", "title": "Group"}}
        api.push({"callback_query": {"id": f"cb-{next(_ids)}", "from": api.user(MALLORY),
                                     "chat_instance": "ci", "message": message,
                                     "data": buttons[button] if button else data}})
    return attempt


def refusal(command: str) -> Callable[[Call], None]:
    def check(call: Call) -> None:
        assert call.plain == i18n.text("en", "not_admin", command=command)
    return check


def alert(key: str) -> Callable[[Call], None]:
    def check(call: Call) -> None:
        assert call.params["text"] == i18n.text("en", key)
    return check


def cannot_do(call: Call) -> None:
    assert call.plain == i18n.text("en", "cannot_do", example=i18n.text("en", "example"))


@dataclass(frozen=True)
class Case:
    name: str
    attempt: Attempt
    check: Callable[[Call], None]
    method: str = "sendMessage"
    chat: int | None = MALLORY
    user: int = MALLORY


CASES = [
    Case("/reload in private", command("/reload"), refusal("reload")),
    Case("/remove in private", command(f"/remove {DOC}"), refusal("remove")),
    Case("/stats in private", command("/stats"), refusal("stats")),
    Case("upload in private", upload, cannot_do),
    Case("/reload in the admin's group", command("/reload@story_test_bot", group=True), refusal("reload"),
         chat=GROUP),
    Case("/remove in the admin's group", command(f"/remove {DOC}", group=True), refusal("remove"),
         chat=GROUP),
    Case("/stats in the admin's group", command("/stats", group=True), refusal("stats"), chat=GROUP),
    Case("/reload replying to the admin", command("/reload", group=True, reply_to_message={
        "message_id": 1, "date": 0, "chat": {"id": GROUP, "type": "supergroup", "title": "Group"},
        "from": {"id": ADMIN, "is_bot": False, "first_name": "Admin"}, "text": "/remove"}),
         refusal("reload"), chat=GROUP),
    Case("/reload edited in", edited_into("/reload"), refusal("reload")),
    Case("/reload forwarded from the admin", command("/reload", forward_origin={
        "type": "user", "date": 0, "sender_user": {"id": ADMIN, "is_bot": False, "first_name": "Admin"}}),
         refusal("reload")),
    Case("/reload under the admin's name", sent_as("/reload", LOOKALIKE, {"id": MALLORY, "type": "private"}),
         refusal("reload")),
    Case("/reload as anonymous group admin", anonymous("/reload"), refusal("reload"), chat=GROUP,
         user=ANONYMOUS_ADMIN),
    Case("/stats as anonymous group admin", anonymous("/stats"), refusal("stats"), chat=GROUP,
         user=ANONYMOUS_ADMIN),
    Case("the admin's confirm button", press("Remove"), alert("remove_not_yours"),
         method="answerCallbackQuery", chat=None),
    Case("the admin's cancel button", press("Cancel"), alert("remove_not_yours"),
         method="answerCallbackQuery", chat=None),
    Case("forged confirm data", press(None, "1:rm:AAAAAAAAAAAA"), alert("expired"),
         method="answerCallbackQuery", chat=None),
    Case("forged cancel data", press(None, "1:rx:Zm9yZ2VkLXRva2Vu"), alert("expired"),
         method="answerCallbackQuery", chat=None),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_non_admin_cannot_do_what_only_admins_may_and_is_logged(
    bot_api: BotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    data = tmp_path / "data"
    async with serve(settings_for(bot_api, corpus_dir, data, ADMIN)) as app:
        engine = app.bot_data.engine
        bot_api.text(ADMIN, "Hallo zusammen", chat_id=GROUP, chat_type="supergroup")  # the admin is here
        bot_api.text(ADMIN, f"/remove {DOC}", chat_id=GROUP, chat_type="supergroup")
        [confirm] = await bot_api.next_calls("sendMessage", GROUP)
        markup = confirm.params["reply_markup"]["inline_keyboard"]
        buttons = {b["text"]: b["callback_data"] for row in markup for b in row}
        version, documents = engine.version, await engine.documents()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot"):
            case.attempt(bot_api, buttons)
            [reply] = await bot_api.next_calls(case.method, case.chat)
        case.check(reply)
        assert engine.version == version and not engine.rebuilding
        assert await engine.documents() == documents
        assert bot_api.calls_of("getFile") == [] and bot_api.calls_of("editMessageText") == []
        assert not any("Usage" in c.plain for c in bot_api.calls_of("sendMessage"))
        logged = [r for r in caplog.records if r.name.startswith("bot") and str(case.user) in r.getMessage()]
        assert logged, [r.getMessage() for r in caplog.records]
        # the confirmation stays the admin's: it still works for them
        bot_api.push({"callback_query": {"id": "cb-admin", "from": bot_api.user(ADMIN), "chat_instance": "ci",
                                         "message": confirm.result, "data": buttons["Cancel"]}})
        [edited] = await bot_api.next_calls("editMessageText")
        assert edited.plain == i18n.text("en", "remove_cancelled")

"""The buttons under answers and admin confirmations: callback-data format, parsing, keyboards.

Telegram hands callback data back verbatim, but any client can send any string (at most 64 bytes)
for any message, so parsing treats it as hostile: ``parse`` never raises and returns ``None`` for
anything forged, malformed, oversized or from an older format. The handler then answers the
callback with "this answer has expired".

Format: ``<version>:<kind>:<fields>``, all fields decimal integers or a URL-safe token.

    1:m:<query id>:<offset>       more passages, starting at rank <offset>
    1:c:<query id>:<passage id>   the paragraphs before and after a passage
    1:f:<query id>:<+1|-1>        feedback on the answer to a question
    1:rm:<token>                  confirm removing a document (token bound to admin and document)
    1:rx:<token>                  cancel removing a document
    1:ra:<token>                  a remove button of /sources: ask to confirm (token as for rm)
    1:s:<token>                   a suggested question: ask it (``suggestions.py`` maps the token)
    1:pu:<pin id>                 remove a pin (admins only; under /gaps)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from index import Answer

from . import i18n

VERSION = "1"
MAX_BYTES = 64  # Telegram's limit for callback_data
MAX_ID = 2**63 - 1  # SQLite's largest row id
MAX_OFFSET = 1000
_INT = re.compile(r"(?:0|[1-9][0-9]{0,18})")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{6,32}")


@dataclass(frozen=True)
class More:
    query_id: int
    offset: int


@dataclass(frozen=True)
class ShowContext:
    query_id: int
    passage_id: int


@dataclass(frozen=True)
class Vote:
    query_id: int
    vote: int  # +1 or -1


@dataclass(frozen=True)
class ConfirmRemove:
    token: str


@dataclass(frozen=True)
class CancelRemove:
    token: str


@dataclass(frozen=True)
class AskRemove:
    token: str


@dataclass(frozen=True)
class AskSuggested:
    token: str


@dataclass(frozen=True)
class Unpin:
    pin_id: int


Callback = More | ShowContext | Vote | ConfirmRemove | CancelRemove | AskRemove | AskSuggested | Unpin


def _encode(*fields: object) -> str:
    data = ":".join([VERSION, *(str(f) for f in fields)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def more(query_id: int, offset: int) -> str:
    return _encode("m", query_id, offset)


def show_context(query_id: int, passage_id: int) -> str:
    return _encode("c", query_id, passage_id)


def vote(query_id: int, value: int) -> str:
    if value not in (1, -1):
        raise ValueError(f"a vote is +1 or -1, not {value}")
    return _encode("f", query_id, "+1" if value > 0 else "-1")


def confirm_remove(token: str) -> str:
    return _encode("rm", token)


def cancel_remove(token: str) -> str:
    return _encode("rx", token)


def unpin(pin_id: int) -> str:
    return _encode("pu", pin_id)


def _parse_unpin(fields: list[str]) -> Callback | None:
    pin_id = _int(fields[0]) if len(fields) == 1 else None
    return Unpin(pin_id) if pin_id else None


def suggested(token: str) -> str:
    return _encode("s", token)


def ask_remove(token: str) -> str:
    return _encode("ra", token)


def _int(text: str, limit: int = MAX_ID) -> int | None:
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if value <= limit else None


def parse(data: object) -> Callback | None:
    """The button's meaning, or None when the data is not one this bot version made."""
    if not isinstance(data, str) or not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    version, _, rest = data.partition(":")
    if version != VERSION:
        return None
    kind, _, rest = rest.partition(":")
    fields = rest.split(":")
    parser = _PARSERS.get(kind)
    return parser(fields) if parser else None


def _parse_more(fields: list[str]) -> Callback | None:
    if len(fields) != 2:
        return None
    query_id, offset = _int(fields[0]), _int(fields[1], MAX_OFFSET)
    if query_id is None or offset is None or query_id == 0 or offset == 0:
        return None
    return More(query_id, offset)


def _parse_context(fields: list[str]) -> Callback | None:
    if len(fields) != 2:
        return None
    query_id, passage_id = _int(fields[0]), _int(fields[1])
    if not query_id or passage_id is None:
        return None
    return ShowContext(query_id, passage_id)


def _parse_vote(fields: list[str]) -> Callback | None:
    if len(fields) != 2 or fields[1] not in ("+1", "-1"):
        return None
    query_id = _int(fields[0])
    return Vote(query_id, 1 if fields[1] == "+1" else -1) if query_id else None


def _parse_token(
    cls: type[ConfirmRemove] | type[CancelRemove] | type[AskRemove] | type[AskSuggested],
) -> Callable[[list[str]], Callback | None]:
    def parse_token(fields: list[str]) -> Callback | None:
        if len(fields) != 1 or not _TOKEN.fullmatch(fields[0]):
            return None
        return cls(fields[0])

    return parse_token


_PARSERS: dict[str, Callable[[list[str]], Callback | None]] = {
    "m": _parse_more,
    "c": _parse_context,
    "f": _parse_vote,
    "rm": _parse_token(ConfirmRemove),
    "rx": _parse_token(CancelRemove),
    "ra": _parse_token(AskRemove),
    "s": _parse_token(AskSuggested),
    "pu": _parse_unpin,
}


def answer_keyboard(
    lang: str,
    query_id: int,
    *,
    passage_id: int | None,
    next_offset: int | None,
) -> InlineKeyboardMarkup:
    """The buttons under an answer: more passages and context (when there are any), then 👍 / 👎."""
    follow_ups = []
    if next_offset is not None:
        follow_ups.append(
            InlineKeyboardButton(i18n.text(lang, "btn_more"), callback_data=more(query_id, next_offset))
        )
    if passage_id is not None:
        follow_ups.append(InlineKeyboardButton(
            i18n.text(lang, "btn_context"), callback_data=show_context(query_id, passage_id)))
    votes = [InlineKeyboardButton("👍", callback_data=vote(query_id, 1)),
             InlineKeyboardButton("👎", callback_data=vote(query_id, -1))]
    return InlineKeyboardMarkup([follow_ups, votes] if follow_ups else [votes])


def keyboard_for(answer: Answer, query_id: int, lang: str, offset: int = 0) -> InlineKeyboardMarkup:
    """The buttons under the answer to logged question ``query_id`` showing hits from ``offset``:
    context of the top passage (when it answers, or on a "more" page) and more (when answered)."""
    shown = len(answer.hits)
    shows_passages = answer.outcome in ("answer", "unsure") or offset
    top = answer.hits[0].passage_id if answer.hits and shows_passages else None
    further = offset + shown if answer.answered and shown and offset + shown <= MAX_OFFSET else None
    return answer_keyboard(lang, query_id, passage_id=top, next_offset=further)


def confirm_keyboard(lang: str, token: str) -> InlineKeyboardMarkup:
    """Confirm / cancel buttons of ``/remove``."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(i18n.text(lang, "btn_confirm"), callback_data=confirm_remove(token)),
        InlineKeyboardButton(i18n.text(lang, "btn_cancel"), callback_data=cancel_remove(token)),
    ]])


def sources_keyboard(lang: str, removable: list[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """One remove button per ``(title, token)`` under ``/sources`` (shown to admins only)."""
    if not removable:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(i18n.text(lang, "btn_remove", title=title[:40]),
                              callback_data=ask_remove(token))]
        for title, token in removable
    ])


def unpin_keyboard(lang: str, pins: list[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """One remove button per ``(pin id, question)`` under ``/gaps``."""
    if not pins:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(i18n.text(lang, "btn_unpin", question=question[:40]),
                              callback_data=unpin(pin_id))]
        for pin_id, question in pins
    ])

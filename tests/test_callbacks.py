"""Callback data: round trips, and hostile data parsed to None without raising."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.callbacks import CancelRemove, ConfirmRemove, More, ShowContext, Vote


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (callbacks.more(42, 3), More(42, 3)),
        (callbacks.show_context(42, 0), ShowContext(42, 0)),
        (callbacks.vote(7, 1), Vote(7, 1)),
        (callbacks.vote(7, -1), Vote(7, -1)),
        (callbacks.confirm_remove("AbC-12_x"), ConfirmRemove("AbC-12_x")),
        (callbacks.cancel_remove("AbC-12_x"), CancelRemove("AbC-12_x")),
    ],
)
def test_callback_data_round_trips(data: str, expected: callbacks.Callback) -> None:
    assert len(data.encode()) <= callbacks.MAX_BYTES
    assert callbacks.parse(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        ":",
        "1",
        "1:",
        "2:m:42:3",  # another format version
        "m:42:3",  # no version
        "1:m:42",
        "1:m:42:3:9",
        "1:m:abc:3",
        "1:m:-4:3",
        "1:m:042:3",
        "1:m:42:0",
        "1:m:0:3",
        "1:m:42:99999",  # offset beyond any answer
        "1:m:99999999999999999999:1",  # beyond SQLite row ids
        "1:c:42:",
        "1:c:42:1.5",
        "1:f:7:+2",
        "1:f:7:1",
        "1:f:0:+1",
        "1:rm:short",
        "1:rm:has space",
        "1:rm:tok:extra",
        "1:rm:" + "A" * 60,  # oversized
        "1:zz:1:2",
        "1:m:４２:3",  # full-width digits are not ASCII digits
        "1:m:42:3\x00",
        "1:c:\u202e42:1",
        "x" * 5000,
    ],
)
def test_forged_or_malformed_data_parses_to_none(data: object) -> None:
    assert callbacks.parse(data) is None


def test_encoding_refuses_data_over_telegram_limit() -> None:
    with pytest.raises(ValueError):
        callbacks.confirm_remove("A" * 70)


def test_vote_is_plus_or_minus_one() -> None:
    with pytest.raises(ValueError):
        callbacks.vote(1, 0)


def test_answer_keyboard_has_follow_ups_and_feedback() -> None:
    markup = callbacks.answer_keyboard("en", 9, passage_id=31, next_offset=3)
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [
        [("More passages", "1:m:9:3"), ("Show context", "1:c:9:31")],
        [("👍", "1:f:9:+1"), ("👎", "1:f:9:-1")],
    ]


def test_answer_keyboard_without_follow_ups_keeps_feedback() -> None:
    markup = callbacks.answer_keyboard("en", 9, passage_id=None, next_offset=None)
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["1:f:9:+1", "1:f:9:-1"]]


def test_confirm_keyboard_carries_the_token() -> None:
    markup = callbacks.confirm_keyboard("en", "tok_ABC1")
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["1:rm:tok_ABC1", "1:rx:tok_ABC1"]

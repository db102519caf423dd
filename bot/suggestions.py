"""Suggested questions: three the bot answers well, as buttons that ask them when pressed.

The pool: the questions admins list in the documents' metadata that the index answers from their
own document (``index/suggestions.py``), then questions of the last 30 days that were answered
and voted 👍 or asked often (``QueryLog.good_questions``). A button carries a short token, not the
question (callback data holds 64 bytes); the token maps to the question for a while, and a
forged or expired one gets "this answer has expired".
"""

from __future__ import annotations

import secrets
from collections import OrderedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from . import callbacks

SHOWN = 3
MAX_TOKENS = 5000  # tokens remembered; older buttons expire
BUTTON_CHARS = 60


class SuggestionTokens:
    """token -> question of the suggestion buttons shown lately."""

    def __init__(self, size: int = MAX_TOKENS) -> None:
        self._questions: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def issue(self, question: str) -> str:
        token = secrets.token_urlsafe(9)
        self._questions[token] = question
        while len(self._questions) > self._size:
            self._questions.popitem(last=False)
        return token

    def question(self, token: str) -> str | None:
        return self._questions.get(token)


def pick(listed: list[str], popular: list[str], n: int = SHOWN) -> list[str]:
    """The first ``n`` distinct questions, the listed ones first."""
    seen: set[str] = set()
    out: list[str] = []
    for question in (*listed, *popular):
        key = " ".join(question.lower().split())
        if key and key not in seen:
            seen.add(key)
            out.append(question)
    return out[:n]


def keyboard(tokens: SuggestionTokens, questions: list[str]) -> InlineKeyboardMarkup | None:
    """One button per question, each asking it when pressed."""
    if not questions:
        return None
    rows = [[InlineKeyboardButton(_label(q), callback_data=callbacks.suggested(tokens.issue(q)))]
            for q in questions]
    return InlineKeyboardMarkup(rows)


def _label(question: str) -> str:
    return question if len(question) <= BUTTON_CHARS else question[: BUTTON_CHARS - 1].rstrip() + "…"

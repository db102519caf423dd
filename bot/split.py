"""Splitting Telegram HTML into messages under the 4096-character limit, tags kept balanced.

Cuts prefer paragraph boundaries, then line breaks, sentence ends and spaces; a cut never falls
inside a tag or an entity; tags open at a cut are closed before it and reopened after it. Lengths
are counted in UTF-16 code units of the HTML, which is never less than what Telegram counts.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from itertools import accumulate

TELEGRAM_LIMIT = 4096

_ATOM = re.compile(r"<[^<>]*>|&#?\w+;")  # tags and entities are never cut
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")
_BREAKS = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (a lone surrogate counts as one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _open_tags(text: str) -> list[tuple[str, str]]:
    """(name, opening tag) of the tags still open at the end of ``text``."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            stack.append((name, match.group(0)))
        elif stack and stack[-1][0] == name:
            stack.pop()
    return stack


def _closers(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _cut_points(text: str) -> list[bool]:
    """ok[i]: a cut before position i splits no tag or entity."""
    ok = [True] * (len(text) + 1)
    for match in _ATOM.finditer(text):
        for i in range(match.start() + 1, match.end()):
            ok[i] = False
    return ok


def _best_cut(text: str, budget: int, ok: list[bool]) -> tuple[int, int]:
    """(end of head, start of rest) for a head of at most ``budget`` units, or (0, 0)."""
    cumulative = list(accumulate(2 if ord(c) > 0xFFFF else 1 for c in text))
    hard = bisect_right(cumulative, budget)  # the longest head that fits
    for sep in _BREAKS:
        keep = len(sep.rstrip())  # punctuation stays with the head
        pos = text.rfind(sep, 0, hard - keep + len(sep))
        while pos > 0 and not ok[pos + keep]:
            pos = text.rfind(sep, 0, pos + len(sep) - 1)
        if pos > hard // 4:
            return pos + keep, pos + len(sep)
    pos = hard
    while pos > 0 and not ok[pos]:
        pos -= 1
    return pos, pos


def _cut(text: str, limit: int) -> tuple[str, str]:
    """One head of at most ``limit`` units (tags closed) and the rest (tags reopened)."""
    ok = _cut_points(text)
    budget = limit
    while budget > 0:
        end, start = _best_cut(text, budget, ok)
        if end <= 0:
            break
        stack = _open_tags(text[:end])
        head = text[:end].rstrip() + _closers(stack)
        if units(head) <= limit:
            rest = "".join(tag for _, tag in stack) + text[start:].lstrip()
            if units(rest) < units(text):
                return head, rest
            break
        budget -= units(_closers(stack)) or 1
    return _plain_cut(text, limit)


def _plain_cut(text: str, limit: int) -> tuple[str, str]:
    """Last resort: drop the markup and cut the escaped text."""
    plain = html.escape(html.unescape(_TAG.sub("", text)), quote=False)
    ok = _cut_points(plain)
    end, start = _best_cut(plain, limit, ok)
    end = end or min(len(plain), limit)
    return plain[:end].rstrip(), plain[max(start, end):].lstrip()


def split_html(message: str, limit: int = TELEGRAM_LIMIT, *, max_parts: int = 0, note: str = "") -> list[str]:
    """``message`` as messages of at most ``limit`` units; beyond ``max_parts`` (if > 0) the last
    kept message is shortened and ends with ``note`` (escaped HTML)."""
    parts: list[str] = []
    rest = message.strip()
    while rest:
        if max_parts and len(parts) == max_parts:
            tail = f"\n\n{note}" if note else ""
            last = parts.pop()
            if units(last) + units(tail) > limit:
                last = _cut(last, limit - units(tail))[0]
            parts.append(last + tail)
            break
        if units(rest) <= limit:
            parts.append(rest)
            break
        head, rest = _cut(rest, limit)
        if head:
            parts.append(head)
    return parts

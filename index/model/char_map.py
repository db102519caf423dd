"""The converted e5 tokenizer's per-codepoint normalization as one ``str.translate`` table.

The converted ``tokenizer.json`` (see ``e5_tokenizer.py``) normalizes with one ``Replace`` per
mapped codepoint, applied one after another, then collapses runs of spaces: thousands of passes
over every text. ``CharMap`` reads those rules back from the loaded tokenizer and applies them in
one pass; the tokenizer keeps only the steps after them. Rule ``n`` also sees what earlier rules
produced, so each table entry is the chain of rules its character goes through, in rule order.

Special tokens (``<s>``, ``</s>``, ...) are matched before normalization, so a text whose mapped
form spells one that the text itself does not (``＜ｓ＞``) must still go through the full
normalizer: ``needs_full`` says when.

``to_json`` / ``from_json`` carry the table and the special tokens without the tokenizer, for the
ONNX backend's compact tokenizer (``compact_tokenizer.py``), which never loads ``tokenizer.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tokenizers import Tokenizer, normalizers


@dataclass(frozen=True)
class CharMap:
    table: dict[int, str]
    rest: normalizers.Normalizer | None  # the normalizer steps after the per-codepoint rules
    specials: tuple[str, ...]

    def apply(self, text: str) -> str:
        """``text`` as the per-codepoint rules leave it."""
        return text.translate(self.table)

    def needs_full(self, text: str, mapped: str) -> bool:
        """Whether mapping ``text`` to ``mapped`` spelled a special token out of other characters."""
        return any(mapped.count(tok) != text.count(tok) for tok in self.specials)

    def to_json(self) -> str:
        """The table and the special tokens (not ``rest``) as JSON."""
        return json.dumps({"table": {str(cp): out for cp, out in self.table.items()},
                           "specials": list(self.specials)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CharMap:
        """A map written by ``to_json``; its ``rest`` is None."""
        data = json.loads(text)
        return cls(table={int(cp): out for cp, out in data["table"].items()}, rest=None,
                   specials=tuple(data["specials"]))


def _chain(cp: int, after: int, rules: dict[int, str]) -> str:
    """What the rules numbered above ``after`` make of the character ``cp``."""
    if cp not in rules or cp <= after:
        return chr(cp)
    return "".join(_chain(ord(ch), cp, rules) for ch in rules[cp])


def char_map_of(tokenizer: Tokenizer) -> CharMap | None:
    """The per-codepoint rules leading ``tokenizer``'s normalizer, or None if it has none or if
    they are not single characters in codepoint order (then the tokenizer is left as it is)."""
    data: dict[str, Any] = json.loads(tokenizer.to_str())
    steps = (data.get("normalizer") or {}).get("normalizers") or []
    rules: dict[int, str] = {}
    last = -1
    for step in steps:
        pattern = step.get("pattern", {}).get("String") if step.get("type") == "Replace" else None
        if pattern is None or len(pattern) != 1 or ord(pattern) <= last:
            break
        last = ord(pattern)
        rules[last] = step["content"]
    if len(rules) < 2:
        return None
    rest = normalizers.Sequence([])  # tokenizers builds a normalizer from JSON only via its state
    rest.__setstate__(json.dumps({"type": "Sequence", "normalizers": steps[len(rules):]}).encode())
    specials = tuple(tok["content"] for tok in data.get("added_tokens", []) if tok.get("special"))
    if any(ord(ch) in rules for tok in specials for ch in tok):
        return None
    table = {cp: _chain(cp, -1, rules) for cp in rules}
    return CharMap(table=table, rest=rest, specials=specials)

"""Texts that exercise a tokenizer: umlauts, quotes, numbers, links, emoji, full-width and
combining characters, other scripts, control and space-like characters, markup and SQL."""

from __future__ import annotations

import random

FRAGMENTS = [
    "Grüße aus München", "Straße", "STRASSE", "Fußgängerübergänge", "Äpfel, Öl und Übermut",
    "„Das ist ein Zitat“", "»Guillemets«", "‚einfach‘", '"plain quotes"', "it's",
    "6.500 Euro", "3,5 Prozent", "1.000.000", "24.08.2024", "15:30 Uhr", "-12,75 °C", "½ Liter",
    "https://www.tagesschau.de/ausland/durov-101.html?x=1&y=2#top", "mail@example.org",
    "🙂", "🫠🫠", "🪿🪿🪿", "👨‍👩‍👧", "❤️", "🇩🇪", "👍🏽",
    "ＡＢＣ１２３", "Ｔｅｌｅｇｒａｍ", "ﾃﾚｸﾞﾗﾑ", "Ａ\u0301", "ｅ\u0308", "①②③", "㎞", "ﬁnden", "Ⅻ",
    "e\u0301te\u0301", "a\u0308", "o\u0308\u0332", "Å", "n\u0303",
    "\u00a0geschützt", "Tab\tgetrennt", "Zeile\nneu", "Absatz\r\n\r\nweiter", "  doppelt  ",
    "\u3000ideographisch", "null\u200bbreit", "ver\u200dbunden", "\ufeffBOM", "\u2581Meta", "ende ",
    "Павел Дуров", "Τηλέγραφος", "تيليجرام", "טלגרם", "电报创始人", "テレグラムの創設者", "텔레그램",
    "टेलीग्राम", "เทเลแกรม", "Telegram-Gründer Pawel Durow", "Wer hat Durov festgenommen?",
    "Who arrested Durov?", "CEO", "Aufsichtsbehörden", "Ermittlungsrichter", "§ 129 StGB",
    "\x07bell", "C++ & C#", "<b>fett</b>", "a_b*c[d]", "'; DROP TABLE passages;--", "NEAR(",
]


def varied_strings(count: int = 260) -> list[str]:
    """Every fragment alone, then seeded mixtures of two to five fragments."""
    rng = random.Random(20240824)
    texts = list(FRAGMENTS)
    separators = [" ", "", ", ", "  ", "\t", " – ", "\n"]
    while len(texts) < count:
        parts = rng.sample(FRAGMENTS, rng.randint(2, 5))
        texts.append("".join(p + rng.choice(separators) for p in parts).rstrip(" "))
    return texts


# texts whose mapped form spells a special token that the text itself does not
SPELLED_SPECIALS = ["＜ｓ＞ Hallo", "Ende＜／ｓ＞", "＜ｍａｓｋ＞ und <s> echt", "<\x07s>", "<s> echt"]

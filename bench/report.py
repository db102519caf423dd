"""The benchmark's table: rows of figures, each with its target and whether it was reached."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    """Seconds as milliseconds, with precision suited to the size."""
    value = seconds * 1000.0
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.0f} MB" if n_bytes >= 1e7 else f"{n_bytes / 1e6:.1f} MB"


@dataclass(frozen=True)
class Row:
    """One figure of the table."""

    section: str
    metric: str
    value: str
    target: str = ""
    reached: bool | None = None  # None: no target for this figure
    note: str = ""

    @property
    def verdict(self) -> str:
        return "" if self.reached is None else ("reached" if self.reached else "NOT reached")


@dataclass
class Report:
    """Rows in the order they were measured, plus free-text notes printed under the table."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, metric: str, value: str, note: str = "") -> None:
        self.rows.append(Row(section, metric, value, note=note))

    def target(self, section: str, metric: str, value: str, target: str, reached: bool,
               note: str = "") -> None:
        self.rows.append(Row(section, metric, value, target, reached, note))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self) -> str:
        """A plain-text table (Markdown-compatible), then the notes."""
        header = ("section", "figure", "value", "target", "", "note")
        lines = [(r.section, r.metric, r.value, r.target, r.verdict, r.note) for r in self.rows]
        widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=True)]

        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [line(cells) for cells in lines]
        out += [f"- {text}" for text in self.notes]
        return "\n".join(out)

    def save(self, path: Path) -> None:
        """The rows and notes as JSON (for comparing runs)."""
        data = {"rows": [asdict(r) for r in self.rows], "notes": self.notes}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")

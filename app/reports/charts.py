"""The results page's charts as inline SVG, drawn on the server: no script, no CDN, and the
same picture on screen, in print and in the PDF the browser makes of the page.

Each chart is a `<svg>` with a viewBox (it scales to its box), a `<title>` and an aria-label
that say what it shows, and one `<g class="bar">` per item carrying `data-key` and `data-value`
(tests and screen readers read the numbers, not the pixels).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from html import escape

from markupsafe import Markup

from app.reports.press import usd_ko

WIDTH = 480
ROW = 24  # height of one horizontal bar's row
PALETTE = ("#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#0369a1", "#4d7c0f", "#a21caf")


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    value: Decimal  # what the bar's length shows (USD, or a count)
    note: str = ""  # written at the bar's end, e.g. "128건 · 1,841만 달러"


def display_width(text: str) -> int:
    """Columns the text takes: wide (Hangul, CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, columns: int) -> str:
    """`text` cut to `columns` display columns, with an ellipsis when cut."""
    if display_width(text) <= columns:
        return text
    out, used = "", 0
    for char in text:
        width = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used + width > columns - 1:
            break
        out, used = out + char, used + width
    return out + "…"


def money(value: Decimal, lang: str) -> str:
    """A USD figure short enough for a chart: US$18.41M, US$850K; 1,841만 달러 in Korean."""
    if lang == "ko":
        return usd_ko(value)
    if value >= 1_000_000:
        return f"US${(value / 1_000_000).quantize(Decimal('0.01'), ROUND_HALF_EVEN)}M"
    if value >= 1_000:
        return f"US${(value / 1_000).quantize(Decimal(1), ROUND_HALF_EVEN)}K"
    return f"US${value.quantize(Decimal(1), ROUND_HALF_EVEN)}"


def _svg(height: int, title: str, body: list[str], chart_id: str) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bar_chart(items: Sequence[Item], *, title: str, chart_id: str, empty: str) -> Markup:
    """Horizontal bars, largest first as given; labels left, notes after each bar."""
    if not items:
        body = [f'<text x="{WIDTH / 2}" y="30" text-anchor="middle" class="empty">'
                f"{escape(empty)}</text>"]
        return _svg(48, title, body, chart_id)
    label_width = 168
    note_width = 124
    span = WIDTH - label_width - note_width - 8
    top = max((item.value for item in items), default=Decimal(0)) or Decimal(1)
    body: list[str] = []
    for index, item in enumerate(items):
        y = 6 + index * ROW
        length = float(item.value / top) * span if item.value > 0 else 0.0
        colour = PALETTE[index % len(PALETTE)]
        body.append(
            f'<g class="bar" data-key="{escape(item.key)}" data-value="{item.value}">'
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" class="label">'
            f"{escape(clip(item.label, 24))}<title>{escape(item.label)}</title></text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{max(length, 1.5):.1f}" height="{ROW - 8}"'
            f' rx="3" fill="{colour}"/>'
            f'<text x="{label_width + max(length, 1.5) + 5:.1f}" y="{y + 15}" class="note">'
            f"{escape(item.note)}</text></g>"
        )
    body.insert(
        0,
        f'<line x1="{label_width}" y1="4" x2="{label_width}" y2="{8 + len(items) * ROW}" '
        f'class="axis"/>',
    )
    return _svg(12 + len(items) * ROW, title, body, chart_id)


def day_label(day: date, lang: str) -> str:
    return f"{day.month}월 {day.day}일" if lang == "ko" else f"{day.day} {day:%b}"


def column_chart(
    items: Sequence[Item], *, title: str, chart_id: str, empty: str, caption: Sequence[str] = ()
) -> Markup:
    """Vertical columns in the given order (days): the value above, label and caption below."""
    if not items:
        body = [f'<text x="{WIDTH / 2}" y="30" text-anchor="middle" class="empty">'
                f"{escape(empty)}</text>"]
        return _svg(48, title, body, chart_id)
    height, base, top_margin = 200, 150, 22
    slot = (WIDTH - 20) / len(items)
    bar = min(56.0, slot * 0.6)
    top = max(item.value for item in items) or Decimal(1)
    body = [f'<line x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}" class="axis"/>']
    for index, item in enumerate(items):
        x = 10 + index * slot + (slot - bar) / 2
        h = float(item.value / top) * (base - top_margin) if item.value > 0 else 0.0
        centre = x + bar / 2
        below = caption[index] if index < len(caption) else ""
        body.append(
            f'<g class="bar" data-key="{escape(item.key)}" data-value="{item.value}">'
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" rx="3" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{centre:.1f}" y="{base - h - 5:.1f}" text-anchor="middle" class="value">'
            f"{escape(item.note)}</text>"
            f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle" class="label">'
            f"{escape(clip(item.label, 12))}</text>"
            f'<text x="{centre:.1f}" y="{base + 32}" text-anchor="middle" class="note">'
            f"{escape(clip(below, 14))}</text></g>"
        )
    return _svg(height, title, body, chart_id)

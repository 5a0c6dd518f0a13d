"""The results page's SVG charts: well-formed, each bar as long as its share, labels that fit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from app.reports.charts import Item, bar_chart, clip, column_chart, day_label, display_width, money

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_bars_are_as_long_as_their_value_and_carry_it() -> None:
    items = [
        Item("KZ/Almaty", "카자흐스탄 알마티", Decimal("18410000.00"), "128건 · 1,841만 달러"),
        Item("RU/Moscow", "러시아 모스크바", Decimal("13930000.00"), "77건 · 1,393만 달러"),
        Item("UZ/Tashkent", "우즈베키스탄 타슈켄트", Decimal("0"), "0건"),
    ]
    svg = _parse(bar_chart(items, title="국가·도시별", chart_id="c", empty="-"))
    assert svg.get("aria-label") == "국가·도시별"
    assert svg.find(f"{SVG}title").text == "국가·도시별"  # type: ignore[union-attr]
    bars = svg.findall(f"{SVG}g")
    assert [bar.get("data-key") for bar in bars] == ["KZ/Almaty", "RU/Moscow", "UZ/Tashkent"]
    widths = [float(bar.find(f"{SVG}rect").get("width")) for bar in bars]  # type: ignore[union-attr, arg-type]
    assert abs(widths[1] / widths[0] - 13930 / 18410) < 0.01
    assert widths[2] < 2  # a zero is a sliver, not nothing
    assert "알마티" in ET.tostring(svg, encoding="unicode")


def test_an_empty_chart_says_so_and_text_is_escaped() -> None:
    svg = _parse(bar_chart([], title="<Top>", chart_id="c", empty="No consultation held yet"))
    assert svg.findall(f"{SVG}g") == []
    assert "No consultation held yet" in ET.tostring(svg, encoding="unicode")
    odd = [Item("1", "A&B <Co>", Decimal(5), "5 · \"US$5\"")]
    assert _parse(bar_chart(odd, title="t", chart_id="c", empty="-")) is not None


def test_columns_per_day_and_their_labels() -> None:
    items = [Item(day.isoformat(), day_label(day, "ko"), Decimal(n), f"{n}건")
             for day, n in ((date(2024, 6, 10), 72), (date(2024, 6, 11), 56))]
    svg = _parse(column_chart(items, title="일자별", chart_id="d", empty="-",
                              caption=["1,073만 달러", "768만 달러"]))
    heights = [float(g.find(f"{SVG}rect").get("height")) for g in svg.findall(f"{SVG}g")]  # type: ignore[union-attr, arg-type]
    assert abs(heights[1] / heights[0] - 56 / 72) < 0.01
    assert day_label(date(2024, 6, 10), "ko") == "6월 10일"
    assert day_label(date(2024, 6, 10), "en") == "10 Jun"


def test_labels_fit_by_display_width_and_money_is_short() -> None:
    assert display_width("알마티") == 6 and display_width("Almaty") == 6
    assert clip("Namdong Precision Motors Co.", 12) == "Namdong Pre…"
    assert display_width(clip("남동정밀기계주식회사 제2공장", 12)) <= 12
    assert money(Decimal("18410000"), "en") == "US$18.41M"
    assert money(Decimal("850000"), "en") == "US$850K"
    assert money(Decimal("18410000"), "ko") == "1,841만 달러"

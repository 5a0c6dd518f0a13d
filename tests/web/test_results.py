"""The results page of a finished mission at a glance, in Korean and English: the published
figures, server-drawn charts, the downloads, and one A4 page when printed to PDF."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, Playwright, expect

from app.database import create_engine, create_sessionmaker
from app.demo_results import ensure_finished_mission
from tests.conftest import _off_loop
from tests.web.browser import launch
from tests.web.conftest import Server

pytestmark = pytest.mark.browser

A4_POINTS = (595.0, 842.0)  # 210 x 297 mm


async def _finished(url: str) -> int:
    engine = create_engine(url)
    try:
        return (await ensure_finished_mission(create_sessionmaker(engine))).mission.id
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def finished_mission(server: Server) -> int:
    """The demo's finished mission (`make run` creates it) in the test server's database."""
    return int(_off_loop(asyncio.run, _finished(server.database_url)))


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The size in points of each page of a PDF as Chromium writes it (uncompressed page
    objects, one /MediaBox each): one entry per `/Type /Page` object."""
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
    boxes = re.findall(
        rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf
    )
    counts = re.findall(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", pdf, re.DOTALL)
    assert len(boxes) == len(pages), (len(boxes), len(pages))
    assert counts and int(counts[0]) == len(pages), (counts, len(pages))
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


def _tile(page: Page, key: str, attribute: str) -> str:
    value = page.locator(f"#figure-{key}").get_attribute(attribute)
    assert value is not None, (key, attribute)
    return value


def test_results_at_a_glance_in_korean_and_english_print_on_one_a4_page(
    server: Server, finished_mission: int, playwright: Playwright, tmp_path: Path,
    screenshots: Path,
) -> None:
    context, console = launch(playwright, tmp_path / "profile", locale="ko-KR")
    server.sign_in(context)
    try:
        page = context.new_page()
        url = f"{server.base_url}/missions/{finished_mission}/results"
        report = server.get(f"/missions/{finished_mission}/report")
        for lang, city, press_words in (
            ("ko", "알마티", ("3,234만 달러", "알마티 128건", "모스크바 77건", "약 446억 원")),
            ("en", "Almaty", ("US$32.34 million", "Almaty: 128 consultations", "Moscow")),
        ):
            page.goto(f"{url}?lang={lang}")
            # The published figures, first, in USD and KRW (as the report computes them).
            summary = report["summary"]
            assert _tile(page, "consultations", "data-count") == "205"
            for key in ("consultation_value", "expected_contract_value"):
                assert _tile(page, key, "data-usd") == summary[key]["usd"]
                assert _tile(page, key, "data-krw") == summary[key]["krw"]
            for key in ("onsite_contracts", "mous"):
                assert _tile(page, key, "data-count") == str(summary[key]["count"])
                assert _tile(page, key, "data-usd") == summary[key]["value"]["usd"]
            assert summary["consultation_value"]["usd"] == "32340000.00"
            tiles = page.locator("#figures")
            if lang == "ko":
                expect(tiles).to_contain_text("205건")
                expect(tiles).to_contain_text("3,234만 달러")
                expect(tiles).to_contain_text("약 446억 원")
                expect(tiles).to_contain_text("MOU")
            else:
                expect(tiles).to_contain_text("US$32.34 million")
                expect(tiles).to_contain_text("KRW 44.63 billion")
            # Four charts drawn on the server, their bars carrying the figures they show.
            for chart in ("place", "industry", "day", "company"):
                expect(page.locator(f"#chart-{chart} g.bar").first).to_be_attached()
            place = page.locator("#chart-place g.bar")
            expect(place).to_have_count(2)
            expect(place.first).to_have_attribute("data-key", "KZ/Almaty")
            expect(place.first).to_have_attribute("data-value", "18410000.00")
            expect(page.locator("#chart-place")).to_contain_text(city)
            days = page.locator("#chart-day g.bar")
            expect(days).to_have_count(4)
            held = sum(
                Decimal(days.nth(i).get_attribute("data-value") or "0") for i in range(4)
            )
            assert held == 205
            companies = page.locator("#chart-company g.bar")
            expect(companies).to_have_count(8)
            expect(page.locator("#chart-industry")).to_contain_text("cosmetics")
            for words in press_words:
                expect(page.locator("#press-text")).to_contain_text(words)
            # The list of every meeting names the buyer's city in the page's language too.
            expect(page.locator("#results")).to_contain_text(city)

            page.screenshot(path=str(screenshots / f"results-{lang}.png"), full_page=True)
            # The browser's print: the page's print CSS on A4 (as "Print / PDF" does).
            page.emulate_media(media="print")
            page.screenshot(path=str(screenshots / f"results-print-{lang}.png"), full_page=True)
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            page.emulate_media(media="no-override")
            (screenshots / f"results-{lang}.pdf").write_bytes(pdf)
            pages = pdf_pages(pdf)
            assert len(pages) == 1, pages
            width, height = pages[0]
            assert abs(width - A4_POINTS[0]) < 1.5 and abs(height - A4_POINTS[1]) < 1.5, pages

        # The downloads are buttons on the page.
        page.goto(f"{url}?lang=ko")
        with page.expect_download() as csv_download:
            page.click("#download-csv")
        rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
        first = rows[0]
        assert (first["breakdown"], first["consultations"]) == ("summary", "205")
        assert first["consultation_value_usd"] == "32340000.00"
        with page.expect_download() as xlsx_download:
            page.click("#download-xlsx")
        assert xlsx_download.value.suggested_filename.endswith(".xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
        assert "By city" in workbook.sheetnames
        with page.expect_download() as press_download:
            page.click("#download-press")
        press = Path(press_download.value.path()).read_text("utf-8")
        assert "알마티 128건(1,841만 달러)" in press and "US$" not in press
        assert console.errors == []
    finally:
        context.close()

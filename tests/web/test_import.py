"""The organiser imports companies (CSV) and buyers (XLSX) with a preview of each row's problems."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import FilePayload, Playwright, expect

from tests.web.browser import launch
from tests.web.conftest import Server

pytestmark = pytest.mark.browser

INDUSTRIES = ["화장품", "식품", "기계", "전자"]


def _companies_csv() -> bytes:
    lines = ["회사명,업종,주요품목,담당자,이메일,전화번호"]
    for i in range(1, 18):
        email = f"export{i}@company{i}.co.kr"
        if i == 9:
            email = "kim@@not-an-email"  # the one bad row
        industry = INDUSTRIES[i % 4]
        phone = f"032-453-{i:04d}"
        lines.append(f"테스트기업 {i:02d},{industry},품목 A; 품목 B,담당자 {i},{email},{phone}")
    # Excel's "CSV UTF-8" writes a byte-order mark; the importer takes it as it is.
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _buyers_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Buyer name", "Company", "Country", "City", "Products", "도시(한글)"])
    sheet.append(["Nguyen Van An", "Saigon Beauty JSC", "Vietnam", "Ho Chi Minh City", "cosmetics",
                  "호찌민"])
    sheet.append(["Tran Thi Binh", "Hanoi Foods", "VN", "Hanoi", "ready meals; sauces", None])
    sheet.append(["Aliya Nurlanovna", "Almaty Trade LLP", "Atlantis", "Almaty", "motors", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _empty_mission(server: Server) -> int:
    organisation = server.post("/organisations", {"name": "Gangseo-gu Office import test"})
    mission = server.post(
        "/missions",
        {
            "organisation_id": organisation["id"],
            "name": "Import test mission",
            "start_date": "2026-03-10",
            "end_date": "2026-03-12",
            "target_countries": ["VN"],
        },
    )
    return int(mission["id"])


def test_import_companies_csv_and_buyers_xlsx(
    server: Server, playwright: Playwright, tmp_path: Path, screenshots: Path
) -> None:
    mission_id = _empty_mission(server)
    context, console = launch(playwright, tmp_path / "profile", locale="ko-KR")
    server.sign_in(context)
    try:
        page = context.new_page()
        page.goto(f"{server.base_url}/missions/{mission_id}/import?kind=companies&lang=ko")
        page.set_input_files(
            "#import-file",
            {"name": "참가기업.csv", "mimeType": "text/csv", "buffer": _companies_csv()},
        )
        page.click("#import-check")
        expect(page.locator("#import-preview tbody tr")).to_have_count(17)
        bad = page.locator("#import-preview tr.row-bad")
        expect(bad).to_have_count(1)
        expect(bad).to_have_attribute("data-line", "10")  # heading is line 1: company 9
        expect(bad).to_contain_text("이메일")
        expect(page.locator("#import-summary")).to_contain_text("16")
        expect(page.locator("#import-confirm")).to_contain_text("16")
        page.screenshot(path=str(screenshots / "import-preview-ko.png"), full_page=True)

        # Nothing is saved before the confirmation.
        assert server.get(f"/missions/{mission_id}/companies")["total"] == 0
        page.click("#import-confirm")
        expect(page.locator("#import-done")).to_contain_text("16")
        expect(page.get_by_test_id("company-count")).to_have_text("16")
        page.screenshot(path=str(screenshots / "import-done-ko.png"), full_page=True)

        saved = server.get(f"/missions/{mission_id}/companies", limit=100)
        assert saved["total"] == 16
        names = {company["name"] for company in saved["items"]}
        assert "테스트기업 09" not in names
        assert {f"테스트기업 {i:02d}" for i in range(1, 18) if i != 9} == names
        first = next(c for c in saved["items"] if c["name"] == "테스트기업 01")
        assert first["products"] == ["품목 A", "품목 B"]
        assert first["contact_email"] == "export1@company1.co.kr"

        # The same file again: every row is already in the mission.
        page.goto(f"{server.base_url}/missions/{mission_id}/import?kind=companies")
        again: FilePayload = {
            "name": "again.csv", "mimeType": "text/csv", "buffer": _companies_csv()
        }
        page.set_input_files("#import-file", again)
        page.click("#import-check")
        expect(page.locator("#import-preview tr.row-bad")).to_have_count(17)
        expect(page.locator("#import-confirm")).to_have_count(0)

        # Buyers from an Excel workbook, in English: country names become ISO codes.
        page.goto(f"{server.base_url}/missions/{mission_id}/import?kind=buyers&lang=en")
        page.set_input_files(
            "#import-file",
            {
                "name": "buyers.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _buyers_xlsx(),
            },
        )
        page.click("#import-check")
        expect(page.locator("#import-preview tr.row-ok")).to_have_count(2)
        expect(page.locator("#import-preview tr.row-bad")).to_have_count(1)
        expect(page.locator("#import-preview tr.row-bad")).to_contain_text("Country")
        page.screenshot(path=str(screenshots / "import-preview-en.png"), full_page=True)
        page.click("#import-confirm")
        expect(page.get_by_test_id("buyer-count")).to_have_text("2")
        buyers = server.get(f"/missions/{mission_id}/buyers")["items"]
        assert {b["country"] for b in buyers} == {"VN"}
        # A city's Korean name can come with the list (else the report knows it or keeps it).
        korean = {b["city"]: b["city_ko"] for b in buyers}
        assert korean == {"Ho Chi Minh City": "호찌민", "Hanoi": ""}
        assert console.errors == []
    finally:
        context.close()

"""Re-entering a mission held elsewhere through the console: companies, buyers, rates, then
214 meetings with their outcomes (corrections, KZT/RUB/USD, no-shows) from one XLSX file;
the report's figures against the ones computed from the file here; the same file again
changes nothing; a file with 5 bad rows is refused with those 5 rows named."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, Playwright, expect

from tests.app.imports.missionfile import (
    KRW_PER_USD,
    MissionFile,
    cis_mission,
    expected_figures,
    to_xlsx,
)
from tests.web.browser import launch
from tests.web.conftest import Server

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_numbers = itertools.count(1)


def _mission(server: Server, file: MissionFile) -> int:
    n = next(_numbers)
    organisation = server.post("/organisations", {"name": f"Namdong-gu Office re-entry {n}"})
    mission = server.post(
        "/missions",
        {
            "organisation_id": organisation["id"],
            "name": f"CIS trade mission 2024 ({n})",
            "start_date": file.start.isoformat(),
            "end_date": file.end.isoformat(),
            "timezone": "Asia/Seoul",
            "target_countries": ["KZ", "RU"],
        },
    )
    return int(mission["id"])


def _companies_csv(file: MissionFile) -> bytes:
    lines = ["회사명,업종"] + [f"{c['name']},{c['industry']}" for c in file.companies]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _buyers_xlsx(file: MissionFile) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Buyer name", "Company", "Country", "City"])
    for buyer in file.buyers:
        sheet.append([buyer["name"], buyer["company_name"], buyer["country"], buyer["city"]])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(page: Page, base: str, mission_id: int, kind: str, name: str, content: bytes) -> None:
    page.goto(f"{base}/missions/{mission_id}/import?kind={kind}&lang=ko")
    kind_type = "text/csv" if name.endswith(".csv") else XLSX
    page.set_input_files("#import-file", {"name": name, "mimeType": kind_type, "buffer": content})
    page.check(f"input[name=kind][value={kind}]")
    page.click("#import-check")
    expect(page.locator("#import-preview")).to_be_visible()


def _add_rate(page: Page, currency: str, day: str, rate: str) -> None:
    page.fill("#rate-currency", currency)
    page.fill("#rate-date", day)
    page.fill("#rate-value", rate)
    page.click("#rate-add")
    expect(page.locator(f'#rates-table tr[data-currency="{currency}"]')).to_be_visible()


def _figures(page: Page) -> dict[str, Any]:
    """The published figures as the results page shows them (its tiles' data)."""

    def attr(key: str, name: str) -> str:
        value = page.locator(f"#figure-{key}").get_attribute(f"data-{name}")
        assert value is not None, (key, name)
        return value

    def money(key: str) -> dict[str, str | None]:
        return {"usd": attr(key, "usd"), "krw": attr(key, "krw") or None}

    return {
        "consultations": int(attr("consultations", "count")),
        "consultation_value": money("consultation_value"),
        "expected_contract_value": money("expected_contract_value"),
        "onsite_contracts": {"count": int(attr("onsite_contracts", "count")),
                             "value": money("onsite_contracts")},
        "mous": {"count": int(attr("mous", "count")), "value": money("mous")},
    }


def _published(expected: dict[str, Any]) -> dict[str, Any]:
    return {key: expected[key] for key in (
        "consultations", "consultation_value", "expected_contract_value", "onsite_contracts",
        "mous")}  # fmt: skip


def _bad_copy(file: MissionFile) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The file with five rows spoiled, one way each; (rows, line -> the field named)."""
    rows = [dict(row) for row in file.rows]
    once = [i for i, row in enumerate(rows)
            if sum(1 for r in rows if r["key"] == row["key"]) == 1 and row.get("currency")]
    spoiled = {}
    for index, (name, value) in zip(
        once[3:60:12],
        [
            ("company", "Nonexistent Motors"),  # unknown company
            ("buyer_company", "Tashkent Nobody LLP"),  # unknown buyer
            ("consultation_value", "12,34"),  # bad amount
            ("currency", "XYZ"),  # bad currency
            ("date", "2024-06-20"),  # a date outside the mission
        ],
        strict=True,
    ):
        rows[index][name] = value
        spoiled[index + 2] = name  # the heading is line 1
    return rows, spoiled


def test_a_mission_held_elsewhere_is_reentered_from_one_xlsx_file(
    server: Server, playwright: Playwright, tmp_path: Path, screenshots: Path
) -> None:
    file = cis_mission(tag="W")
    assert len(file.meeting_keys) >= 200
    mission_id = _mission(server, file)
    base = server.base_url
    context, console = launch(playwright, tmp_path / "profile", locale="ko-KR")
    server.sign_in(context)
    try:
        page = context.new_page()
        # Its companies and buyers, as before.
        _upload(page, base, mission_id, "companies", "참가기업.csv", _companies_csv(file))
        page.click("#import-confirm")
        expect(page.get_by_test_id("company-count")).to_have_text(str(len(file.companies)))
        _upload(page, base, mission_id, "buyers", "buyers.xlsx", _buyers_xlsx(file))
        page.click("#import-confirm")
        expect(page.get_by_test_id("buyer-count")).to_have_text(str(len(file.buyers)))

        # The mission stated KZT and RUB rates only: no KRW rate is asked for.
        page.goto(f"{base}/missions/{mission_id}/import?kind=meetings&lang=ko")
        _add_rate(page, "KZT", "2024-06-01", "500")
        _add_rate(page, "RUB", "2024-06-01", "80")

        # The meetings file: previewed, nothing written until confirmed.
        _upload(page, base, mission_id, "meetings", "상담일지.xlsx", to_xlsx(file.rows))
        summary = page.locator("#import-summary")
        expect(summary.locator('[data-count="meetings"]')).to_contain_text("214")
        expect(summary.locator('[data-count="created"]')).to_contain_text("214")
        expect(summary.locator('[data-count="versions"]')).to_contain_text(
            str(len(file.rows) - 9)  # every row but the no-shows states an outcome version
        )
        expect(page.locator("#import-preview tr.row-bad")).to_have_count(0)
        page.screenshot(path=str(screenshots / "import-meetings-preview-ko.png"), full_page=True)
        assert server.get(f"/missions/{mission_id}/meetings")["total"] == 0
        page.click("#import-confirm")

        # The results page: the figures the file says, in USD; KRW waits for a rate.
        expect(page.locator("#import-done")).to_contain_text("214")
        expected = expected_figures(file, krw=False)
        assert _figures(page) == _published(expected)
        expect(page.locator("#figure-consultation_value .krw.missing")).to_be_visible()
        expect(page.locator("#missing-rates li")).to_have_count(2)  # the mission's two days
        assert server.get(f"/missions/{mission_id}/meetings")["total"] == 214
        no_shows = server.get(f"/missions/{mission_id}/meetings", status="no_show")["total"]
        assert no_shows == expected["no_shows"] == 9

        # A KRW rate entered on the results page completes the KRW figures.
        page.fill("#rate-value", str(KRW_PER_USD))
        page.click("#rate-add")
        expect(page.locator("#missing-rates")).to_have_count(0)
        assert _figures(page) == _published(expected_figures(file, krw=True))
        page.screenshot(path=str(screenshots / "import-meetings-results-ko.png"), full_page=True)
        report = server.get(f"/missions/{mission_id}/report", as_of="2024-12-31")
        events = server.get("/audit", mission_id=mission_id, limit=1)["total"]

        # The same file again: the preview says nothing changes; confirming anyway writes nothing.
        _upload(page, base, mission_id, "meetings", "상담일지.xlsx", to_xlsx(file.rows))
        expect(page.locator("#import-nothing")).to_be_visible()
        for count in ("created", "updated", "versions"):
            expect(summary.locator(f'[data-count="{count}"]')).to_contain_text("0")
        expect(page.locator("#import-confirm")).to_have_count(0)
        page.evaluate("document.querySelector('#import-confirm-form').submit()")
        expect(page.locator("#import-done")).to_be_visible()
        assert server.get(f"/missions/{mission_id}/report", as_of="2024-12-31") == report
        assert server.get("/audit", mission_id=mission_id, limit=1)["total"] == events
        assert server.get(f"/missions/{mission_id}/meetings")["total"] == 214

        # Five bad rows: the file is refused, those five rows named with their field.
        rows, spoiled = _bad_copy(file)
        _upload(page, base, mission_id, "meetings", "상담일지-오류.xlsx", to_xlsx(rows))
        bad = page.locator("#import-preview tr.row-bad")
        expect(bad).to_have_count(5)
        assert sorted(int(bad.nth(i).get_attribute("data-line") or 0) for i in range(5)) == sorted(
            spoiled
        )
        for line, field in spoiled.items():
            named = page.locator(f'#import-preview tr[data-line="{line}"] li[data-field="{field}"]')
            expect(named).to_have_count(1)
        expect(page.locator("#import-refused")).to_contain_text("5")
        expect(page.locator("#import-confirm")).to_have_count(0)
        page.screenshot(path=str(screenshots / "import-meetings-refused-ko.png"), full_page=True)
        assert server.get(f"/missions/{mission_id}/report", as_of="2024-12-31") == report
        assert console.errors == []
    finally:
        context.close()

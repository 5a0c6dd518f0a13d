"""The mission report: every figure of the summary and each breakdown, in USD and KRW."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories
from tests.app.outcomes.helpers import put_rates
from tests.app.reports.scenario import BREAKDOWNS, SUMMARY, Mission2026, enter_mission


@pytest.fixture
async def mission(session: AsyncSession, client: httpx.AsyncClient) -> Mission2026:
    return await enter_mission(session, client)


async def _report(client: httpx.AsyncClient, mission_id: int, as_of: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/missions/{mission_id}/report", params={"as_of": as_of})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _expected_key(dimension: str, key: str, mission: Mission2026) -> str:
    if dimension == "company":
        return str(mission.company_ids[key])
    if dimension == "buyer":
        return str(mission.buyer_ids[key])
    return key


async def test_summary_and_every_breakdown_match_the_hand_computed_figures(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    report = await _report(client, mission.mission_id, "2026-07-01")
    assert report["summary"] == SUMMARY
    assert set(report["breakdowns"]) == set(BREAKDOWNS)
    for dimension, rows in BREAKDOWNS.items():
        got = [
            (row["key"], row["label"], row["figures"]) for row in report["breakdowns"][dimension]
        ]
        want = [(_expected_key(dimension, key, mission), label, f) for key, label, f in rows]
        assert got == want, dimension
    assert report["breakdowns"]["country"][0]["label_ko"] == "카자흐스탄"


async def test_contracts_signed_later_count_from_their_signing_date(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    before = await _report(client, mission.mission_id, "2026-06-14")
    assert before["signed_later"] == {
        "count": 0,
        "value": {"usd": "0.00", "krw": "0"},
        "contracts": [],
    }
    assert before["contracts_total"] == SUMMARY["onsite_contracts"]

    after = await _report(client, mission.mission_id, "2026-06-15")
    # KZT 5,000,000 / 500 = USD 10,000; x 1450 (the KRW rate of 03-11, the latest by 06-15)
    assert after["signed_later"]["count"] == 1
    assert after["signed_later"]["value"] == {"usd": "10000.00", "krw": "14500000"}
    (contract,) = after["signed_later"]["contracts"]
    assert (contract["meeting_id"], contract["signed_on"], contract["amount"]) == (
        mission.meetings["M1"],
        "2026-06-15",
        "5000000.00",
    )
    # 2 on-site (30,000 / 42,000,000) + 1 signed later (10,000 / 14,500,000)
    assert after["contracts_total"] == {
        "count": 3,
        "value": {"usd": "40000.00", "krw": "56500000"},
    }
    assert after["summary"] == SUMMARY  # the mission-day figures stay as they were


async def test_the_xlsx_cells_hold_the_json_figures_as_formatted_numbers(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    report = await _report(client, mission.mission_id, "2026-07-01")
    response = await client.get(
        f"/api/v1/missions/{mission.mission_id}/report.xlsx", params={"as_of": "2026-07-01"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Summary",
        "By country",
        "By city",
        "By industry",
        "By company",
        "By buyer",
        "By day",
        "Signed later",
        "Press release",
    ]

    def check(sheet_row: tuple[Any, ...], first: int, figures: dict[str, Any]) -> None:
        cells = sheet_row[first:]
        values = [cell.value for cell in cells]
        expected = _flat(figures)
        assert len(values) == len(expected)
        for cell, value, want in zip(cells, values, expected, strict=True):
            if want is None:
                assert value is None
                continue
            assert isinstance(value, int | float), (cell.coordinate, value)
            assert Decimal(str(value)) == Decimal(want), (cell.coordinate, value, want)
        formats = [cell.number_format for cell in cells]
        assert formats[7] == '"US$"#,##0.00' and formats[8] == '"₩"#,##0'
        assert formats[3] == "0.00%" and formats[1] == "#,##0"

    summary = workbook["Summary"]
    assert summary["A1"].font.bold
    check(tuple(summary.iter_rows(min_row=2, max_row=2))[0], 1, report["summary"])
    for dimension, title in [
        ("country", "By country"),
        ("city", "By city"),
        ("industry", "By industry"),
        ("company", "By company"),
        ("buyer", "By buyer"),
        ("day", "By day"),
    ]:
        sheet = workbook[title]
        rows = list(sheet.iter_rows(min_row=2))
        assert len(rows) == len(report["breakdowns"][dimension])
        for sheet_row, row in zip(rows, report["breakdowns"][dimension], strict=True):
            assert (sheet_row[0].value, sheet_row[1].value) == (row["key"], row["label"])
            check(sheet_row, 3, row["figures"])
    later = workbook["Signed later"]
    assert later["F2"].value == 5000000 and later["G2"].value == "KZT"
    assert Decimal(str(later["H2"].value)) == Decimal("10000.00")
    assert Decimal(str(later["I2"].value)) == Decimal("14500000")
    assert workbook["Press release"]["B1"].value == report["press_release"]["en"]
    assert workbook["Press release"]["B2"].value == report["press_release"]["ko"]


def _flat(figures: dict[str, Any]) -> list[Any]:
    return [
        figures["meetings"],
        figures["consultations"],
        figures["no_shows"],
        figures["no_show_rate"],
        figures["companies"],
        figures["buyers"],
        figures["interpreter_minutes"],
        figures["consultation_value"]["usd"],
        figures["consultation_value"]["krw"],
        figures["expected_contract_value"]["usd"],
        figures["expected_contract_value"]["krw"],
        figures["onsite_contracts"]["count"],
        figures["onsite_contracts"]["value"]["usd"],
        figures["onsite_contracts"]["value"]["krw"],
        figures["mous"]["count"],
        figures["mous"]["value"]["usd"],
        figures["mous"]["value"]["krw"],
    ]


async def test_the_csv_holds_the_json_figures(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    report = await _report(client, mission.mission_id, "2026-07-01")
    response = await client.get(f"/api/v1/missions/{mission.mission_id}/report.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["breakdown", "key", "label", "label_ko"]
    assert rows[1][4:] == [str(v) for v in _flat(report["summary"])]
    by_dimension = [row for row in rows[2:] if row[0] == "industry"]
    assert [row[1] for row in by_dimension] == ["cosmetics", "machinery"]
    assert by_dimension[1][4:] == [
        str(v) for v in _flat(report["breakdowns"]["industry"][1]["figures"])
    ]
    assert len(rows) == 2 + sum(len(rows) for rows in report["breakdowns"].values())


async def test_the_press_paragraphs_carry_the_report_figures(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        f"/api/v1/missions/{mission.mission_id}/report/press",
        params={"as_of": "2026-07-01", "organiser": "Namdong-gu"},
    )
    assert response.status_code == 200
    press = response.json()
    # USD 172,500.01 -> "US$172,500"; 65,000; 30,000; 20,000; later 10,000. KRW 242,000,009.
    assert press["en"] == (
        "At Namdong-gu's CIS trade mission 2026, 3 companies held 4 consultations with 3 buyers "
        "from Kazakhstan and Russia, worth US$172,500 in total. 2 on-site contracts worth "
        "US$30,000 and 1 MOU worth US$20,000 were signed. Of the consultation value, US$65,000 "
        "is expected to become contracts. By city, Almaty: 3 consultations (US$160,000), "
        "1 contract (US$20,000), 1 MOU (US$20,000); Moscow: 1 consultation (US$12,500), 1 contract "
        "(US$10,000). Since then, 1 further contract worth US$10,000 has been signed in "
        "follow-up (as of 1 July 2026)."
    )
    assert press["ko"] == (
        "Namdong-gu CIS trade mission 2026에서 참가 기업 3개사가 카자흐스탄·러시아 바이어 "
        "3개사와 1:1 상담 4건을 진행해 상담액 17만 2,500달러(약 2억 원)의 성과를 거뒀다. "
        "현장 계약 2건(3만 달러), MOU 1건(2만 달러)이 체결됐으며, 계약 추진액은 6만 5,000달러에 "
        "이른다. 도시별 상담 실적은 알마티 3건(16만 달러), 모스크바 1건(1만 2,500달러)이다. "
        "이후 사후 관리를 통해 계약 1건(1만 달러)이 추가로 체결됐다(2026년 7월 1일 기준)."
    )


async def test_comparison_year_over_year(
    session: AsyncSession, client: httpx.AsyncClient, mission: Mission2026
) -> None:
    from datetime import date

    from app.meetings.models import MeetingStatus

    earlier = await factories.mission(
        session,
        name="CIS trade mission 2025",
        start_date=date(2025, 3, 11),
        end_date=date(2025, 3, 12),
    )
    earlier_id = earlier.id
    await put_rates(client, earlier_id, [("KRW", "2025-03-01", "1300")])
    held = await factories.meeting(session, mission_=earlier, status=MeetingStatus.COMPLETED)
    response = await client.post(
        f"/api/v1/meetings/{held.id}/outcome",
        json={
            "recorded_by": "Kim",
            "role": "organiser",
            "currency": "USD",
            "consultation_value": "100000",
            "mou_amount": "5000",
        },
    )
    assert response.status_code == 201, response.text

    response = await client.get(
        "/api/v1/reports/comparison",
        params=[("mission_id", mission.mission_id), ("mission_id", earlier_id)],
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [row["mission"]["name"] for row in rows] == [
        "CIS trade mission 2025",
        "CIS trade mission 2026",
    ]
    assert rows[0]["change"] is None
    assert rows[0]["figures"]["consultation_value"] == {"usd": "100000.00", "krw": "130000000"}
    assert rows[1]["figures"] == SUMMARY
    # (4 - 1) / 1; (172,500.01 - 100,000) / 100,000 = 0.7250001; MOUs 1 -> 1; on-site 0 -> 2
    assert rows[1]["change"] == {
        "consultations": "3.0000",
        "consultation_value_usd": "0.7250",
        "onsite_contracts": None,
        "mous": "0.0000",
        "expected_contract_value_usd": None,
    }


async def test_reminders_list_open_follow_ups_due_or_overdue(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    url = f"/api/v1/missions/{mission.mission_id}/follow-ups/reminders"
    week = (await client.get(url, params={"on": "2026-06-10"})).json()
    assert [(r["meeting_id"], r["state"], r["days_overdue"], r["stage"]) for r in week] == [
        (mission.meetings["M4"], "overdue", 9, "contacted"),
    ]
    assert week[0]["company"] == "Beauty A" and week[0]["buyer_company"] == "Steppe Foods"
    fortnight = (await client.get(url, params={"on": "2026-06-10", "within_days": 14})).json()
    assert [(r["meeting_id"], r["state"]) for r in fortnight] == [
        (mission.meetings["M4"], "overdue"),
        (mission.meetings["M2"], "due"),
    ]


async def test_a_report_for_an_unknown_mission_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/missions/999999/report")).status_code == 404


async def test_a_signed_contract_needs_its_amount_and_a_rate(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    url = f"/api/v1/meetings/{mission.meetings['M2']}/follow-up"
    incomplete = {"updated_by": "Kim", "stage": "contract_signed", "contract_currency": "KZT"}
    assert (await client.put(url, json=incomplete)).status_code == 422
    too_early = incomplete | {"contract_amount": "100", "contract_signed_on": "2026-03-01"}
    response = await client.put(url, json=too_early)  # no KZT rate dated on or before 03-01
    assert response.status_code == 422 and response.json()["field"] == "contract_currency"
    bad = incomplete | {"contract_amount": "-5", "contract_signed_on": "2026-06-01"}
    assert (await client.put(url, json=bad)).status_code == 422
    current = (await client.get(url)).json()
    assert (current["stage"], current["due_on"]) == ("negotiating", "2026-06-20")


async def test_a_report_over_several_missions_is_the_same_for_one(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    one = await _report(client, mission.mission_id, "2026-07-01")
    response = await client.get(
        "/api/v1/reports/summary", params={"mission_id": mission.mission_id, "as_of": "2026-07-01"}
    )
    assert response.status_code == 200
    assert response.json() == one


async def test_a_name_that_looks_like_a_formula_stays_text_in_both_exports(
    mission: Mission2026, client: httpx.AsyncClient
) -> None:
    key, company_id = next(iter(mission.company_ids.items()))
    name = '=HYPERLINK("http://attacker.invalid","click")'
    response = await client.patch(f"/api/v1/companies/{company_id}", json={"name": name})
    assert response.status_code == 200, response.text
    params = {"as_of": "2026-07-01"}
    base = f"/api/v1/missions/{mission.mission_id}/report"

    xlsx = await client.get(f"{base}.xlsx", params=params)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["By company"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == str(company_id)]
    assert len(cells) == 1, key
    assert cells[0].value == name and cells[0].data_type == "s"

    csv_response = await client.get(f"{base}.csv", params=params)
    rows = list(csv.reader(io.StringIO(csv_response.text)))
    labels = [row[2] for row in rows if row[:2] == ["company", str(company_id)]]
    assert labels == ["'" + name]

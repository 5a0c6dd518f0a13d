"""A KRW rate is asked for only to show KRW: a USD or KZT/RUB mission reports in USD without
one, the report says which totals lack it, and entering it later completes them exactly."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import MeetingStatus
from tests import factories
from tests.app.outcomes.helpers import outcome, put_rates

DAY1, DAY2 = date(2026, 3, 10), date(2026, 3, 11)


async def _cis_mission(
    session: AsyncSession, client: httpx.AsyncClient, rates: list[tuple[str, str, str]]
) -> int:
    """Two held meetings (USD on day 1, KZT on day 2), one no-show, and a contract signed later."""
    mission = await factories.mission(
        session, start_date=DAY1, end_date=DAY2, target_countries=["KZ"]
    )
    await put_rates(client, mission, rates)
    company = await factories.company(session, mission_=mission, industry="machinery")
    buyers = [
        await factories.buyer(session, mission_=mission, country="KZ", city="Almaty")
        for _ in range(3)
    ]
    plan = [
        (DAY1, buyers[0], MeetingStatus.COMPLETED, {"currency": "USD", "mou_amount": "20000"}),
        (
            DAY2,
            buyers[1],
            MeetingStatus.COMPLETED,
            {
                "currency": "KZT",
                "consultation_value": "25000000",
                "expected_contract_value": "5000000",
                "onsite_contract_amount": "2500000",
            },
        ),
        (DAY2, buyers[2], MeetingStatus.NO_SHOW, None),
    ]
    for hour, (day, buyer, status, body) in enumerate(plan, start=10):
        starts = factories.seoul(day, hour)
        meeting = await factories.meeting(
            session,
            mission_=mission,
            company_=company,
            buyer_=buyer,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            status=status,
        )
        if body is not None:
            response = await client.post(
                f"/api/v1/meetings/{meeting.id}/outcome", json=outcome(**body)
            )
            assert response.status_code == 201, response.text
            if day == DAY2:
                signed = await client.put(
                    f"/api/v1/meetings/{meeting.id}/follow-up",
                    json={
                        "updated_by": "Organiser Kim",
                        "stage": "contract_signed",
                        "contract_amount": "1000000",
                        "contract_currency": "KZT",
                        "contract_signed_on": "2026-05-02",
                    },
                )
                assert signed.status_code == 200, signed.text
    return mission.id


async def _report(client: httpx.AsyncClient, mission_id: int) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/missions/{mission_id}/report", params={"as_of": "2026-07-01"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_kzt_mission_reports_in_usd_without_a_krw_rate_and_names_what_lacks_one(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission_id = await _cis_mission(session, client, [("KZT", "2026-03-01", "500")])
    report = await _report(client, mission_id)
    summary = report["summary"]
    # USD 100,000 (the outcome helper's value) + KZT 25,000,000 / 500 = 150,000.
    assert summary["consultations"] == 2
    assert summary["consultation_value"] == {"usd": "150000.00", "krw": None}
    assert summary["expected_contract_value"] == {"usd": "60000.00", "krw": None}
    assert summary["onsite_contracts"] == {"count": 1, "value": {"usd": "5000.00", "krw": None}}
    assert summary["mous"] == {"count": 1, "value": {"usd": "20000.00", "krw": None}}
    assert report["signed_later"]["value"] == {"usd": "2000.00", "krw": None}
    assert report["contracts_total"]["value"] == {"usd": "7000.00", "krw": None}
    assert report["missing_rates"] == [
        {
            "currency": "KRW",
            "on": "2026-03-10",
            "meetings": 1,
            "totals": ["consultation_value", "expected_contract_value", "mous"],
        },
        {
            "currency": "KRW",
            "on": "2026-03-11",
            "meetings": 1,
            "totals": ["consultation_value", "expected_contract_value", "onsite_contracts"],
        },
        {"currency": "KRW", "on": "2026-05-02", "meetings": 1, "totals": ["signed_later"]},
    ]
    press = report["press_release"]
    assert "15만 달러의 성과를 거뒀다" in press["ko"]  # no "(약 ... 원)" without a KRW rate
    assert "US$150,000" in press["en"]
    for path in ("report.csv", "report.xlsx"):
        response = await client.get(f"/api/v1/missions/{mission_id}/{path}")
        assert response.status_code == 200, (path, response.text[:200])


async def test_a_krw_rate_entered_later_completes_the_krw_figures_exactly(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    late = await _cis_mission(session, client, [("KZT", "2026-03-01", "500")])
    # A KRW rate dated day 1 applies to every day from then on (the signing day too).
    await put_rates(client, late, [("KRW", "2026-03-10", "1400")])
    partial = await _report(client, late)
    assert partial["missing_rates"] == []
    await put_rates(client, late, [("KRW", "2026-03-11", "1450")])
    completed = await _report(client, late)

    # The same mission with every rate known from the start.
    rates = [("KZT", "2026-03-01", "500"), ("KRW", "2026-03-10", "1400")]
    known = await _cis_mission(session, client, rates)
    expected = await _report(client, known)
    assert partial["summary"] == expected["summary"]
    assert partial["signed_later"]["value"] == expected["signed_later"]["value"]
    # USD 100,000 x 1400 + USD 50,000 x 1400 = KRW 210,000,000; the later 1450 rate of day 2
    # does not change a value already made with the 1400 rate.
    assert completed["summary"]["consultation_value"] == {"usd": "150000.00", "krw": "210000000"}
    assert completed["missing_rates"] == []


async def test_a_krw_rate_dated_after_a_day_leaves_that_day_missing(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission_id = await _cis_mission(session, client, [("KZT", "2026-03-01", "500")])
    await put_rates(client, mission_id, [("KRW", "2026-03-11", "1450")])
    report = await _report(client, mission_id)
    assert [entry["on"] for entry in report["missing_rates"]] == ["2026-03-10"]
    assert report["summary"]["consultation_value"]["krw"] is None
    # Day 2's amounts have their KRW value: KZT 25,000,000 / 500 x 1450.
    by_day = {row["key"]: row["figures"] for row in report["breakdowns"]["day"]}
    assert by_day["2026-03-11"]["consultation_value"] == {"usd": "50000.00", "krw": "72500000"}
    assert by_day["2026-03-10"]["consultation_value"] == {"usd": "100000.00", "krw": None}
    # And the version notes the rate it got.
    versions = await client.get(
        f"/api/v1/missions/{mission_id}/meetings", params={"status": "completed"}
    )
    day2 = [m for m in versions.json()["items"] if m["starts_at"].startswith("2026-03-11")][0]
    current = (await client.get(f"/api/v1/meetings/{day2['id']}/outcome")).json()
    assert (current["krw_per_usd"], current["krw_rate_date"]) == ("1450", "2026-03-11")


async def test_a_krw_amount_still_needs_the_krw_rate(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session, start_date=DAY1, end_date=DAY2)
    meeting = await factories.meeting(session, mission_=mission, status=MeetingStatus.COMPLETED)
    response = await client.post(
        f"/api/v1/meetings/{meeting.id}/outcome",
        json=outcome(currency="KRW", consultation_value="14500000"),
    )
    assert response.status_code == 422
    assert "No exchange rate for KRW" in response.json()["detail"]

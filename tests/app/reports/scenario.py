"""A two-day CIS mission entered through the API, with hand-computed expected figures.

Rates (units per US dollar), entered by the organiser:
  KRW 1400 from 2026-03-09, 1450 from 2026-03-11; KZT 500 and RUB 80 from 2026-03-09.

Meetings (Seoul time; held = completed):
  M1 Beauty A (cosmetics) - Aidos, Almaty Trade (KZ)   03-10 08:30-09:00 interp.  held
     USD: consultation 100,000; expected 50,000; on-site contract 20,000
     (08:30 Seoul is 23:30 UTC on 03-09: the day is the mission's local day)
  M2 Motor B (machinery) - Aidos (KZ)                   03-10 10:00-10:30 interp.  held
     KZT: consultation 25,000,000; expected 5,000,000; MOU 10,000,000
  M3 Seat C (machinery) - Ivan, Moscow Stage (RU)       03-10 11:00-11:30          held
     RUB, edited twice; last: consultation 1,000,000.50; expected 400,000; on-site 800,000
  M4 Beauty A - Dana, Steppe Foods (KZ)                 03-11 08:00-09:00 interp.  held
     KRW: consultation 14,500,000 (03-11 local, 23:00 UTC 03-10: the 1450 rate applies);
     on-site contract 0 and MOU 0: no deal, not counted
  M5 Motor B - Dana (KZ)                                03-11 10:00-10:30 interp.  no-show
  M6 Seat C - Aidos (KZ)                                03-11 11:00-11:30          cancelled
  M7 Beauty A - Ivan (RU)                               03-11 12:00-12:30          scheduled
     USD 999,999 refused (409: outcomes only for held meetings)
Follow-up: M1 contract signed 2026-06-15, KZT 5,000,000 (KZT 500, KRW 1450 -> USD 10,000,
KRW 14,500,000); M2 negotiating due 06-20; M4 contacted due 06-01; M3 dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from tests import factories
from tests.app.outcomes.helpers import put_rates

DAY1, DAY2 = date(2026, 3, 10), date(2026, 3, 11)


@dataclass
class Mission2026:
    mission_id: int
    meetings: dict[str, int]
    company_ids: dict[str, int]
    buyer_ids: dict[str, int]


async def _outcome(client: httpx.AsyncClient, meeting_id: int, **fields: object) -> None:
    body = {"recorded_by": "Lee Seat", "role": "company_seat"} | fields
    response = await client.post(f"/api/v1/meetings/{meeting_id}/outcome", json=body)
    assert response.status_code == 201, response.text


async def _edit(client: httpx.AsyncClient, meeting_id: int, version: int, **fields: object) -> None:
    body = {"expected_version": version} | fields
    response = await client.put(f"/api/v1/meetings/{meeting_id}/outcome", json=body)
    assert response.status_code == 200, response.text


async def _follow_up(client: httpx.AsyncClient, meeting_id: int, **fields: object) -> None:
    body = {"updated_by": "Organiser Kim"} | fields
    response = await client.put(f"/api/v1/meetings/{meeting_id}/follow-up", json=body)
    assert response.status_code == 200, response.text


async def enter_mission(
    session: AsyncSession, client: httpx.AsyncClient, *, name: str = "CIS trade mission 2026"
) -> Mission2026:
    mission: Mission = await factories.mission(
        session, name=name, start_date=DAY1, end_date=DAY2, target_countries=["KZ", "RU"]
    )
    mission_id = mission.id
    await put_rates(
        client,
        mission_id,
        [
            ("KRW", "2026-03-09", "1400"),
            ("KRW", "2026-03-11", "1450"),
            ("KZT", "2026-03-09", "500"),
            ("RUB", "2026-03-09", "80"),
        ],
    )
    companies = {
        "C1": await factories.company(
            session, mission_=mission, name="Beauty A", industry="cosmetics"
        ),
        "C2": await factories.company(
            session, mission_=mission, name="Motor B", industry="machinery"
        ),
        "C3": await factories.company(
            session, mission_=mission, name="Seat C", industry="machinery"
        ),
    }
    buyers = {
        "B1": await factories.buyer(
            session,
            mission_=mission,
            name="Aidos",
            company_name="Almaty Trade",
            country="KZ",
            city="Almaty",
        ),
        "B2": await factories.buyer(
            session,
            mission_=mission,
            name="Dana",
            company_name="Steppe Foods",
            country="KZ",
            city="Almaty",
        ),
        "B3": await factories.buyer(
            session,
            mission_=mission,
            name="Ivan",
            company_name="Moscow Stage",
            country="RU",
            city="Moscow",
        ),
    }
    interpreter = await factories.interpreter(session, mission_=mission, language_pairs=["ko-ru"])
    plan = {
        "M1": ("C1", "B1", DAY1, 8, 30, 30, True, MeetingStatus.COMPLETED),
        "M2": ("C2", "B1", DAY1, 10, 0, 30, True, MeetingStatus.COMPLETED),
        "M3": ("C3", "B3", DAY1, 11, 0, 30, False, MeetingStatus.COMPLETED),
        "M4": ("C1", "B2", DAY2, 8, 0, 60, True, MeetingStatus.COMPLETED),
        "M5": ("C2", "B2", DAY2, 10, 0, 30, True, MeetingStatus.NO_SHOW),
        "M6": ("C3", "B1", DAY2, 11, 0, 30, False, MeetingStatus.CANCELLED),
        "M7": ("C1", "B3", DAY2, 12, 0, 30, False, MeetingStatus.SCHEDULED),
    }
    meetings: dict[str, int] = {}
    for key, (c, b, day, hour, minute, length, interpreted, status) in plan.items():
        starts_at = factories.seoul(day, hour, minute)
        row: Meeting = await factories.meeting(
            session,
            mission_=mission,
            company_=companies[c],
            buyer_=buyers[b],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=length),
            interpreter_id=interpreter.id if interpreted else None,
            status=status,
        )
        meetings[key] = row.id
    company_ids = {key: row.id for key, row in companies.items()}
    buyer_ids = {key: row.id for key, row in buyers.items()}

    await _outcome(
        client,
        meetings["M1"],
        currency="USD",
        consultation_value="100000",
        expected_contract_value="50000",
        onsite_contract_amount="20000",
    )
    await _outcome(
        client,
        meetings["M2"],
        currency="KZT",
        consultation_value=25000000,
        expected_contract_value="5000000",
        mou_amount="10000000",
    )
    await _outcome(client, meetings["M3"], currency="RUB", consultation_value="900000")
    await _edit(
        client,
        meetings["M3"],
        1,
        recorded_by="Park Interpreter",
        role="interpreter",
        currency="RUB",
        consultation_value="1000000.50",
        expected_contract_value="400000",
    )
    await _edit(
        client,
        meetings["M3"],
        2,
        recorded_by="Organiser Kim",
        role="organiser",
        currency="RUB",
        consultation_value="1000000.50",
        expected_contract_value="400000",
        onsite_contract_amount="800000",
    )
    await _outcome(
        client, meetings["M4"], currency="KRW", consultation_value="14500000",
        onsite_contract_amount="0", mou_amount="0",
    )
    refused = await client.post(
        f"/api/v1/meetings/{meetings['M7']}/outcome",
        json={"recorded_by": "Lee Seat", "role": "company_seat", "currency": "USD",
              "consultation_value": "999999"},
    )
    assert refused.status_code == 409, refused.text
    assert "scheduled" in refused.json()["detail"]

    await _follow_up(
        client,
        meetings["M1"],
        stage="contract_signed",
        contract_amount="5000000",
        contract_currency="KZT",
        contract_signed_on="2026-06-15",
    )
    await _follow_up(client, meetings["M2"], stage="negotiating", due_on="2026-06-20")
    await _follow_up(client, meetings["M4"], stage="contacted", due_on="2026-06-01")
    await _follow_up(client, meetings["M3"], stage="dropped", due_on="2026-05-01")
    return Mission2026(mission_id, meetings, company_ids, buyer_ids)


def figures(
    meetings: int,
    held: int,
    no_shows: int,
    no_show_rate: str | None,
    companies: int,
    buyers: int,
    minutes: int,
    consultation: tuple[str, str],
    expected: tuple[str, str],
    onsite: tuple[int, str, str],
    mous: tuple[int, str, str],
) -> dict[str, object]:
    """The JSON of one Figures object."""
    return {
        "meetings": meetings,
        "consultations": held,
        "no_shows": no_shows,
        "no_show_rate": no_show_rate,
        "companies": companies,
        "buyers": buyers,
        "interpreter_minutes": minutes,
        "consultation_value": {"usd": consultation[0], "krw": consultation[1]},
        "expected_contract_value": {"usd": expected[0], "krw": expected[1]},
        "onsite_contracts": {"count": onsite[0], "value": {"usd": onsite[1], "krw": onsite[2]}},
        "mous": {"count": mous[0], "value": {"usd": mous[1], "krw": mous[2]}},
    }


NONE = (0, "0.00", "0")

# By hand, per meeting (USD = amount / rate; KRW = USD x KRW rate of the day):
#   M1 USD 100,000 -> KRW 140,000,000 (x1400); expected 50,000 -> 70,000,000;
#      on-site 20,000 -> 28,000,000
#   M2 KZT 25,000,000 / 500 = USD 50,000 -> KRW 70,000,000; expected 5,000,000 / 500 = 10,000
#      -> 14,000,000; MOU 10,000,000 / 500 = 20,000 -> 28,000,000
#   M3 RUB 1,000,000.50 / 80 = USD 12,500.00625 -> KRW 17,500,008.75; expected 400,000 / 80
#      = 5,000 -> 7,000,000; on-site 800,000 / 80 = 10,000 -> 14,000,000
#   M4 KRW 14,500,000 / 1450 = USD 10,000 (the 03-11 rate) -> KRW 14,500,000
# Totals are rounded once, half-even: 172,500.00625 -> 172,500.01; 242,000,008.75 -> 242,000,009.
# fmt: off
SUMMARY = figures(
    7, 4, 1, "0.2000", 3, 3, 30 + 30 + 60,
    ("172500.01", "242000009"),  # 100,000 + 50,000 + 12,500.00625 + 10,000
    ("65000.00", "91000000"),  # 50,000 + 10,000 + 5,000
    (2, "30000.00", "42000000"),  # M1 + M3
    (1, "20000.00", "28000000"),  # M2
)

# Each row: key, label, figures(meetings, held, no-shows, no-show rate, companies, buyers,
# interpreter minutes, consultation (USD, KRW), expected (USD, KRW), on-site (n, USD, KRW),
# MOUs (n, USD, KRW)).
BREAKDOWNS: dict[str, list[tuple[str, str, dict[str, object]]]] = {
    "country": [
        # M1, M2, M4 held, M5 no-show, M6 cancelled: 100,000 + 50,000 + 10,000
        ("KZ", "Kazakhstan", figures(
            5, 3, 1, "0.2500", 2, 2, 120, ("160000.00", "224500000"), ("60000.00", "84000000"),
            (1, "20000.00", "28000000"), (1, "20000.00", "28000000"),
        )),
        # M3 held, M7 scheduled
        ("RU", "Russia", figures(
            2, 1, 0, "0.0000", 1, 1, 0, ("12500.01", "17500009"), ("5000.00", "7000000"),
            (1, "10000.00", "14000000"), NONE,
        )),
    ],
    "city": [
        ("KZ/Almaty", "Almaty, Kazakhstan", figures(
            5, 3, 1, "0.2500", 2, 2, 120, ("160000.00", "224500000"), ("60000.00", "84000000"),
            (1, "20000.00", "28000000"), (1, "20000.00", "28000000"),
        )),
        ("RU/Moscow", "Moscow, Russia", figures(
            2, 1, 0, "0.0000", 1, 1, 0, ("12500.01", "17500009"), ("5000.00", "7000000"),
            (1, "10000.00", "14000000"), NONE,
        )),
    ],
    "industry": [
        # M1, M4 held, M7 scheduled: 100,000 + 10,000; KRW 140,000,000 + 14,500,000
        ("cosmetics", "cosmetics", figures(
            3, 2, 0, "0.0000", 1, 2, 90, ("110000.00", "154500000"), ("50000.00", "70000000"),
            (1, "20000.00", "28000000"), NONE,
        )),
        # M2, M3 held, M5 no-show, M6 cancelled: 50,000 + 12,500.00625; 1 no-show of 3 seen
        ("machinery", "machinery", figures(
            4, 2, 1, "0.3333", 2, 2, 30, ("62500.01", "87500009"), ("15000.00", "21000000"),
            (1, "10000.00", "14000000"), (1, "20000.00", "28000000"),
        )),
    ],
    "company": [
        ("C1", "Beauty A", figures(
            3, 2, 0, "0.0000", 1, 2, 90, ("110000.00", "154500000"), ("50000.00", "70000000"),
            (1, "20000.00", "28000000"), NONE,
        )),
        ("C2", "Motor B", figures(
            2, 1, 1, "0.5000", 1, 1, 30, ("50000.00", "70000000"), ("10000.00", "14000000"),
            NONE, (1, "20000.00", "28000000"),
        )),
        ("C3", "Seat C", figures(
            2, 1, 0, "0.0000", 1, 1, 0, ("12500.01", "17500009"), ("5000.00", "7000000"),
            (1, "10000.00", "14000000"), NONE,
        )),
    ],
    "buyer": [
        # M1, M2 held, M6 cancelled
        ("B1", "Almaty Trade (Aidos, Kazakhstan)", figures(
            3, 2, 0, "0.0000", 2, 1, 60, ("150000.00", "210000000"), ("60000.00", "84000000"),
            (1, "20000.00", "28000000"), (1, "20000.00", "28000000"),
        )),
        ("B3", "Moscow Stage (Ivan, Russia)", figures(
            2, 1, 0, "0.0000", 1, 1, 0, ("12500.01", "17500009"), ("5000.00", "7000000"),
            (1, "10000.00", "14000000"), NONE,
        )),
        ("B2", "Steppe Foods (Dana, Kazakhstan)", figures(
            2, 1, 1, "0.5000", 1, 1, 60, ("10000.00", "14500000"), ("0.00", "0"), NONE, NONE,
        )),
    ],
    "day": [
        # M1 + M2 + M3: 100,000 + 50,000 + 12,500.00625; KRW 140M + 70M + 17,500,008.75
        ("2026-03-10", "2026-03-10", figures(
            3, 3, 0, "0.0000", 3, 2, 60, ("162500.01", "227500009"), ("65000.00", "91000000"),
            (2, "30000.00", "42000000"), (1, "20000.00", "28000000"),
        )),
        # M4 held (60 min), M5 no-show, M6 cancelled, M7 scheduled
        ("2026-03-11", "2026-03-11", figures(
            4, 1, 1, "0.5000", 1, 1, 60, ("10000.00", "14500000"), ("0.00", "0"), NONE, NONE,
        )),
    ],
}
# fmt: on

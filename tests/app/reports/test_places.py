"""Korean text reads Korean: countries from CLDR, cities as Korean press writes them, a
record's own Korean name first, the Latin name when nothing is known."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Translator
from app.meetings.models import MeetingStatus
from app.places import city_ko, city_label, known_city_ko
from tests import factories
from tests.app.outcomes.helpers import outcome, put_rates


@pytest.mark.parametrize(
    ("typed", "korean"),
    [
        ("Almaty", "알마티"),
        ("almaty", "알마티"),
        ("Moscow", "모스크바"),
        ("Jakarta", "자카르타"),
        ("Ho Chi Minh City", "호치민"),  # the press's spelling, not CLDR's 사이공
        ("TP. Hồ Chí Minh", "호치민"),
        ("Tashkent", "타슈켄트"),
        ("Kolkata", "콜카타"),  # from CLDR's time-zone cities
    ],
)
def test_known_cities_have_their_korean_name(typed: str, korean: str) -> None:
    assert city_ko(typed) == korean


def test_pages_name_cities_in_their_language() -> None:
    assert Translator("ko").city("Moscow") == "모스크바"
    assert Translator("ko").city("Moscow", "모스크바시") == "모스크바시"
    assert Translator("en").city("Moscow", "모스크바시") == "Moscow"


def test_a_record_name_wins_and_an_unknown_city_keeps_its_latin_name() -> None:
    assert city_ko("Ho Chi Minh City", "호찌민") == "호찌민"
    assert known_city_ko("Shymkent Industrial Zone") is None
    assert city_ko("Shymkent Industrial Zone") == "Shymkent Industrial Zone"
    assert city_label("Almaty", "KZ", "ko") == "카자흐스탄 알마티"
    assert city_label("Almaty", "KZ", "en") == "Almaty, Kazakhstan"


async def _buyer(client: httpx.AsyncClient, mission_id: int, **fields: str) -> int:
    body = {"name": f"Buyer {fields['city']}", "company_name": f"{fields['city']} LLP"} | fields
    response = await client.post(f"/api/v1/missions/{mission_id}/buyers", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_the_korean_press_paragraph_names_almaty_and_moscow_in_korean(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(
        session, name="2024 CIS 수출개척단", target_countries=["KZ", "RU"]
    )
    await put_rates(client, mission, [("KRW", "2026-03-01", "1380")])
    company = await factories.company(session, mission_=mission, name="남동정밀")
    venue = await client.post(
        f"/api/v1/missions/{mission.id}/venues",
        json={
            "name": "Tashkent office",
            "kind": "remote",
            "city": "Tashkent",
            "city_ko": "타시켄트",  # the organiser's own spelling, for buyers there too
            "country": "UZ",
            "timezone": "Asia/Tashkent",
        },
    )
    assert venue.status_code == 201, venue.text
    assert venue.json()["city_ko"] == "타시켄트"
    buyers = [
        await _buyer(client, mission.id, country="KZ", city="Almaty"),
        await _buyer(client, mission.id, country="RU", city="Moscow"),
        await _buyer(client, mission.id, country="VN", city="Ho Chi Minh City", city_ko="호찌민"),
        await _buyer(client, mission.id, country="UZ", city="Tashkent"),
        await _buyer(client, mission.id, country="KZ", city="Zhanaozen"),
    ]
    for hour, buyer_id in enumerate(buyers, start=9):
        starts = factories.seoul(factories.MISSION_DAY, hour)
        meeting = await factories.meeting(
            session,
            mission_=mission,
            company_=company,
            buyer_id=buyer_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            status=MeetingStatus.COMPLETED,
        )
        response = await client.post(f"/api/v1/meetings/{meeting.id}/outcome", json=outcome())
        assert response.status_code == 201, response.text

    press = (await client.get(f"/api/v1/missions/{mission.id}/report/press")).json()
    korean = press["ko"]
    assert "알마티" in korean and "모스크바" in korean
    assert "호찌민" in korean and "타시켄트" in korean and "Zhanaozen" in korean
    assert "Almaty" not in korean and "Moscow" not in korean
    assert "카자흐스탄·러시아·우즈베키스탄·베트남 바이어" in korean  # largest first, then by code
    assert "Almaty" in press["en"] and "알마티" not in press["en"]

    report = (await client.get(f"/api/v1/missions/{mission.id}/report")).json()
    cities = {row["key"]: row for row in report["breakdowns"]["city"]}
    assert cities["KZ/Almaty"]["label_ko"] == "카자흐스탄 알마티"
    assert cities["KZ/Almaty"]["name_ko"] == "알마티"
    assert cities["RU/Moscow"]["label"] == "Moscow, Russia"
    assert cities["VN/Ho Chi Minh City"]["name_ko"] == "호찌민"

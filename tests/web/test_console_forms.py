"""The console's forms, refused: each problem names the field and says what the field takes,
in the page's language, and nothing is saved. In-process (no browser): the HTML is the
product here."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CSRF_HEADER
from app.i18n import Translator
from app.missions.models import Mission, Venue, VenueKind
from app.money.models import ExchangeRate
from app.participants.models import Buyer, Interpreter
from tests import factories

LANGS = ("ko", "en", "ru", "vi", "id")


def _problems(page: str) -> str:
    found = re.search(r'id="form-problems">(.*?)</div>', page, re.S)
    assert found, "no problem summary on the page"
    return html.unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", found.group(1))))


async def _post(client: httpx.AsyncClient, path: str, lang: str, data: dict[str, Any]) -> str:
    token = client.headers[CSRF_HEADER]
    answer = await client.post(f"{path}?lang={lang}", data={**data, "csrf_token": token})
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return answer.text


def _says(text: str, t: Translator, label: str, accepts: str, **params: Any) -> None:
    expected = t("form.problem", field=t(label), accepts=t(accepts, **params))
    assert expected in text, (t.lang, expected, text)


async def _count(session: AsyncSession, model: Any, mission: Mission) -> int:
    statement = select(func.count()).select_from(model).where(model.mission_id == mission.id)
    return int(await session.scalar(statement) or 0)


@pytest.mark.parametrize("lang", LANGS)
async def test_each_form_names_the_field_and_what_it_takes(
    lang: str, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    t = Translator(lang)
    mission = await factories.mission(session)
    await factories.venue(session, mission_=mission)
    base = f"/missions/{mission.id}"

    # A new mission whose buyer countries include something that is not a country.
    page = await _post(client, "/missions/new", lang, {
        "organiser": "Namdong-gu Office", "name": "Mission", "start_date": "2027-06-10",
        "end_date": "2027-06-01", "target_countries": "Vietnam, Narnia",
    })
    text = _problems(page)
    _says(text, t, "mission.new.countries", "form.accepts.countries", item="Narnia")
    _says(text, t, "mission.new.end", "form.accepts.end_date")

    # A room in Indonesia without a zone: Indonesia has several, and they are listed.
    page = await _post(client, f"{base}/venues", lang, {
        "name": "KBC Jakarta", "kind": "business_centre", "city": "Jakarta",
        "country": "Indonesia", "timezone": "",
    })
    text = _problems(page)
    assert t("mission.new.timezone") in text and "Asia/Jakarta" in text and "Asia/Makassar" in text
    assert await _count(session, Venue, mission) == 1

    # A buyer with an email that is not one, and a language that is not one.
    page = await _post(client, f"{base}/buyers", lang, {
        "company_name": "PT Maju", "name": "Budi", "country": "ID", "timezone": "Asia/Jakarta",
        "contact_email": "budi at maju", "languages": "Sindarin42",
    })
    text = _problems(page)
    _says(text, t, "field.buyer.contact_email", "form.accepts.email")
    _says(text, t, "field.buyer.languages", "form.accepts.languages")
    assert 'id="f-contact_email"' in page and 'aria-invalid="true"' in page
    assert await _count(session, Buyer, mission) == 0

    # An interpreter whose "pair" is one language twice.
    page = await _post(client, f"{base}/interpreters", lang, {
        "name": "Lee Jiwon", "language_pairs": "ko-ko",
    })
    _says(_problems(page), t, "field.interpreter.language_pairs", "form.accepts.language_pairs")
    assert await _count(session, Interpreter, mission) == 0

    # Availability that ends before it starts.
    page = await _post(client, f"{base}/companies", lang, {
        "name": "Hanbit", "industry": "cosmetics", "languages": "ko",
        "avail_day_0": mission.start_date.isoformat(), "avail_from_0": "12:00",
        "avail_to_0": "09:00",
    })
    _says(_problems(page), t, "party.availability", "form.accepts.availability")

    # A rate below zero; hours that close before they open.
    page = await _post(client, f"{base}/rates", lang, {
        "currency": "KRW", "rate_date": "2027-06-10", "units_per_usd": "-1380",
    })
    _says(_problems(page), t, "rates.units_per_usd", "form.accepts.rate")
    assert await _count(session, ExchangeRate, mission) == 0
    page = await _post(client, f"{base}/plan/propose", lang, {
        "open": "18:00", "close": "09:00", "gap_minutes": "0", "time_limit": "1",
    })
    _says(_problems(page), t, "plan.close", "form.accepts.time_after", other="18:00")

    # Inviting someone by a malformed address.
    page = await _post(client, "/users", lang, {"email": "not-an-address", "role": "admin"})
    _says(_problems(page), t, "users.email", "form.accepts.user_email")


async def test_a_venue_takes_its_countrys_zone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The Hanoi room of a Seoul mission is in Hanoi's zone, from its country's name."""
    mission = await factories.mission(session, timezone="Asia/Seoul")
    answer = await client.post(f"/missions/{mission.id}/venues", data={
        "name": "KBC Hanoi room", "kind": "business_centre", "city": "Hanoi",
        "country": "Vietnam", "timezone": "", "csrf_token": client.headers[CSRF_HEADER],
    })
    assert answer.status_code == 303, answer.text[:500]
    venue = await session.scalar(select(Venue).where(Venue.mission_id == mission.id))
    assert venue is not None
    assert (venue.country, venue.timezone, venue.kind) == (
        "VN", "Asia/Ho_Chi_Minh", VenueKind.BUSINESS_CENTRE
    )


@pytest.mark.parametrize("kind", ["companies", "buyers"])
async def test_the_import_template_is_read_back_by_the_import(
    kind: str, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The template's headings and example row, uploaded as they are, preview as one good
    row (Korean headings on a Korean page, English ones otherwise)."""
    mission = await factories.mission(session)
    for lang, extension in (("ko", "xlsx"), ("en", "csv")):
        template = await client.get(
            f"/missions/{mission.id}/import/template.{extension}?kind={kind}&lang={lang}"
        )
        assert template.status_code == 200
        assert "attachment" in template.headers["content-disposition"]
        preview = await client.post(
            f"/missions/{mission.id}/import?lang={lang}",
            data={"kind": kind, "csrf_token": client.headers[CSRF_HEADER]},
            files={"file": (f"template.{extension}", template.content)},
        )
        assert preview.status_code == 200
        good = Translator(lang)("import.preview.good", count=1)
        assert good in html.unescape(preview.text), (lang, extension)
        assert "row-bad" not in preview.text


async def test_a_meeting_changed_by_hand_keeps_the_booking_rules(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Moving a ko-vi meeting to a ko-ru interpreter is refused naming the interpreter and
    the pair needed (in Korean here); another booth and hour are taken; cancelling frees it."""
    from app.meetings.models import Meeting, MeetingStatus

    t = Translator("ko")
    mission = await factories.mission(session)
    booth = await factories.venue(session, mission_=mission)
    other_booth = await factories.venue(session, mission_=mission)
    hanoi = await factories.buyer(session, mission_=mission, country="VN", languages=[])
    vi = await factories.interpreter(session, mission_=mission, language_pairs=["ko-vi"])
    ru = await factories.interpreter(session, mission_=mission, language_pairs=["ko-ru"])
    meeting = await factories.meeting(
        session, mission_=mission, buyer_=hanoi, interpreter_id=vi.id,
        company_venue_id=booth.id, language_pair="ko-vi",
    )
    path = f"/meetings/{meeting.id}/change"
    day = mission.start_date.isoformat()
    page = await _post(client, path, "ko", {
        "day": day, "start": "11:00", "company_venue_id": str(booth.id),
        "interpreter_id": str(ru.id),
    })
    _says(_problems(page), t, "seat.interpreter", "form.accepts.interpreter", pair="ko-vi")
    token = client.headers[CSRF_HEADER]
    moved = await client.post(path, data={
        "day": day, "start": "11:00", "company_venue_id": str(other_booth.id),
        "interpreter_id": str(vi.id), "csrf_token": token,
    })
    assert moved.status_code == 303
    await session.refresh(meeting)
    assert (meeting.company_venue_id, meeting.starts_at.hour) == (other_booth.id, 2)  # 11:00 KST
    cancelled = await client.post(f"/meetings/{meeting.id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    await session.refresh(meeting)
    assert meeting.status is MeetingStatus.CANCELLED
    assert await session.get(Meeting, meeting.id) is not None  # kept on record

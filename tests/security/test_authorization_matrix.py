"""Every API route x every kind of caller: each gets exactly what docs/security.md says.

The callers: an admin; the organiser of the mission; an organiser of another mission of the
same organisation; a viewer of that organisation; an organiser of another organisation; a
stranger; the company seat's link of the meeting; the company seat's link of another
meeting. Every route of `app.openapi()` needs a row in ROUTES (a new route without one fails
`test_every_route_has_a_row`). Each cell runs inside a savepoint rolled back afterwards, so
writes and deletes start from the same world, and each status is asserted exactly.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import sse
from app.auth.models import UserRole
from app.main import create_app
from app.matching.models import MeetingRequest, RequestedBy, RequestStatus
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, VenueKind
from app.rooms.models import Attendance
from app.settings import Settings
from rooms.seats import Seat
from tests import factories, principals
from tests.conftest import app_client
from tests.factories import seoul


class Who(enum.StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser of the mission"
    OTHER_ORGANISER = "organiser of another mission, same organisation"
    VIEWER = "viewer"
    OTHER_ORG = "organiser of another organisation"
    STRANGER = "stranger"
    SEAT = "seat link of this meeting"
    OTHER_SEAT = "seat link of another meeting"


CONSOLE = (Who.ADMIN, Who.ORGANISER, Who.OTHER_ORGANISER, Who.VIEWER, Who.OTHER_ORG)
LINKS = (Who.SEAT, Who.OTHER_SEAT)


class Rule(enum.Enum):
    """Who gets the route's own answer (`ok`); everyone else gets the status shown."""

    PUBLIC = "everyone"
    READ = "console users of the organisation; another organisation 404"
    WRITE = "admin and the mission's organisers; 403 other users of the organisation; 404 others"
    CREATE_MISSION = "admin and the organisation's organisers; viewer 403; others 404"
    ORG_READ = "the user's own organisation; another one 404"
    ORG_LIST = "every signed-in user (the list is scoped)"
    ADMIN = "admins; other users 403"
    SIGNED_IN = "any signed-in user"
    OUTCOME_READ = "READ, plus the meeting's own seat link; another link 403"
    OUTCOME_WRITE = "WRITE, plus the meeting's own seat link; another link 403"
    JOIN = "a valid link (of any meeting); anything else 403"
    KIOSK = "a booth link only (X-Booth-Token); nobody here holds one"


def expected(rule: Rule, ok: int, who: Who) -> int:
    signed_in = who in CONSOLE
    if rule is Rule.PUBLIC:
        return ok
    if rule is Rule.JOIN:
        return ok if who in LINKS else 403
    if rule is Rule.KIOSK:
        return ok
    if rule in (Rule.OUTCOME_READ, Rule.OUTCOME_WRITE):
        if who is Who.SEAT:
            return ok
        if who is Who.OTHER_SEAT:
            return 403
    if not signed_in:
        return 401
    match rule:
        case Rule.READ | Rule.OUTCOME_READ:
            return 404 if who is Who.OTHER_ORG else ok
        case Rule.WRITE | Rule.OUTCOME_WRITE:
            if who is Who.OTHER_ORG:
                return 404
            return ok if who in (Who.ADMIN, Who.ORGANISER) else 403
        case Rule.CREATE_MISSION:
            return {Who.VIEWER: 403, Who.OTHER_ORG: 404}.get(who, ok)
        case Rule.ORG_READ:
            return 404 if who is Who.OTHER_ORG else ok
        case Rule.ADMIN:
            return ok if who is Who.ADMIN else 403
        case Rule.ORG_LIST | Rule.SIGNED_IN:
            return ok
    raise AssertionError(rule)


@dataclass
class World:
    """The rows every cell starts from, and the credentials of each caller."""

    ids: dict[str, int]
    headers: dict[Who, dict[str, str]]
    tokens: dict[Who, str]
    mission_day: date
    foreign_mission: int
    foreign_organisation: int
    bodies: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    rule: Rule
    ok: int
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)  # path parameter overrides
    detail: str | None = None  # a word the allowed answer's detail carries


def _outcome(**extra: Any) -> dict[str, Any]:
    return {
        "recorded_by": "Lee Seat",
        "role": "company_seat",
        "currency": "USD",
        "consultation_value": "100000",
        "expected_contract_value": "50000",
        "interest_level": "high",
    } | extra


def _routes(day: date) -> dict[tuple[str, str], Row]:
    """Every operation: who may, what the allowed callers get, and the request to send."""
    at = seoul(day, 15)
    later = (at + timedelta(minutes=30)).isoformat()
    venue = {
        "name": "Booth Z",
        "kind": "booth",
        "city": "Incheon",
        "country": "KR",
        "timezone": "Asia/Seoul",
    }
    return {
        ("GET", "/healthz"): Row(Rule.PUBLIC, 200),
        ("GET", "/readyz"): Row(Rule.PUBLIC, 200),
        # Prometheus scrapes it without a session: the operator exposes it to monitoring only.
        ("GET", "/metrics"): Row(Rule.PUBLIC, 200),
        # organisations
        ("GET", "/api/v1/organisations"): Row(Rule.ORG_LIST, 200),
        ("POST", "/api/v1/organisations"): Row(Rule.ADMIN, 201, {"name": "Suwon City"}),
        ("GET", "/api/v1/organisations/{organisation_id}"): Row(Rule.ORG_READ, 200),
        ("PATCH", "/api/v1/organisations/{organisation_id}"): Row(
            Rule.ADMIN, 200, {"city": "Incheon"}
        ),
        ("DELETE", "/api/v1/organisations/{organisation_id}"): Row(
            Rule.ADMIN, 204, params={"organisation_id": "spare_organisation"}
        ),
        # missions and venues
        ("GET", "/api/v1/missions"): Row(Rule.ORG_LIST, 200),
        ("POST", "/api/v1/missions"): Row(Rule.CREATE_MISSION, 201, "new_mission"),
        ("GET", "/api/v1/missions/{mission_id}"): Row(Rule.READ, 200),
        ("PATCH", "/api/v1/missions/{mission_id}"): Row(Rule.WRITE, 200, {"name": "Renamed"}),
        ("DELETE", "/api/v1/missions/{mission_id}"): Row(Rule.WRITE, 409, detail="meetings"),
        ("GET", "/api/v1/missions/{mission_id}/venues"): Row(Rule.READ, 200),
        ("POST", "/api/v1/missions/{mission_id}/venues"): Row(Rule.WRITE, 201, venue),
        ("GET", "/api/v1/venues/{venue_id}"): Row(Rule.READ, 200),
        ("PATCH", "/api/v1/venues/{venue_id}"): Row(Rule.WRITE, 200, {"city": "Bucheon"}),
        ("DELETE", "/api/v1/venues/{venue_id}"): Row(
            Rule.WRITE, 204, params={"venue_id": "spare_venue"}
        ),
        # parties
        ("GET", "/api/v1/missions/{mission_id}/companies"): Row(Rule.READ, 200),
        ("POST", "/api/v1/missions/{mission_id}/companies"): Row(
            Rule.WRITE, 201, {"name": "Hanbit Cosmetics Z", "industry": "cosmetics"}
        ),
        ("GET", "/api/v1/companies/{company_id}"): Row(Rule.READ, 200),
        ("PATCH", "/api/v1/companies/{company_id}"): Row(Rule.WRITE, 200, {"industry": "food"}),
        ("DELETE", "/api/v1/companies/{company_id}"): Row(
            Rule.WRITE, 204, params={"company_id": "spare_company"}
        ),
        ("GET", "/api/v1/missions/{mission_id}/buyers"): Row(Rule.READ, 200),
        ("POST", "/api/v1/missions/{mission_id}/buyers"): Row(
            Rule.WRITE, 201, {"name": "Siti Z", "company_name": "PT Z", "country": "ID"}
        ),
        ("GET", "/api/v1/buyers/{buyer_id}"): Row(Rule.READ, 200),
        ("PATCH", "/api/v1/buyers/{buyer_id}"): Row(Rule.WRITE, 200, {"city": "Bandung"}),
        ("DELETE", "/api/v1/buyers/{buyer_id}"): Row(
            Rule.WRITE, 204, params={"buyer_id": "spare_buyer"}
        ),
        ("GET", "/api/v1/missions/{mission_id}/interpreters"): Row(Rule.READ, 200),
        ("POST", "/api/v1/missions/{mission_id}/interpreters"): Row(
            Rule.WRITE, 201, {"name": "Interpreter Z", "language_pairs": ["ko-id"]}
        ),
        ("GET", "/api/v1/interpreters/{interpreter_id}"): Row(Rule.READ, 200),
        ("PATCH", "/api/v1/interpreters/{interpreter_id}"): Row(
            Rule.WRITE, 200, {"name": "Interpreter Y"}
        ),
        ("DELETE", "/api/v1/interpreters/{interpreter_id}"): Row(
            Rule.WRITE, 204, params={"interpreter_id": "spare_interpreter"}
        ),
        # meetings
        ("GET", "/api/v1/missions/{mission_id}/meetings"): Row(Rule.READ, 200),
        ("POST", "/api/v1/missions/{mission_id}/meetings"): Row(Rule.WRITE, 201, "new_meeting"),
        ("GET", "/api/v1/meetings/{meeting_id}"): Row(Rule.READ, 200),
        ("PATCH", "/api/v1/meetings/{meeting_id}"): Row(Rule.WRITE, 200, {"ends_at": later}),
        ("POST", "/api/v1/meetings/{meeting_id}/cancel"): Row(Rule.WRITE, 200),
        ("POST", "/api/v1/meetings/{meeting_id}/attendance"): Row(
            Rule.WRITE, 409, {"status": "completed", "reason": "held at the hotel"},
            detail="starts at",
        ),
        ("GET", "/api/v1/meetings/{meeting_id}/attendance/marks"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/exchange-rates"): Row(Rule.READ, 200),
        ("PUT", "/api/v1/missions/{mission_id}/exchange-rates"): Row(Rule.WRITE, 200, "rates"),
        # outcomes: the seat link's one reach into the API
        ("POST", "/api/v1/meetings/{meeting_id}/outcome"): Row(
            Rule.OUTCOME_WRITE, 409, _outcome(), detail="version"
        ),
        ("PUT", "/api/v1/meetings/{meeting_id}/outcome"): Row(
            Rule.OUTCOME_WRITE, 200, _outcome(expected_version=1)
        ),
        ("GET", "/api/v1/meetings/{meeting_id}/outcome"): Row(Rule.OUTCOME_READ, 200),
        ("GET", "/api/v1/meetings/{meeting_id}/outcome/versions"): Row(Rule.OUTCOME_READ, 200),
        ("GET", "/api/v1/meetings/{meeting_id}/outcome/versions/{version}"): Row(
            Rule.OUTCOME_READ, 200, params={"version": "1"}
        ),
        ("POST", "/api/v1/missions/{mission_id}/close"): Row(
            Rule.WRITE, 200, {"closed_by": "Organiser Kim"}
        ),
        # follow-ups and reports
        ("PUT", "/api/v1/meetings/{meeting_id}/follow-up"): Row(
            Rule.WRITE, 200, {"updated_by": "Organiser Kim", "stage": "negotiating"}
        ),
        ("GET", "/api/v1/meetings/{meeting_id}/follow-up"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/follow-ups/reminders"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/report"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/report.csv"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/report.xlsx"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/report/press"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/report/press.txt"): Row(Rule.READ, 200),
        # the meetings import: a JSON body instead of the file is the route's own 422
        ("GET", "/api/v1/missions/{mission_id}/imports/meetings/template.xlsx"): Row(
            Rule.READ, 200
        ),
        ("GET", "/api/v1/missions/{mission_id}/imports/meetings/template.csv"): Row(
            Rule.READ, 200
        ),
        ("POST", "/api/v1/missions/{mission_id}/imports/meetings/preview"): Row(
            Rule.WRITE, 422, detail="file"
        ),
        ("POST", "/api/v1/missions/{mission_id}/imports/meetings"): Row(
            Rule.WRITE, 422, detail="file"
        ),
        ("GET", "/api/v1/reports/summary"): Row(Rule.READ, 200),
        ("GET", "/api/v1/reports/comparison"): Row(Rule.READ, 200),
        # matching
        ("GET", "/api/v1/companies/{company_id}/wants"): Row(Rule.READ, 200),
        ("PUT", "/api/v1/companies/{company_id}/wants"): Row(
            Rule.WRITE, 200, {"buyer_countries": ["ID"]}
        ),
        ("GET", "/api/v1/buyers/{buyer_id}/wants"): Row(Rule.READ, 200),
        ("PUT", "/api/v1/buyers/{buyer_id}/wants"): Row(
            Rule.WRITE, 200, {"origin_countries": ["KR"]}
        ),
        ("GET", "/api/v1/buyers/{buyer_id}/matches"): Row(Rule.READ, 200),
        ("GET", "/api/v1/companies/{company_id}/matches"): Row(Rule.READ, 200),
        ("POST", "/api/v1/missions/{mission_id}/meeting-requests"): Row(
            Rule.WRITE, 201, "new_request"
        ),
        ("GET", "/api/v1/missions/{mission_id}/meeting-requests"): Row(Rule.READ, 200),
        ("GET", "/api/v1/meeting-requests/{request_id}"): Row(Rule.READ, 200),
        ("POST", "/api/v1/meeting-requests/{request_id}/accept"): Row(Rule.WRITE, 200),
        ("POST", "/api/v1/meeting-requests/{request_id}/decline"): Row(Rule.WRITE, 200),
        ("POST", "/api/v1/meeting-requests/{request_id}/approve"): Row(
            Rule.WRITE, 200, {"priority": 2}
        ),
        # scheduling
        ("POST", "/api/v1/missions/{mission_id}/schedule/solve"): Row(
            Rule.WRITE, 200, {"time_limit_s": 0.5}
        ),
        ("POST", "/api/v1/missions/{mission_id}/schedule/apply"): Row(
            Rule.WRITE, 200, {"version": "any", "meetings": []}, detail="booked"
        ),
        ("POST", "/api/v1/missions/{mission_id}/schedule/reschedule/preview"): Row(
            Rule.WRITE, 200, {"time_limit_s": 0.5}
        ),
        ("POST", "/api/v1/missions/{mission_id}/schedule/reschedule/apply"): Row(
            Rule.WRITE, 200, {"version": "any"}, detail="moved"
        ),
        ("GET", "/api/v1/missions/{mission_id}/schedule/parties"): Row(Rule.READ, 200),
        ("PUT", "/api/v1/missions/{mission_id}/schedule/parties/{kind}/{party_id}"): Row(
            Rule.WRITE,
            200,
            {"timezone": "Asia/Seoul"},
            params={"kind": "company", "party_id": "company_id"},
        ),
        ("GET", "/api/v1/missions/{mission_id}/schedule/agendas/{kind}/{party_id}"): Row(
            Rule.READ, 200, params={"kind": "company", "party_id": "company_id"}
        ),
        (
            "GET",
            "/api/v1/missions/{mission_id}/schedule/agendas/{kind}/{party_id}/calendar.ics",
        ): Row(Rule.READ, 200, params={"kind": "company", "party_id": "company_id"}),
        ("GET", "/api/v1/missions/{mission_id}/schedule/grid.xlsx"): Row(Rule.READ, 200),
        # accounts and the audit log
        ("POST", "/api/v1/auth/sign-in"): Row(
            Rule.PUBLIC, 401, {"email": "nobody@example.org", "password": "wrong password!"}
        ),
        ("POST", "/api/v1/auth/sign-out"): Row(Rule.SIGNED_IN, 204),
        ("GET", "/api/v1/auth/me"): Row(Rule.SIGNED_IN, 200),
        ("GET", "/api/v1/audit"): Row(Rule.ADMIN, 200),
        ("POST", "/api/v1/auth/accept-invitation"): Row(
            Rule.PUBLIC, 400, {"token": "not-an-invitation", "password": "long enough, surely"}
        ),
        ("GET", "/api/v1/users"): Row(Rule.ADMIN, 200),
        ("POST", "/api/v1/users"): Row(Rule.ADMIN, 201, "new_user"),
        ("PATCH", "/api/v1/users/{user_id}"): Row(
            Rule.ADMIN, 200, {"name": "Park Renamed"}, params={"user_id": "spare_user"}
        ),
        ("POST", "/api/v1/users/{user_id}/invitation"): Row(
            Rule.ADMIN, 200, params={"user_id": "spare_user"}
        ),
        # rooms
        ("GET", "/api/v1/meetings/{meeting_id}/links"): Row(Rule.READ, 200),
        ("POST", "/api/v1/meetings/{meeting_id}/links"): Row(Rule.WRITE, 201, {}),
        ("DELETE", "/api/v1/meetings/{meeting_id}/links/{seat}"): Row(
            Rule.WRITE, 204, params={"seat": "buyer"}
        ),
        ("POST", "/api/v1/join"): Row(Rule.JOIN, 200, "join"),
        # The signalling catalogue's JSON Schema: public, about no meeting.
        ("GET", "/api/v1/signalling/schema/{side}"): Row(
            Rule.PUBLIC, 200, params={"side": "server"}
        ),
        ("GET", "/api/v1/meetings/{meeting_id}/attendance"): Row(Rule.READ, 200),
        ("POST", "/api/v1/meetings/{meeting_id}/room/extend"): Row(Rule.WRITE, 200, {"minutes": 5}),
        # No room is open in this world: the route's own 404 says so once authorized.
        ("POST", "/api/v1/meetings/{meeting_id}/room/close"): Row(
            Rule.WRITE, 404, detail="no open room"
        ),
        ("GET", "/api/v1/missions/{mission_id}/board"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/board/events"): Row(Rule.READ, 200),
        # interpreters' duty and candidates (app/interpreting)
        ("GET", "/api/v1/meetings/{meeting_id}/interpreter-candidates"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/interpreter-duty"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/interpreter-duty.csv"): Row(Rule.READ, 200),
        ("GET", "/api/v1/missions/{mission_id}/interpreter-duty.xlsx"): Row(Rule.READ, 200),
        # booths: the organiser's side (app/booths), scoped like the rest
        ("GET", "/api/v1/missions/{mission_id}/booths"): Row(Rule.READ, 200),
        ("POST", "/api/v1/missions/{mission_id}/venues/{venue_id}/booth-link"): Row(
            Rule.WRITE, 201, {}
        ),
        ("GET", "/api/v1/missions/{mission_id}/venues/{venue_id}/booth-link"): Row(Rule.READ, 200),
        ("DELETE", "/api/v1/missions/{mission_id}/venues/{venue_id}/booth-link"): Row(
            Rule.WRITE, 204
        ),
        ("POST", "/api/v1/missions/{mission_id}/venues/{venue_id}/ring"): Row(Rule.WRITE, 200, {}),
        # the kiosk's own API: its booth link, never a console session or a seat link
        ("GET", "/api/v1/kiosk"): Row(Rule.KIOSK, 403),
        ("GET", "/api/v1/kiosk/bandwidth"): Row(Rule.KIOSK, 403),
        ("POST", "/api/v1/kiosk/bandwidth"): Row(Rule.KIOSK, 403),
        ("GET", "/api/v1/kiosk/events"): Row(Rule.KIOSK, 403),
        ("POST", "/api/v1/kiosk/meetings/{meeting_id}/token"): Row(Rule.KIOSK, 403),
        ("POST", "/api/v1/kiosk/self-test"): Row(Rule.KIOSK, 403, {"checks": {}}),
    }


def _operations(settings: Settings) -> set[tuple[str, str]]:
    schema = create_app(settings).openapi()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_route_has_a_row() -> None:
    """A route added without a row here fails: its authorization was never decided."""
    operations = _operations(Settings(environment="test"))
    rows = set(_routes(date(2026, 1, 1)))
    assert operations - rows == set(), "routes without a row in the authorization matrix"
    assert rows - operations == set(), "rows for routes that are gone"


async def _world(session: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> World:
    day = datetime.now(UTC).date() + timedelta(days=3)
    home = await factories.organisation(session)
    away = await factories.organisation(session)
    spare_organisation = await factories.organisation(session)
    mission = await factories.mission(
        session, organisation_=home, start_date=day, end_date=day + timedelta(days=1)
    )
    sibling = await factories.mission(
        session, organisation_=home, start_date=day, end_date=day + timedelta(days=1)
    )
    foreign = await factories.mission(
        session, organisation_=away, start_date=day, end_date=day + timedelta(days=1)
    )
    booth = await factories.venue(session, mission_=mission)
    await factories.venue(
        session,
        mission_=mission,
        name="KBC Jakarta",
        kind=VenueKind.BUSINESS_CENTRE,
        city="Jakarta",
        country="ID",
        timezone="Asia/Jakarta",
    )
    spare_venue = await factories.venue(session, mission_=mission)
    company = await factories.company(session, mission_=mission)
    buyer = await factories.buyer(session, mission_=mission)
    other_company = await factories.company(session, mission_=mission)
    other_buyer = await factories.buyer(session, mission_=mission)
    interpreter = await factories.interpreter(session, mission_=mission)
    spare = {
        "spare_company": (await factories.company(session, mission_=mission)).id,
        # Speaks Korean: new_meeting needs no interpreter.
        "spare_buyer": (await factories.buyer(session, mission_=mission, languages=["ko"])).id,
        "spare_interpreter": (await factories.interpreter(session, mission_=mission)).id,
    }
    meeting = await factories.meeting(
        session,
        mission_=mission,
        company_=company,
        buyer_=buyer,
        interpreter_id=interpreter.id,
        company_venue_id=booth.id,
        status=MeetingStatus.LIVE,
    )
    # Its company and buyer are in the room together, so it is held: it takes outcomes.
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for seat in (Seat.COMPANY, Seat.BUYER):
        session.add(Attendance(meeting_id=meeting.id, seat=seat, joined_at=an_hour_ago))
    await session.commit()
    other_meeting = await factories.meeting(
        session,
        mission_=mission,
        company_=other_company,
        buyer_=other_buyer,
        starts_at=seoul(day, 11),
    )
    users = {
        Who.ADMIN: await principals.user(session, role=UserRole.ADMIN),
        Who.ORGANISER: await principals.user(
            session, role=UserRole.ORGANISER, organisation_id=home.id, mission_ids=[mission.id]
        ),
        Who.OTHER_ORGANISER: await principals.user(
            session, role=UserRole.ORGANISER, organisation_id=home.id, mission_ids=[sibling.id]
        ),
        Who.VIEWER: await principals.user(
            session, role=UserRole.VIEWER, organisation_id=home.id, mission_ids=[mission.id]
        ),
        Who.OTHER_ORG: await principals.user(
            session, role=UserRole.ORGANISER, organisation_id=away.id, mission_ids=[foreign.id]
        ),
    }
    headers = {who: await principals.headers(session, settings, u) for who, u in users.items()}
    admin = headers[Who.ADMIN]

    async def ok(response: httpx.Response) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    rates = {
        "entered_by": "Organiser Kim",
        "rates": [
            {
                "currency": "KRW",
                "rate_date": (day - timedelta(days=7)).isoformat(),
                "units_per_usd": "1400",
            }
        ],
    }
    await ok(
        await client.put(f"/api/v1/missions/{mission.id}/exchange-rates", json=rates, headers=admin)
    )
    await ok(
        await client.post(f"/api/v1/meetings/{meeting.id}/outcome", json=_outcome(), headers=admin)
    )
    await ok(
        await client.put(
            f"/api/v1/meetings/{meeting.id}/follow-up",
            json={"updated_by": "Organiser Kim", "stage": "contacted"},
            headers=admin,
        )
    )
    request = await ok(
        await client.post(
            f"/api/v1/missions/{mission.id}/meeting-requests",
            json={"company_id": company.id, "buyer_id": other_buyer.id, "requested_by": "buyer"},
            headers=admin,
        )
    )
    await ok(
        await client.post(
            f"/api/v1/missions/{mission.id}/venues/{booth.id}/booth-link", json={}, headers=admin
        )
    )
    links = {}
    for target in (meeting, other_meeting):
        issued = await ok(
            await client.post(f"/api/v1/meetings/{target.id}/links", json={}, headers=admin)
        )
        links[target.id] = {link["seat"]: link["token"] for link in issued}
    tokens = {
        Who.SEAT: links[meeting.id]["company"],
        Who.OTHER_SEAT: links[other_meeting.id]["company"],
    }
    headers |= {who: principals.seat_headers(token) for who, token in tokens.items()}
    headers[Who.STRANGER] = {}
    ids = {
        "organisation_id": home.id,
        "spare_organisation": spare_organisation.id,
        "mission_id": mission.id,
        "venue_id": booth.id,
        "spare_venue": spare_venue.id,
        "company_id": company.id,
        "buyer_id": buyer.id,
        "interpreter_id": interpreter.id,
        "meeting_id": meeting.id,
        "request_id": request["id"],
        "spare_user": (
            await principals.user(session, role=UserRole.VIEWER, organisation_id=home.id)
        ).id,
        **spare,
    }
    world = World(ids, headers, tokens, day, foreign.id, away.id)
    world.bodies = {
        "new_mission": {
            "organisation_id": home.id,
            "name": "New mission",
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
        },
        "new_meeting": {
            "company_id": spare["spare_company"],
            "buyer_id": spare["spare_buyer"],
            "starts_at": seoul(day, 16).isoformat(),
            "ends_at": seoul(day, 16, 30).isoformat(),
        },
        "rates": rates,
        "new_user": {
            "email": "new.clerk@example.org",
            "role": "organiser",
            "organisation_id": home.id,
            "mission_ids": [mission.id],
        },
        "new_request": {
            "company_id": other_company.id,
            "buyer_id": buyer.id,
            "requested_by": "company",
        },
    }
    return world


def _request(
    method: str, path: str, row: Row, world: World, who: Who
) -> tuple[str, dict[str, Any], Any]:
    values = {name: str(value) for name, value in world.ids.items()}
    for name, value in row.params.items():
        values[name] = values.get(value, value)
    url = path.format(**values)
    query: dict[str, Any] = {}
    if path in ("/api/v1/reports/summary", "/api/v1/reports/comparison"):
        query = {"mission_id": [world.ids["mission_id"]]}
    body = row.body
    if body == "join":
        body = {"token": world.tokens.get(who, "not-a-link")}
    elif isinstance(body, str):
        body = world.bodies[body]
    return url, query, body


@pytest.fixture
async def world_client(
    settings: Settings, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    # The live board's feed ends at once (after its snapshot) instead of after a minute.
    monkeypatch.setattr(sse, "STREAM_SECONDS", 0.0)
    # One client sends a thousand requests at once: the API's rate limit would answer 429.
    unlimited = settings.model_copy(update={"api_rate_per_second": 1e6, "api_rate_burst": 10**6})
    async with app_client(unlimited, session) as client:
        yield client, await _world(session, unlimited, client)


async def test_each_caller_gets_exactly_what_it_should(
    world_client: tuple[httpx.AsyncClient, World], session: AsyncSession, settings: Settings
) -> None:
    client, world = world_client
    connection = await session.connection()
    wrong: list[str] = []
    for (method, path), row in sorted(_routes(world.mission_day).items()):
        for who in Who:
            want = expected(row.rule, row.ok, who)
            url, query, body = _request(method, path, row, world, who)
            await session.close()
            savepoint = await connection.begin_nested()
            try:
                response = await client.request(
                    method, url, params=query, json=body, headers=world.headers[who]
                )
            finally:
                await session.close()
                await savepoint.rollback()
            got, text = response.status_code, response.text[:200]
            cell = f"{method} {path} as {who.value}"
            if got != want:
                wrong.append(f"{cell}: {got} (want {want}) {text}")
            elif row.detail and who in (Who.ADMIN, Who.ORGANISER) and row.detail not in text:
                wrong.append(f"{cell}: {text} (want {row.detail!r} in it)")
    assert not wrong, "\n".join(wrong)


async def test_lists_hold_no_foreign_rows(
    world_client: tuple[httpx.AsyncClient, World], session: AsyncSession
) -> None:
    """Missions and organisations: each user lists its organisation's rows only (an admin
    lists every one); asking for another organisation's is an empty page or 404."""
    client, world = world_client
    home_organisation = world.ids["organisation_id"]

    async def listed(who: Who, path: str, **query: Any) -> set[int]:
        response = await client.get(path, params=query, headers=world.headers[who])
        assert response.status_code == 200, (who, path, response.text)
        return {item["id"] for item in response.json()["items"]}

    home_missions = {
        m.id
        for m in await session.scalars(
            select(Mission).where(Mission.organisation_id == home_organisation)
        )
    }
    assert len(home_missions) == 2
    for who in (Who.ORGANISER, Who.OTHER_ORGANISER, Who.VIEWER):
        assert await listed(who, "/api/v1/missions", limit=200) == home_missions
        assert await listed(who, "/api/v1/organisations") == {home_organisation}
        foreign = {"organisation_id": world.foreign_organisation}
        assert await listed(who, "/api/v1/missions", **foreign) == set()
        summary = await client.get(
            "/api/v1/reports/summary",
            params={"mission_id": [world.ids["mission_id"], world.foreign_mission]},
            headers=world.headers[who],
        )
        assert summary.status_code == 404, summary.text
    assert await listed(Who.OTHER_ORG, "/api/v1/missions", limit=200) == {world.foreign_mission}
    assert await listed(Who.OTHER_ORG, "/api/v1/organisations") == {world.foreign_organisation}
    everything = await listed(Who.ADMIN, "/api/v1/missions", limit=200)
    assert home_missions | {world.foreign_mission} <= everything
    assert {home_organisation, world.foreign_organisation} <= await listed(
        Who.ADMIN, "/api/v1/organisations", limit=200
    )


async def test_only_users_who_may_change_the_mission_see_join_tokens(
    world_client: tuple[httpx.AsyncClient, World], session: AsyncSession
) -> None:
    """A join link lets its holder into the consultation: readers see which links exist,
    not the tokens (in the links list, the agendas and the calendar invites)."""
    client, world = world_client
    meeting, mission, company = (world.ids[k] for k in ("meeting_id", "mission_id", "company_id"))
    # The agendas list the meetings the scheduler booked for approved requests: make the
    # meeting one of those.
    booked = await session.get_one(Meeting, meeting)
    session.add(
        MeetingRequest(
            mission_id=mission,
            company_id=company,
            buyer_id=booked.buyer_id,
            requested_by=RequestedBy.COMPANY,
            status=RequestStatus.APPROVED,
            meeting_id=meeting,
        )
    )
    await session.commit()
    agenda = f"/api/v1/missions/{mission}/schedule/agendas/company/{company}"
    for who in (Who.ADMIN, Who.ORGANISER, Who.OTHER_ORGANISER, Who.VIEWER):
        headers = world.headers[who]
        links = (await client.get(f"/api/v1/meetings/{meeting}/links", headers=headers)).json()
        assert {link["seat"] for link in links} >= {"company", "buyer"}
        shown = [link["token"] for link in links if link["token"]]
        texts = [
            (await client.get(agenda, headers=headers)).text,
            (await client.get(f"{agenda}/calendar.ics", headers=headers)).text,
        ]
        if who in (Who.ADMIN, Who.ORGANISER):
            assert len(shown) == len(links)
            assert all("/join#" in text for text in texts)
        else:
            assert shown == [] and all(link["url"] is None for link in links)
            assert not any("/join#" in text for text in texts), who

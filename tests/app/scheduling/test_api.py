"""The scheduling API on real records: requests entered, solved, applied, rescheduled, exported."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting
from app.missions.models import Mission, VenueKind
from app.rooms import service as rooms
from app.scheduling import service as scheduling_service
from app.scheduling import validate_schedule
from app.scheduling.loader import Grid, load
from rooms.seats import Seat
from tests import factories
from tests.factories import MISSION_DAY

API = "/api/v1"


@dataclass
class Cast:
    mission: Mission
    companies: list[int]
    buyers: list[int]
    interpreter: int
    booths: list[int]
    room: int
    requests: dict[str, int]  # "c1-b1" -> request id


async def _request(
    client: httpx.AsyncClient, mission_id: int, company: int, buyer: int, priority: int
) -> int:
    answer = await client.post(
        f"{API}/missions/{mission_id}/meeting-requests",
        json={"company_id": company, "buyer_id": buyer, "requested_by": "buyer"},
    )
    assert answer.status_code == 201, answer.text
    request_id: int = answer.json()["id"]
    approved = await client.post(
        f"{API}/meeting-requests/{request_id}/approve", json={"priority": priority}
    )
    assert approved.status_code == 200, approved.text
    return request_id


async def _cast(session: AsyncSession, client: httpx.AsyncClient) -> Cast:
    """One day: two Incheon booths, a Jakarta business-centre room, a Hanoi buyer in its
    office, one ko-id interpreter; four requests that fit and one (ko-vi) that cannot."""
    mission = await factories.mission(session, end_date=MISSION_DAY)
    booths = [(await factories.venue(session, mission_=mission)).id for _ in range(2)]
    room = await factories.venue(
        session,
        mission_=mission,
        name="KBC Jakarta room 1",
        kind=VenueKind.BUSINESS_CENTRE,
        city="Jakarta",
        country="ID",
        timezone="Asia/Jakarta",
    )
    c1 = await factories.company(session, mission_=mission)
    c2 = await factories.company(session, mission_=mission)
    c3 = await factories.company(session, mission_=mission, languages=["ko", "en"])
    b1 = await factories.buyer(session, mission_=mission)
    b2 = await factories.buyer(session, mission_=mission)
    b3 = await factories.buyer(
        session, mission_=mission, country="VN", city="Hanoi", languages=["vi", "en"]
    )
    interpreter = await factories.interpreter(session, mission_=mission)
    requests = {
        "c1-b1": await _request(client, mission.id, c1.id, b1.id, 3),
        "c2-b1": await _request(client, mission.id, c2.id, b1.id, 2),
        "c1-b2": await _request(client, mission.id, c1.id, b2.id, 1),
        "c3-b3": await _request(client, mission.id, c3.id, b3.id, 1),
        "c2-b3": await _request(client, mission.id, c2.id, b3.id, 1),  # ko-vi: nobody
    }
    return Cast(
        mission,
        [c1.id, c2.id, c3.id],
        [b1.id, b2.id, b3.id],
        interpreter.id,
        booths,
        room.id,
        requests,
    )


async def _solve(client: httpx.AsyncClient, mission_id: int) -> dict[str, Any]:
    answer = await client.post(
        f"{API}/missions/{mission_id}/schedule/solve", json={"time_limit_s": 3}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _meetings(client: httpx.AsyncClient, mission_id: int) -> list[dict[str, Any]]:
    answer = await client.get(f"{API}/missions/{mission_id}/meetings", params={"limit": 500})
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _assert_no_double_booking(meetings: list[dict[str, Any]]) -> None:
    """The booking rules, checked from the stored rows: no resource in two overlapping ones."""
    live = [m for m in meetings if m["status"] != "cancelled"]
    for i, a in enumerate(live):
        for b in live[i + 1 :]:
            if a["starts_at"] < b["ends_at"] and b["starts_at"] < a["ends_at"]:
                assert a["company_id"] != b["company_id"]
                assert a["buyer_id"] != b["buyer_id"]
                assert a["interpreter_id"] is None or a["interpreter_id"] != b["interpreter_id"]
                venues_a = {a["company_venue_id"], a["buyer_venue_id"]} - {None}
                venues_b = {b["company_venue_id"], b["buyer_venue_id"]} - {None}
                assert not venues_a & venues_b


async def _validate(session: AsyncSession, mission: Mission) -> None:
    loaded = await load(session=session, mission=mission, grid=Grid())
    assert validate_schedule(loaded.problem, loaded.current()) == []


async def test_solve_apply_reschedule_and_export(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    cast = await _cast(session, client)
    mission_id = cast.mission.id

    proposal = await _solve(client, mission_id)
    assert proposal["requests"] == 5 and proposal["placed"] == 4
    assert proposal["violations"] == []
    assert proposal["unplaced"] == [
        {
            "request_id": cast.requests["c2-b3"],
            "reason": "no_interpreter_for_pair",
            "detail": "no interpreter of the mission covers ko-vi",
            "blocking": [],
        }
    ]
    by_request = {m["request_id"]: m for m in proposal["meetings"]}
    assert by_request[cast.requests["c1-b1"]]["interpreter_id"] == cast.interpreter
    assert by_request[cast.requests["c1-b1"]]["buyer_venue_id"] == cast.room
    assert by_request[cast.requests["c3-b3"]]["interpreter_id"] is None
    assert by_request[cast.requests["c3-b3"]]["buyer_venue_id"] is None  # Hanoi office
    assert await _meetings(client, mission_id) == []  # solving writes nothing

    applied = await client.post(
        f"{API}/missions/{mission_id}/schedule/apply",
        json={
            "version": proposal["version"],
            "grid": proposal["grid"],
            "meetings": proposal["meetings"],
        },
    )
    assert applied.status_code == 200, applied.text
    assert len(applied.json()["booked"]) == 4
    stored = await _meetings(client, mission_id)
    assert len(stored) == 4
    _assert_no_double_booking(stored)
    await _validate(session, cast.mission)
    request = (await client.get(f"{API}/meeting-requests/{cast.requests['c1-b1']}")).json()
    assert request["meeting_id"] in {m["id"] for m in stored}

    # The same proposal again books nothing twice; a second solve points to rescheduling.
    again = await client.post(
        f"{API}/missions/{mission_id}/schedule/apply",
        json={"version": proposal["version"], "meetings": proposal["meetings"]},
    )
    assert again.status_code == 200 and again.json() == {"booked": [], "already_booked": 4}
    assert len(await _meetings(client, mission_id)) == 4
    assert (
        await client.post(f"{API}/missions/{mission_id}/schedule/solve", json={})
    ).status_code == 409

    # A cancellation: the preview re-places its request; applying moves exactly the shown.
    cancelled_id = request["meeting_id"]
    assert (await client.post(f"{API}/meetings/{cancelled_id}/cancel")).status_code == 200
    now = datetime.combine(MISSION_DAY, datetime.min.time(), tzinfo=UTC) - timedelta(hours=9)
    preview = await client.post(
        f"{API}/missions/{mission_id}/schedule/reschedule/preview",
        json={"time_limit_s": 3, "now": now.isoformat()},
    )
    assert preview.status_code == 200, preview.text
    change = preview.json()
    assert change["violations"] == []
    assert [a["request_id"] for a in change["additions"]] == [cast.requests["c1-b1"]]
    assert change["removals"] == []
    assert change["moved_meetings"] == 0
    before = {m["id"]: m for m in await _meetings(client, mission_id)}
    assert len(await _meetings(client, mission_id)) == 4  # previewing writes nothing
    done = await client.post(
        f"{API}/missions/{mission_id}/schedule/reschedule/apply",
        json={k: change[k] for k in ("version", "grid", "moves", "additions", "removals")},
    )
    assert done.status_code == 200, done.text
    after = {m["id"]: m for m in await _meetings(client, mission_id)}
    moved = [i for i in before if before[i]["starts_at"] != after[i]["starts_at"]]
    assert len(moved) == change["moved_meetings"]
    assert len(after) == 5 and len(done.json()["booked"]) == 1
    _assert_no_double_booking(list(after.values()))
    await _validate(session, cast.mission)

    # Downloads: the company's calendar with its seat's join link, the organiser's grid.
    c1_meetings = [
        m
        for m in after.values()
        if m["company_id"] == cast.companies[0] and m["status"] == "scheduled"
    ]
    assert len(c1_meetings) == 2
    row = await session.get(Meeting, c1_meetings[0]["id"])
    assert row is not None
    await rooms.issue_link(
        session=session,
        meeting=row,
        seat=Seat.COMPANY,
        expires_at=row.ends_at + timedelta(hours=2),
        now=row.starts_at,
    )
    await session.commit()
    ics = await client.get(
        f"{API}/missions/{mission_id}/schedule/agendas/company/{cast.companies[0]}/calendar.ics"
    )
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    starts = sorted(event.decoded("dtstart") for event in events)
    assert starts == sorted(datetime.fromisoformat(m["starts_at"]) for m in c1_meetings)
    assert all(start.utcoffset() == timedelta(0) for start in starts)
    urls = [str(event["url"]) for event in events if "url" in event]
    assert len(urls) == 1 and urls[0].startswith("http://127.0.0.1:8000/join#")
    # TRADEBOOTH_REMINDER_MINUTES (5): an alarm before each meeting.
    assert [e.walk("VALARM")[0].decoded("trigger") for e in events] == [
        -timedelta(minutes=5)
    ] * len(events)

    agenda = await client.get(
        f"{API}/missions/{mission_id}/schedule/agendas/buyer/{cast.buyers[0]}"
    )
    assert agenda.status_code == 200
    assert agenda.json()["timezone"] == "Asia/Jakarta"
    assert all(i["local_start"].endswith("+07:00") for i in agenda.json()["items"])

    grid = await client.get(f"{API}/missions/{mission_id}/schedule/grid.xlsx")
    assert grid.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(grid.content))
    assert workbook.sheetnames == [MISSION_DAY.isoformat()]
    sheet = workbook[MISSION_DAY.isoformat()]
    filled = [c for r in sheet.iter_rows(min_row=2, min_col=2) for c in r if c.value]
    assert len(filled) == 4  # one cell per live meeting, the cancelled one left out


async def test_bad_input(session: AsyncSession, client: httpx.AsyncClient) -> None:
    cast = await _cast(session, client)
    base = f"{API}/missions/{cast.mission.id}/schedule"
    assert (await client.post(f"{API}/missions/999999/schedule/solve", json={})).status_code == 404
    assert (await client.post(f"{base}/solve", json={"time_limit_s": 0})).status_code == 422
    assert (await client.post(f"{base}/solve", json={"time_limit_s": 600})).status_code == 422
    assert (
        await client.post(
            f"{base}/solve", json={"grid": {"hours": {"open": "18:00", "close": "09:00"}}}
        )
    ).status_code == 422
    assert (await client.get(f"{base}/agendas/caterer/1")).status_code == 422
    assert (await client.get(f"{base}/agendas/company/999999")).status_code == 404
    assert (await client.get(f"{base}/grid.xlsx", params={"tz": "Mars/Olympus"})).status_code == 422

    proposal = await _solve(client, cast.mission.id)
    stale = await client.post(
        f"{base}/apply", json={"version": "0" * 16, "meetings": proposal["meetings"]}
    )
    assert stale.status_code == 409
    # An edited proposal (a meeting moved to 03:00 in Seoul) is refused before anything is written.
    edited = [dict(m) for m in proposal["meetings"]]
    edited[0]["starts_at"] = "2026-03-09T18:00:00Z"
    edited[0]["ends_at"] = "2026-03-09T18:30:00Z"
    refused = await client.post(
        f"{base}/apply", json={"version": proposal["version"], "meetings": edited}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["violations"]
    assert await _meetings(client, cast.mission.id) == []


async def test_party_plans_shape_the_schedule(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """A buyer available only 14:00-15:00 Jakarta time gets its meetings then."""
    cast = await _cast(session, client)
    base = f"{API}/missions/{cast.mission.id}/schedule"
    window = ["2026-03-10T07:00:00Z", "2026-03-10T08:00:00Z"]  # 14:00-15:00 WIB
    answer = await client.put(
        f"{base}/parties/buyer/{cast.buyers[0]}",
        json={"venue_id": cast.room, "availability": [window]},
    )
    assert answer.status_code == 200, answer.text
    assert (await client.put(f"{base}/parties/buyer/999999", json={})).status_code == 404
    assert (
        await client.put(
            f"{base}/parties/interpreter/{cast.interpreter}", json={"venue_id": cast.room}
        )
    ).status_code == 422
    assert len((await client.get(f"{base}/parties")).json()) == 1
    proposal = await _solve(client, cast.mission.id)
    b1 = [m for m in proposal["meetings"] if m["buyer_id"] == cast.buyers[0]]
    assert len(b1) == 2
    assert all(window[0] <= m["starts_at"].replace("+00:00", "Z") < window[1] for m in b1)


async def _applied(session: AsyncSession, client: httpx.AsyncClient) -> Cast:
    cast = await _cast(session, client)
    proposal = await _solve(client, cast.mission.id)
    answer = await client.post(
        f"{API}/missions/{cast.mission.id}/schedule/apply",
        json={"version": proposal["version"], "meetings": proposal["meetings"]},
    )
    assert answer.status_code == 200, answer.text
    return cast


async def _preview(client: httpx.AsyncClient, mission_id: int) -> dict[str, Any]:
    now = datetime.combine(MISSION_DAY, datetime.min.time(), tzinfo=UTC) - timedelta(hours=9)
    answer = await client.post(
        f"{API}/missions/{mission_id}/schedule/reschedule/preview",
        json={"time_limit_s": 2, "now": now.isoformat()},
    )
    assert answer.status_code == 200, answer.text
    preview: dict[str, Any] = answer.json()
    return preview


def _fields(meeting: dict[str, Any], request_id: int) -> dict[str, Any]:
    keep = (
        "company_id",
        "buyer_id",
        "interpreter_id",
        "company_venue_id",
        "buyer_venue_id",
        "language_pair",
        "starts_at",
        "ends_at",
        "priority",
    )
    return {"request_id": request_id, **{k: meeting[k] for k in keep}}


async def test_swapping_two_meetings_parks_one(
    session: AsyncSession, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Two meetings that trade places (same booth, room and interpreter) cannot move one
    after the other without a moment's clash: applying parks one and books it back."""
    cast = await _applied(session, client)
    stored = {m["id"]: m for m in await _meetings(client, cast.mission.id)}
    ids = {}
    for key in ("c1-b1", "c1-b2"):
        ids[key] = (await client.get(f"{API}/meeting-requests/{cast.requests[key]}")).json()[
            "meeting_id"
        ]
    a, b = stored[ids["c1-b1"]], stored[ids["c1-b2"]]
    swapped_a = _fields(a, cast.requests["c1-b1"]) | {
        "starts_at": b["starts_at"],
        "ends_at": b["ends_at"],
    }
    swapped_b = _fields(b, cast.requests["c1-b2"]) | {
        "starts_at": a["starts_at"],
        "ends_at": a["ends_at"],
    }
    version = (await _preview(client, cast.mission.id))["version"]
    caplog.set_level("INFO", logger="app.scheduling.service")
    answer = await client.post(
        f"{API}/missions/{cast.mission.id}/schedule/reschedule/apply",
        json={
            "version": version,
            "moves": [
                {
                    "meeting_id": a["id"],
                    "before": _fields(a, cast.requests["c1-b1"]),
                    "after": swapped_a,
                },
                {
                    "meeting_id": b["id"],
                    "before": _fields(b, cast.requests["c1-b2"]),
                    "after": swapped_b,
                },
            ],
        },
    )
    assert answer.status_code == 200, answer.text
    after = {m["id"]: m for m in await _meetings(client, cast.mission.id)}
    assert (after[a["id"]]["starts_at"], after[b["id"]]["starts_at"]) == (
        b["starts_at"],
        a["starts_at"],
    )
    assert after[a["id"]]["status"] == after[b["id"]]["status"] == "scheduled"
    assert len([r for r in caplog.records if "parked" in r.getMessage()]) == 1
    _assert_no_double_booking(list(after.values()))
    await _validate(session, cast.mission)


async def test_withdrawn_request_is_cancelled_on_reschedule(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    cast = await _applied(session, client)
    request_id = cast.requests["c3-b3"]
    meeting_id = (await client.get(f"{API}/meeting-requests/{request_id}")).json()["meeting_id"]
    declined = await client.post(f"{API}/meeting-requests/{request_id}/decline")
    assert declined.json()["status"] == "declined"
    preview = await _preview(client, cast.mission.id)
    assert preview["removals"] == [
        {
            "meeting_id": meeting_id,
            "request_id": request_id,
            "reason": "cancelled",
            "detail": "its request is no longer approved",
        }
    ]
    assert preview["moves"] == [] and preview["additions"] == []
    body = {k: preview[k] for k in ("version", "moves", "additions", "removals")}
    done = await client.post(
        f"{API}/missions/{cast.mission.id}/schedule/reschedule/apply", json=body
    )
    assert done.status_code == 200, done.text
    assert [m["id"] for m in done.json()["cancelled"]] == [meeting_id]
    assert (await client.get(f"{API}/meetings/{meeting_id}")).json()["status"] == "cancelled"
    # Applying the same change again does nothing more.
    again = await client.post(
        f"{API}/missions/{cast.mission.id}/schedule/reschedule/apply", json=body
    )
    assert again.status_code == 200 and again.json() == {"moved": [], "booked": [], "cancelled": []}


async def test_solver_runs_off_the_event_loop_one_at_a_time(
    session: AsyncSession, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = await _cast(session, client)
    loop_thread = threading.get_ident()
    seen: list[tuple[int, float]] = []
    real_solve = scheduling_service.solve

    def solve(problem: Any, **options: Any) -> Any:
        # Inside the one-token limiter: a second solve would wait for this one.
        assert scheduling_service._SOLVER.total_tokens == 1
        assert scheduling_service._SOLVER.borrowed_tokens == 1
        seen.append((threading.get_ident(), options["time_limit_s"]))
        return real_solve(problem, **options)

    monkeypatch.setattr(scheduling_service, "solve", solve)
    await _solve(client, cast.mission.id)
    assert len(seen) == 1
    assert seen[0][0] != loop_thread and seen[0][1] == 3


async def test_meetings_booked_by_hand_are_worked_around(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Company 3 and buyer 3 (who share English) already meet 09:00-17:00 Seoul (booked by
    hand, no request): the scheduler puts their requested meetings outside that time."""
    cast = await _cast(session, client)
    hand = await client.post(
        f"{API}/missions/{cast.mission.id}/meetings",
        json={
            "company_id": cast.companies[2],
            "buyer_id": cast.buyers[2],
            "starts_at": "2026-03-10T00:00:00Z",
            "ends_at": "2026-03-10T08:00:00Z",
        },
    )
    assert hand.status_code == 201, hand.text
    proposal = await _solve(client, cast.mission.id)
    assert proposal["violations"] == []
    for meeting in proposal["meetings"]:
        if meeting["company_id"] == cast.companies[2] or meeting["buyer_id"] == cast.buyers[2]:
            assert meeting["starts_at"] >= "2026-03-10T08:00:00"
    answer = await client.post(
        f"{API}/missions/{cast.mission.id}/schedule/apply",
        json={"version": proposal["version"], "meetings": proposal["meetings"]},
    )
    assert answer.status_code == 200, answer.text
    _assert_no_double_booking(await _meetings(client, cast.mission.id))

"""Meetings through the HTTP API: booking rules, moves, cancellation, validation, listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.missions.models import Mission
from app.participants.models import Interpreter
from tests import factories
from tests.factories import seoul

DAY = factories.MISSION_DAY


@dataclass
class Cast:
    """A mission with two of everything, as plain ids."""

    mission: int
    companies: list[int]
    buyers: list[int]
    interpreters: list[int]
    booths: list[int]
    rooms: list[int]

    @property
    def meetings_url(self) -> str:
        return f"/api/v1/missions/{self.mission}/meetings"


@pytest.fixture
async def cast(session: AsyncSession) -> Cast:
    mission = await factories.mission(session)
    return Cast(
        mission=mission.id,
        # Sharing English: a meeting may do without its interpreter.
        companies=[
            (await factories.company(session, mission_=mission, languages=["ko", "en"])).id
            for _ in range(2)
        ],
        buyers=[
            (await factories.buyer(session, mission_=mission, languages=["id", "en"])).id
            for _ in range(2)
        ],
        interpreters=[
            (await factories.interpreter(session, mission_=mission)).id for _ in range(2)
        ],
        booths=[(await factories.venue(session, mission_=mission)).id for _ in range(2)],
        rooms=[
            (
                await factories.venue(
                    session,
                    mission_=mission,
                    kind="business_centre",
                    country="ID",
                    city="Jakarta",
                    timezone="Asia/Jakarta",
                )
            ).id
            for _ in range(2)
        ],
    )


def slot(hour: int, minute: int = 0, minutes: int = 30, day: date = DAY) -> dict[str, str]:
    """A slot given in Seoul wall-clock time with its +09:00 offset, as a client would."""
    starts = seoul(day, hour, minute)
    return {
        "starts_at": starts.astimezone(factories.SEOUL).isoformat(),
        "ends_at": (starts + timedelta(minutes=minutes)).astimezone(factories.SEOUL).isoformat(),
    }


def meeting_body(cast: Cast, i: int = 0, **overrides: Any) -> dict[str, Any]:
    return {
        "company_id": cast.companies[i],
        "buyer_id": cast.buyers[i],
        "interpreter_id": cast.interpreters[i],
        "company_venue_id": cast.booths[i],
        "buyer_venue_id": cast.rooms[i],
        "language_pair": "ko-id",
        **slot(10),
    } | overrides


async def schedule(client: httpx.AsyncClient, cast: Cast) -> list[dict[str, Any]]:
    response = await client.get(cast.meetings_url, params={"limit": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def book(client: httpx.AsyncClient, cast: Cast, **body: Any) -> dict[str, Any]:
    response = await client.post(cast.meetings_url, json=body)
    assert response.status_code == 201, response.text
    meeting: dict[str, Any] = response.json()
    return meeting


async def test_book_read_move_cancel(client: httpx.AsyncClient, cast: Cast) -> None:
    meeting = await book(client, cast, **meeting_body(cast))
    assert meeting["status"] == "scheduled"
    # 10:00 Seoul is 01:00 UTC: stored and returned in UTC.
    assert meeting["starts_at"] == f"{DAY.isoformat()}T01:00:00Z"
    assert meeting["ends_at"] == f"{DAY.isoformat()}T01:30:00Z"
    url = f"/api/v1/meetings/{meeting['id']}"
    assert (await client.get(url)).json() == meeting

    moved = await client.patch(url, json={**slot(11), "interpreter_id": None})
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"] == f"{DAY.isoformat()}T02:00:00Z"
    assert moved.json()["interpreter_id"] is None

    cancelled = await client.post(f"{url}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.post(f"{url}/cancel")).json()["status"] == "cancelled"
    assert (await client.delete(url)).status_code == 405
    assert [m["id"] for m in await schedule(client, cast)] == [meeting["id"]]


@pytest.mark.parametrize(
    ("resource", "shared"),
    [
        ("company", {"company_id": 0}),
        ("buyer", {"buyer_id": 0}),
        ("interpreter", {"interpreter_id": 0}),
        ("venue", {"company_venue_id": "booths"}),
        ("venue", {"buyer_venue_id": "rooms"}),
    ],
)
async def test_double_booking_is_409_naming_the_clash_and_changes_nothing(
    client: httpx.AsyncClient, cast: Cast, resource: str, shared: dict[str, Any]
) -> None:
    first = await book(client, cast, **meeting_body(cast, 0, **slot(10)))
    # Everything of the second meeting differs from the first but the one shared resource.
    overrides = {
        field: (first[field] if value == 0 else getattr(cast, value)[0])
        for field, value in shared.items()
    }
    before = await schedule(client, cast)

    clash = await client.post(
        cast.meetings_url, json=meeting_body(cast, 1, **slot(10, 15)) | overrides
    )

    assert clash.status_code == 409, clash.text
    body = clash.json()
    resource_id = next(iter(overrides.values()))
    assert body["clashes"] == [
        {
            "resource": resource,
            "resource_id": resource_id,
            "meeting_id": first["id"],
            "starts_at": "2026-03-10T01:00:00+00:00",
            "ends_at": "2026-03-10T01:30:00+00:00",
        }
    ]
    assert f"{resource} {resource_id} is already in meeting {first['id']}" in body["detail"]
    assert await schedule(client, cast) == before


async def test_a_booth_cannot_be_the_company_side_of_one_and_buyer_side_of_another(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    first = await book(client, cast, **meeting_body(cast, 0))
    clash = await client.post(
        cast.meetings_url,
        json=meeting_body(cast, 1, buyer_venue_id=cast.booths[0]),
    )
    assert clash.status_code == 409
    assert clash.json()["clashes"][0]["meeting_id"] == first["id"]


async def test_every_clashing_resource_is_named(client: httpx.AsyncClient, cast: Cast) -> None:
    first = await book(client, cast, **meeting_body(cast, 0))
    clash = await client.post(cast.meetings_url, json=meeting_body(cast, 0, **slot(9, 45)))
    assert clash.status_code == 409
    named = {(c["resource"], c["resource_id"]) for c in clash.json()["clashes"]}
    assert named == {
        ("company", first["company_id"]),
        ("buyer", first["buyer_id"]),
        ("interpreter", first["interpreter_id"]),
        ("venue", first["company_venue_id"]),
        ("venue", first["buyer_venue_id"]),
    }


async def test_back_to_back_is_allowed(client: httpx.AsyncClient, cast: Cast) -> None:
    await book(client, cast, **meeting_body(cast, 0, **slot(10)))
    await book(client, cast, **meeting_body(cast, 0, **slot(10, 30)))
    await book(client, cast, **meeting_body(cast, 0, **slot(9, 30)))
    starts = [m["starts_at"][11:16] for m in await schedule(client, cast)]
    assert starts == ["00:30", "01:00", "01:30"]


async def test_a_cancelled_meeting_does_not_block_and_cannot_come_back_into_a_clash(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    first = await book(client, cast, **meeting_body(cast, 0))
    cancel = await client.post(f"/api/v1/meetings/{first['id']}/cancel")
    assert cancel.status_code == 200
    second = await book(client, cast, **meeting_body(cast, 0))
    before = await schedule(client, cast)

    revived = await client.patch(f"/api/v1/meetings/{first['id']}", json={"status": "scheduled"})

    assert revived.status_code == 409
    assert {c["meeting_id"] for c in revived.json()["clashes"]} == {second["id"]}
    assert await schedule(client, cast) == before


async def test_moving_into_a_clash_is_409_and_changes_nothing(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await book(client, cast, **meeting_body(cast, 0, **slot(10)))
    other = await book(client, cast, **meeting_body(cast, 1, **slot(11)))
    url = f"/api/v1/meetings/{other['id']}"
    before = await schedule(client, cast)

    for change in (
        {"company_id": cast.companies[0], **slot(10, 15)},
        {"company_venue_id": cast.booths[0], **slot(9, 45)},
        {"interpreter_id": cast.interpreters[0], **slot(10, 29)},
    ):
        response = await client.patch(url, json=change)
        assert response.status_code == 409, (change, response.text)
    assert await schedule(client, cast) == before

    # A move that overlaps only its own old slot is fine.
    shifted = await client.patch(url, json=slot(11, 15))
    assert shifted.status_code == 200, shifted.text


async def test_bad_input_is_422_or_404_and_saves_nothing(
    client: httpx.AsyncClient, cast: Cast, session: AsyncSession
) -> None:
    elsewhere = await factories.mission(session)
    stranger = (await factories.company(session, mission_=elsewhere)).id
    strange_booth = (await factories.venue(session, mission_=elsewhere)).id
    naive = {"starts_at": "2026-03-10T10:00:00", "ends_at": "2026-03-10T10:30:00"}
    validation_cases: list[tuple[dict[str, Any], str]] = [
        ({"ends_at": slot(9, 30)["starts_at"]}, "ends_at"),
        ({"ends_at": slot(10)["starts_at"]}, "ends_at"),
        (naive, "starts_at"),
        ({"room": "A"}, "room"),
        ({"language_pair": "korean"}, "language_pair"),
        ({"company_id": -1}, "company_id"),
        (slot(10, minutes=13 * 60), "ends_at"),
    ]
    for overrides, field in validation_cases:
        response = await client.post(cast.meetings_url, json=meeting_body(cast, **overrides))
        assert response.status_code == 422, (overrides, response.text)
        assert field in [e["loc"][1] for e in response.json()["detail"]], response.text

    rule_cases: list[tuple[dict[str, Any], str]] = [
        ({"language_pair": "ko-ru"}, "language_pair"),
        (slot(10, day=DAY - timedelta(days=1)), "starts_at"),
        (slot(10, day=DAY + timedelta(days=30)), "starts_at"),
    ]
    for overrides, field in rule_cases:
        response = await client.post(cast.meetings_url, json=meeting_body(cast, **overrides))
        assert response.status_code == 422, (overrides, response.text)
        assert response.json()["field"] == field, response.text

    for field in ("company_id", "buyer_id", "interpreter_id", "company_venue_id"):
        response = await client.post(cast.meetings_url, json=meeting_body(cast, **{field: 99999}))
        assert response.status_code == 404, (field, response.text)
        assert "99999 not found" in response.json()["detail"]
    # Another mission's company or booth answers exactly like a missing one.
    for field, foreign in (("company_id", stranger), ("company_venue_id", strange_booth)):
        response = await client.post(cast.meetings_url, json=meeting_body(cast, **{field: foreign}))
        assert response.status_code == 404, (field, response.text)
        assert response.json()["detail"].endswith(f"{foreign} not found"), response.text
    assert (
        await client.post("/api/v1/missions/99999/meetings", json=meeting_body(cast))
    ).status_code == 404

    assert await schedule(client, cast) == []


async def test_bad_updates_change_nothing(client: httpx.AsyncClient, cast: Cast) -> None:
    meeting = await book(client, cast, **meeting_body(cast))
    url = f"/api/v1/meetings/{meeting['id']}"
    for change, status in (
        ({"ends_at": slot(9)["starts_at"]}, 422),  # now before the stored start
        ({"company_id": None}, 422),
        ({"status": "postponed"}, 422),
        ({"buyer_id": 99999}, 404),
        ({"id": 7}, 422),
    ):
        response = await client.patch(url, json=change)
        assert response.status_code == status, (change, response.text)
    assert (await client.get(url)).json() == meeting
    assert (await client.patch("/api/v1/meetings/99999", json={})).status_code == 404


async def test_list_filters_and_pages(client: httpx.AsyncClient, cast: Cast) -> None:
    booked = [
        await book(client, cast, **meeting_body(cast, i % 2, **slot(9 + i))) for i in range(4)
    ]
    await client.post(f"/api/v1/meetings/{booked[3]['id']}/cancel")

    async def ids(**params: object) -> list[int]:
        response = await client.get(cast.meetings_url, params=params)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]]

    every = [m["id"] for m in booked]
    assert await ids() == every
    assert await ids(company_id=cast.companies[1]) == [every[1], every[3]]
    assert await ids(venue_id=cast.rooms[0]) == [every[0], every[2]]
    assert await ids(interpreter_id=cast.interpreters[0]) == [every[0], every[2]]
    assert await ids(status="cancelled") == [every[3]]
    assert (
        await ids(starting_from=slot(10)["starts_at"], starting_before=slot(12)["starts_at"])
        == every[1:3]
    )
    page = (await client.get(cast.meetings_url, params={"limit": 3, "offset": 3})).json()
    assert (page["total"], [m["id"] for m in page["items"]]) == (4, [every[3]])
    naive = await client.get(cast.meetings_url, params={"starting_from": "2026-03-10T10:00:00"})
    assert naive.status_code == 422


async def test_partner_is_returned_listed_and_cleared(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    meeting = await book(
        client, cast, **meeting_body(cast, 0, partner_interpreter_id=cast.interpreters[1])
    )
    assert meeting["partner_interpreter_id"] == cast.interpreters[1]
    url = f"/api/v1/meetings/{meeting['id']}"
    assert (await client.get(url)).json()["partner_interpreter_id"] == cast.interpreters[1]
    # Listing by interpreter finds the meetings a person works in either seat.
    listed = await client.get(cast.meetings_url, params={"interpreter_id": cast.interpreters[1]})
    assert [m["id"] for m in listed.json()["items"]] == [meeting["id"]]

    cleared = await client.patch(url, json={"partner_interpreter_id": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["partner_interpreter_id"] is None
    listed = await client.get(cast.meetings_url, params={"interpreter_id": cast.interpreters[1]})
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    ("first_seat", "second_seat"),
    [
        ("partner_interpreter_id", "interpreter_id"),
        ("interpreter_id", "partner_interpreter_id"),
        ("partner_interpreter_id", "partner_interpreter_id"),
    ],
)
async def test_an_interpreter_is_not_double_booked_in_either_seat(
    client: httpx.AsyncClient,
    cast: Cast,
    session: AsyncSession,
    first_seat: str,
    second_seat: str,
) -> None:
    mission = await session.get_one(Mission, cast.mission)
    spare = [(await factories.interpreter(session, mission_=mission)).id for _ in range(2)]
    person = cast.interpreters[1]
    # Each meeting has two interpreters: the shared person in the given seat, a spare in the other.
    first_people = {"interpreter_id": spare[0], "partner_interpreter_id": spare[0]}
    first_people[first_seat] = person
    first = await book(client, cast, **meeting_body(cast, 0, **first_people))
    second_people = {"interpreter_id": spare[1], "partner_interpreter_id": spare[1]}
    second_people[second_seat] = person
    before = await schedule(client, cast)

    clash = await client.post(
        cast.meetings_url, json=meeting_body(cast, 1, **slot(10, 15), **second_people)
    )

    assert clash.status_code == 409, clash.text
    assert clash.json()["clashes"] == [
        {
            "resource": "interpreter",
            "resource_id": person,
            "meeting_id": first["id"],
            "starts_at": "2026-03-10T01:00:00+00:00",
            "ends_at": "2026-03-10T01:30:00+00:00",
        }
    ]
    assert f"interpreter {person} is already in meeting {first['id']}" in clash.json()["detail"]
    assert await schedule(client, cast) == before
    # Back to back, the same person may work both meetings.
    await book(client, cast, **meeting_body(cast, 1, **slot(10, 30), **second_people))


async def test_partner_rules_are_422(
    client: httpx.AsyncClient, cast: Cast, session: AsyncSession
) -> None:
    elsewhere = await factories.mission(session)
    stranger = (await factories.interpreter(session, mission_=elsewhere)).id
    mission = await session.get_one(Mission, cast.mission)
    russian = (await factories.interpreter(session, mission_=mission, language_pairs=["ko-ru"])).id
    cases: list[tuple[dict[str, Any], str]] = [
        ({"partner_interpreter_id": cast.interpreters[0]}, "own booth partner"),
        ({"partner_interpreter_id": russian}, "does not cover ko-id"),
        (
            {"interpreter_id": None, "partner_interpreter_id": cast.interpreters[1]},
            "needs an interpreter",
        ),
    ]
    for overrides, message in cases:
        response = await client.post(cast.meetings_url, json=meeting_body(cast, 0, **overrides))
        assert response.status_code == 422, (overrides, response.text)
        assert response.json()["field"] == "partner_interpreter_id", response.text
        assert message in response.json()["detail"], response.text
    # Another mission's interpreter answers exactly like one that does not exist: a booking
    # must not tell which ids exist in missions the user may not see.
    missing = await client.post(
        cast.meetings_url, json=meeting_body(cast, 0, partner_interpreter_id=99999)
    )
    foreign = await client.post(
        cast.meetings_url, json=meeting_body(cast, 0, partner_interpreter_id=stranger)
    )
    assert missing.status_code == foreign.status_code == 404
    assert foreign.json()["detail"] == missing.json()["detail"].replace("99999", str(stranger))
    assert await schedule(client, cast) == []

    meeting = await book(
        client, cast, **meeting_body(cast, 0, partner_interpreter_id=cast.interpreters[1])
    )
    url = f"/api/v1/meetings/{meeting['id']}"
    swap = await client.patch(url, json={"interpreter_id": cast.interpreters[1]})
    assert swap.status_code == 422, swap.text
    assert (await client.get(url)).json() == meeting


async def test_a_booth_partner_cannot_be_deleted_while_booked(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    meeting = await book(
        client, cast, **meeting_body(cast, 0, partner_interpreter_id=cast.interpreters[1])
    )
    url = f"/api/v1/interpreters/{cast.interpreters[1]}"
    refused = await client.delete(url)
    assert refused.status_code == 409, refused.text
    assert refused.json()["meeting_ids"] == [meeting["id"]]
    cleared = await client.patch(
        f"/api/v1/meetings/{meeting['id']}", json={"partner_interpreter_id": None}
    )
    assert cleared.status_code == 200
    assert (await client.delete(url)).status_code == 204


async def test_the_meeting_page_names_the_booth_partner(
    client: httpx.AsyncClient, cast: Cast, session: AsyncSession
) -> None:
    meeting = await book(
        client, cast, **meeting_body(cast, 0, partner_interpreter_id=cast.interpreters[1])
    )
    partner = await session.get_one(Interpreter, cast.interpreters[1])
    page = await client.get(f"/meetings/{meeting['id']}", params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert "Partner interpreter" in page.text
    assert partner.name in page.text

"""The audit log: events saved with the change they describe, readable by admins only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.audit.service import SYSTEM, changes, record, seat_actor, summary, user_actor
from app.auth.models import UserRole
from app.meetings.models import MeetingStatus
from tests.app.auth.conftest import make_user, sign_in

AT = datetime(2026, 3, 10, 1, 2, tzinfo=UTC)


async def test_record_joins_the_callers_transaction(session: AsyncSession) -> None:
    admin = await make_user(session, role=UserRole.ADMIN)
    before = await session.scalar(select(func.count()).select_from(AuditEvent))
    savepoint = await session.begin_nested()
    await record(
        session,
        actor=user_actor(admin),
        action="meeting.reschedule",
        entity="meeting",
        entity_id=12,
        mission_id=3,
        before={"starts_at": AT},
        after={"status": MeetingStatus.SCHEDULED},
        at=AT,
    )
    await savepoint.rollback()  # the change failed: no event either
    assert await session.scalar(select(func.count()).select_from(AuditEvent)) == before

    event = await record(
        session,
        actor=user_actor(admin),
        action="meeting.reschedule",
        entity="meeting",
        entity_id=12,
        mission_id=3,
        before={"starts_at": AT, "on": date(2026, 3, 10)},
        after={"status": MeetingStatus.SCHEDULED},
        at=AT,
    )
    await session.commit()
    saved = await session.get(AuditEvent, event.id)
    assert saved is not None
    assert (saved.actor_user_id, saved.entity_id, saved.at) == (admin.id, "12", AT)
    assert saved.before == {"starts_at": AT.isoformat(), "on": "2026-03-10"}
    assert saved.after == {"status": "scheduled"}


def test_actors_and_summaries() -> None:
    assert seat_actor(7, "buyer") == "seat:buyer@meeting:7"
    assert SYSTEM == "system"
    assert summary(None) is None
    assert summary({"big": "x" * 10_000, "small": 1}) == {
        "truncated": True,
        "fields": ["big", "small"],
    }
    assert changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == (
        {"b": 2, "c": None},
        {"b": 3, "c": 4},
    )


async def test_admins_read_the_log_with_filters_others_are_refused(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role=UserRole.ADMIN)
    organiser = await make_user(session, role=UserRole.ORGANISER)
    for number, entity in enumerate(("meeting", "seat_link", "outcome")):
        await record(
            session,
            actor=SYSTEM,
            action=f"{entity}.change",
            entity=entity,
            entity_id=number,
            mission_id=99,
            at=AT,
        )
    await session.commit()

    assert (await auth_client.get("/api/v1/audit")).status_code == 401
    await sign_in(auth_client, organiser.email)
    assert (await auth_client.get("/api/v1/audit")).status_code == 403

    auth_client.cookies.clear()
    await sign_in(auth_client, admin.email)
    links = await auth_client.get("/api/v1/audit", params={"entity": "seat_link"})
    assert links.status_code == 200
    [event] = links.json()["items"]
    assert (event["action"], event["entity_id"], event["mission_id"]) == (
        "seat_link.change",
        "1",
        99,
    )

    mission = (await auth_client.get("/api/v1/audit", params={"mission_id": 99})).json()
    assert mission["total"] == 3

    # Signing in is itself audited, failed attempts included.
    mine = await auth_client.get("/api/v1/audit", params={"actor_user_id": admin.id})
    assert "auth.sign_in" in {e["action"] for e in mine.json()["items"]}
    await auth_client.post(
        "/api/v1/auth/sign-in", json={"email": organiser.email, "password": "w" * 12}
    )
    failed = await auth_client.get("/api/v1/audit", params={"action": "auth.sign_in_failed"})
    assert failed.json()["items"][0]["entity_id"] == str(organiser.id)


async def test_times_out_of_range_are_refused_not_errors(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role=UserRole.ADMIN)
    await sign_in(auth_client, admin.email)
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-03-10T00:00"):
        response = await auth_client.get("/api/v1/audit", params={"since": value})
        assert response.status_code == 422, value

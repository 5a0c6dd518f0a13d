"""Persistence of missions and their venues."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import SYSTEM, changes, record, snapshot
from app.auth.models import UserMission
from app.meetings.models import Meeting
from app.missions.exceptions import (
    MissionDatesInvalid,
    MissionInUse,
    MissionNameTaken,
    VenueInUse,
    VenueNameTaken,
)
from app.missions.models import Mission, MissionStatus, Venue, VenueKind
from app.missions.schemas import (
    MissionCreate,
    MissionUpdate,
    VenueCreate,
    VenueUpdate,
    check_dates,
)
from app.organisations.models import Organisation
from app.paging import Paging, fetch_page
from app.participants.models import Buyer, Company, Interpreter
from app.records import commit_or_raise


async def get(*, session: AsyncSession, mission_id: int) -> Mission | None:
    return await session.get(Mission, mission_id)


async def get_by_name(
    *, session: AsyncSession, organisation_id: int, name: str
) -> Mission | None:
    return await session.scalar(
        select(Mission).where(Mission.organisation_id == organisation_id, Mission.name == name)
    )


async def list_missions(
    *,
    session: AsyncSession,
    paging: Paging,
    organisation_id: int | None = None,
    status: MissionStatus | None = None,
    country: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: str | None = None,
    visible_to: int | None = None,
    everyone: bool = True,
) -> tuple[list[Mission], int]:
    """Missions matching every given filter; the date range keeps missions that overlap it.

    Unless `everyone`, only the missions of organisation `visible_to` (none if it is None).
    """
    statement = select(Mission).order_by(Mission.start_date.desc(), Mission.id)
    if not everyone:
        statement = statement.where(Mission.organisation_id == visible_to)
    if organisation_id is not None:
        statement = statement.where(Mission.organisation_id == organisation_id)
    if status is not None:
        statement = statement.where(Mission.status == status)
    if country is not None:
        # Codes are validated two capital letters, so the quoted code cannot match by accident.
        statement = statement.where(
            cast(Mission.target_countries, String).contains(f'"{country.upper()}"')
        )
    if date_from is not None:
        statement = statement.where(Mission.end_date >= date_from)
    if date_to is not None:
        statement = statement.where(Mission.start_date <= date_to)
    if q:
        statement = statement.where(func.lower(Mission.name).contains(q.lower()))
    return await fetch_page(session, statement, paging=paging)


async def create(
    *,
    session: AsyncSession,
    organisation: Organisation,
    data: MissionCreate,
    organised_by: int | None = None,
) -> Mission:
    """A new mission; `organised_by` (a user id) becomes one of its organisers."""
    mission = Mission(**data.model_dump() | {"organisation_id": organisation.id})
    session.add(mission)
    if organised_by is not None:
        await session.flush()
        session.add(UserMission(user_id=organised_by, mission_id=mission.id))
    await commit_or_raise(session, MissionNameTaken(data.name))
    return mission


async def _audit_update(
    session: AsyncSession,
    *,
    actor: str,
    entity: str,
    row: Venue | Mission,
    asked: dict[str, object],
) -> None:
    before, after = changes(snapshot(row, asked), asked)
    if after:
        await record(
            session,
            actor=actor,
            action=f"{entity}.update",
            entity=entity,
            entity_id=row.id,
            mission_id=row.id if isinstance(row, Mission) else row.mission_id,
            before=before,
            after=after,
        )


async def update(
    *, session: AsyncSession, mission: Mission, data: MissionUpdate, actor: str = SYSTEM
) -> Mission:
    asked = data.changes()
    problem = check_dates(
        asked.get("start_date", mission.start_date), asked.get("end_date", mission.end_date)
    )
    if problem:
        raise MissionDatesInvalid(problem)
    await _audit_update(session, actor=actor, entity="mission", row=mission, asked=asked)
    for field, value in asked.items():
        setattr(mission, field, value)
    await commit_or_raise(session, MissionNameTaken(mission.name))
    return mission


async def delete(*, session: AsyncSession, mission: Mission, actor: str = SYSTEM) -> None:
    """Delete a mission that holds nothing yet; one with records is cancelled instead."""
    records: dict[str, int] = {}
    for label, model in (
        ("meetings", Meeting),
        ("companies", Company),
        ("buyers", Buyer),
        ("interpreters", Interpreter),
        ("venues", Venue),
    ):
        count = await session.scalar(
            select(func.count()).select_from(model).where(model.mission_id == mission.id)
        )
        if count:
            records[label] = count
    if records:
        raise MissionInUse(mission.id, records)
    await record(
        session,
        actor=actor,
        action="mission.delete",
        entity="mission",
        entity_id=mission.id,
        mission_id=mission.id,
        before={"name": mission.name, "organisation_id": mission.organisation_id},
    )
    await session.delete(mission)
    await session.commit()


async def get_venue(*, session: AsyncSession, venue_id: int) -> Venue | None:
    return await session.get(Venue, venue_id)


async def list_venues(
    *,
    session: AsyncSession,
    mission: Mission,
    paging: Paging,
    kind: VenueKind | None = None,
    country: str | None = None,
) -> tuple[list[Venue], int]:
    statement = select(Venue).where(Venue.mission_id == mission.id).order_by(Venue.id)
    if kind is not None:
        statement = statement.where(Venue.kind == kind)
    if country is not None:
        statement = statement.where(Venue.country == country.upper())
    return await fetch_page(session, statement, paging=paging)


async def create_venue(*, session: AsyncSession, mission: Mission, data: VenueCreate) -> Venue:
    venue = Venue(mission_id=mission.id, **data.model_dump())
    session.add(venue)
    await commit_or_raise(session, VenueNameTaken(data.name))
    return venue


async def update_venue(
    *, session: AsyncSession, venue: Venue, data: VenueUpdate, actor: str = SYSTEM
) -> Venue:
    asked = data.changes()
    await _audit_update(session, actor=actor, entity="venue", row=venue, asked=asked)
    for field, value in asked.items():
        setattr(venue, field, value)
    await commit_or_raise(session, VenueNameTaken(venue.name))
    return venue


async def delete_venue(*, session: AsyncSession, venue: Venue, actor: str = SYSTEM) -> None:
    meeting_ids = list(
        await session.scalars(
            select(Meeting.id)
            .where(or_(Meeting.company_venue_id == venue.id, Meeting.buyer_venue_id == venue.id))
            .order_by(Meeting.id)
        )
    )
    if meeting_ids:
        raise VenueInUse(venue.id, meeting_ids)
    await record(
        session,
        actor=actor,
        action="venue.delete",
        entity="venue",
        entity_id=venue.id,
        mission_id=venue.mission_id,
        before={"name": venue.name, "kind": venue.kind},
    )
    await session.delete(venue)
    await session.commit()

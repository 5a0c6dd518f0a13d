"""Persistence of meetings and the booking rules every booking and move goes through.

A booking locks the rows of the company, buyer, interpreter and venues it would hold
(SELECT ... FOR UPDATE on PostgreSQL, in one global order so two bookings cannot deadlock),
then looks for overlapping meetings, then writes, all in one transaction: two concurrent
bookings that share any resource are serialised on that resource's row, so the second sees
the first's meeting. SQLite has a single writer: taking its write lock first (before any
read) queues bookings instead of failing them. A refused booking writes nothing; its locks
last until the caller's transaction ends.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.audit.service import SYSTEM, record, snapshot
from app.audit.service import changes as audit_changes
from app.database import Base
from app.meetings import assignment, attendance
from app.meetings.exceptions import MeetingClash, MeetingInvalid
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.schemas import MeetingCreate, MeetingUpdate, check_times
from app.missions.exceptions import VenueNotFound
from app.missions.models import Mission, Venue
from app.paging import Paging, fetch_page
from app.participants.exceptions import ParticipantNotFound
from app.participants.models import Buyer, Company, Interpreter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Booking:
    """What a meeting holds: its people and places for a time slot."""

    company_id: int
    buyer_id: int
    interpreter_id: int | None
    company_venue_id: int | None
    buyer_venue_id: int | None
    language_pair: str
    starts_at: datetime
    ends_at: datetime
    partner_interpreter_id: int | None = None  # the booth partner, a second interpreter

    @classmethod
    def of(cls, meeting: Meeting) -> Booking:
        return cls(**{name: getattr(meeting, name) for name in cls.__dataclass_fields__})

    @property
    def interpreter_ids(self) -> list[int]:
        """The interpreter and the booth partner: one person cannot be in two meetings."""
        both = (self.interpreter_id, self.partner_interpreter_id)
        return sorted({i for i in both if i is not None})

    @property
    def venue_ids(self) -> list[int]:
        return sorted({v for v in (self.company_venue_id, self.buyer_venue_id) if v is not None})


async def get(*, session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def list_meetings(
    *,
    session: AsyncSession,
    mission: Mission,
    paging: Paging,
    status: MeetingStatus | None = None,
    company_id: int | None = None,
    buyer_id: int | None = None,
    interpreter_id: int | None = None,
    venue_id: int | None = None,
    starting_from: datetime | None = None,
    starting_before: datetime | None = None,
) -> tuple[list[Meeting], int]:
    """A mission's meetings in time order, filtered."""
    statement = (
        select(Meeting)
        .where(Meeting.mission_id == mission.id)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if status is not None:
        statement = statement.where(Meeting.status == status)
    if company_id is not None:
        statement = statement.where(Meeting.company_id == company_id)
    if buyer_id is not None:
        statement = statement.where(Meeting.buyer_id == buyer_id)
    if interpreter_id is not None:
        statement = statement.where(
            or_(
                Meeting.interpreter_id == interpreter_id,
                Meeting.partner_interpreter_id == interpreter_id,
            )
        )
    if venue_id is not None:
        statement = statement.where(
            or_(Meeting.company_venue_id == venue_id, Meeting.buyer_venue_id == venue_id)
        )
    if starting_from is not None:
        statement = statement.where(Meeting.starts_at >= starting_from)
    if starting_before is not None:
        statement = statement.where(Meeting.starts_at < starting_before)
    return await fetch_page(session, statement, paging=paging)


async def _lock(session: AsyncSession, model: type[Base], id_: int) -> Any:
    # populate_existing: the row may sit in the identity map from before another commit.
    return await session.get(model, id_, with_for_update=True, populate_existing=True)


async def _lock_resources(
    session: AsyncSession, mission: Mission, booking: Booking
) -> tuple[Company, Buyer, list[tuple[str, Interpreter]]]:
    """Lock every row the booking holds (fixed order: table, then id); 404/422 on bad ids.

    Returns the company, the buyer and each interpreter with the field that names it.
    """
    wanted: list[tuple[str, str, type[Base], int]] = [
        ("company", "company_id", Company, booking.company_id),
        ("buyer", "buyer_id", Buyer, booking.buyer_id),
    ]
    for interpreter_id in booking.interpreter_ids:
        field = (
            "interpreter_id"
            if interpreter_id == booking.interpreter_id
            else "partner_interpreter_id"
        )
        wanted.append(("interpreter", field, Interpreter, interpreter_id))
    for venue_id in booking.venue_ids:
        field = "company_venue_id" if venue_id == booking.company_venue_id else "buyer_venue_id"
        wanted.append(("venue", field, Venue, venue_id))
    assignment.check_partner(booking.interpreter_id, booking.partner_interpreter_id)
    rows: dict[str, Any] = {}
    interpreters: list[tuple[str, Interpreter]] = []
    for kind, field, model, id_ in wanted:
        row = await _lock(session, model, id_)
        # Another mission's row answers like a missing one: a user must not learn from a
        # booking which ids exist in missions (maybe other organisations') they cannot see.
        if row is None or row.mission_id != mission.id:
            raise VenueNotFound(id_) if kind == "venue" else ParticipantNotFound(kind, id_)
        if isinstance(row, Interpreter):
            interpreters.append((field, row))
        rows[kind] = row
    return rows["company"], rows["buyer"], interpreters


def _check_slot(mission: Mission, booking: Booking) -> None:
    if problem := check_times(booking.starts_at, booking.ends_at):
        raise MeetingInvalid(problem, field="ends_at")
    zone = ZoneInfo(mission.timezone)
    first_day = booking.starts_at.astimezone(zone).date()
    last_day = (booking.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    if first_day < mission.start_date or last_day > mission.end_date:
        raise MeetingInvalid(
            f"the meeting falls outside the mission's dates, {mission.start_date} to "
            f"{mission.end_date} ({mission.timezone})",
            field="starts_at",
        )


async def find_clashes(
    *,
    session: AsyncSession,
    mission: Mission,
    booking: Booking,
    ignore_meeting_id: int | None = None,
) -> list[dict[str, Any]]:
    """Each resource of `booking` already in another live meeting overlapping its slot.

    Slots are half-open: a meeting ending at 10:00 and one starting at 10:00 do not clash.
    Cancelled meetings hold nothing.
    """
    held = [Meeting.company_id == booking.company_id, Meeting.buyer_id == booking.buyer_id]
    if people := booking.interpreter_ids:
        held += [Meeting.interpreter_id.in_(people), Meeting.partner_interpreter_id.in_(people)]
    if venue_ids := booking.venue_ids:
        held += [Meeting.company_venue_id.in_(venue_ids), Meeting.buyer_venue_id.in_(venue_ids)]
    statement = (
        select(Meeting)
        .where(
            Meeting.mission_id == mission.id,
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at < booking.ends_at,
            Meeting.ends_at > booking.starts_at,
            or_(*held),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if ignore_meeting_id is not None:
        statement = statement.where(Meeting.id != ignore_meeting_id)
    clashes: list[dict[str, Any]] = []
    for other in await session.scalars(statement):
        shared: list[tuple[str, int | None]] = [
            ("company", booking.company_id if other.company_id == booking.company_id else None),
            ("buyer", booking.buyer_id if other.buyer_id == booking.buyer_id else None),
        ]
        other_people = {other.interpreter_id, other.partner_interpreter_id}
        shared += [("interpreter", i) for i in booking.interpreter_ids if i in other_people]
        other_venues = {other.company_venue_id, other.buyer_venue_id}
        shared += [("venue", v) for v in booking.venue_ids if v in other_venues]
        clashes += [
            {
                "resource": resource,
                "resource_id": resource_id,
                "meeting_id": other.id,
                "starts_at": other.starts_at.isoformat(),
                "ends_at": other.ends_at.isoformat(),
            }
            for resource, resource_id in shared
            if resource_id is not None
        ]
    return clashes


async def _check_booking(
    session: AsyncSession,
    mission: Mission,
    booking: Booking,
    *,
    ignore_meeting_id: int | None = None,
    people_changed: bool = True,
) -> None:
    company, buyer, interpreters = await _lock_resources(session, mission, booking)
    _check_slot(mission, booking)
    # Who meets, and with which interpreter: checked when that is what changes (a booking,
    # another interpreter or party); marking a meeting held or moving it leaves it be.
    if people_changed:
        assignment.check_interpreted(
            company=company, buyer=buyer, interpreter_id=booking.interpreter_id,
            pair=booking.language_pair,
        )
    for field, interpreter in interpreters:
        assignment.check_languages(
            interpreter, field=field, company=company, buyer=buyer, pair=booking.language_pair
        )
    await assignment.check_available(
        session,
        mission=mission,
        interpreters=interpreters,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
    )
    clashes = await find_clashes(
        session=session, mission=mission, booking=booking, ignore_meeting_id=ignore_meeting_id
    )
    if clashes:
        raise MeetingClash(clashes)


async def book(
    *, session: AsyncSession, mission: Mission, data: MeetingCreate, actor: str = SYSTEM
) -> Meeting:
    """Book a meeting if nobody and no booth in it is taken at that time; else raise."""
    booking = Booking(**data.model_dump(exclude={"priority"}))
    await _check_booking(session, mission, booking)
    meeting = Meeting(mission_id=mission.id, priority=data.priority, **asdict(booking))
    session.add(meeting)
    await session.flush()
    await record(
        session, actor=actor, action="meeting.create", entity="meeting", entity_id=meeting.id,
        mission_id=mission.id, after=asdict(booking),
    )
    await session.commit()
    logger.info(
        "meeting %s booked: mission %s company %s buyer %s %s-%s",
        meeting.id, mission.id, meeting.company_id, meeting.buyer_id,
        meeting.starts_at.isoformat(), meeting.ends_at.isoformat(),
    )
    return meeting


async def update(
    *,
    session: AsyncSession,
    meeting: Meeting,
    data: MeetingUpdate,
    now: datetime | None = None,
    actor: str = SYSTEM,
) -> Meeting:
    """Move or change a meeting; the result is checked like a new booking unless cancelled.

    A status of `completed` or `no_show` is a person's mark (app/meetings/attendance.py);
    `scheduled` reinstates the meeting and gives its status back to the rooms; `live` is
    the rooms' to set.
    """
    now = now or clock.now()
    meeting_id = meeting.id
    changes = data.changes()
    reason = changes.pop("reason", None) or ""
    status = changes.get("status")
    if status is MeetingStatus.LIVE:
        raise MeetingInvalid(
            "a meeting is live when its seats are in its room; mark it completed (held) or "
            "no_show instead",
            field="status",
        )
    if status in attendance.FINAL:
        del changes["status"]
    locked: Meeting = await _lock(session, Meeting, meeting_id)
    mission = await session.get_one(Mission, locked.mission_id)
    booking_fields = set(Booking.__dataclass_fields__)
    booking = replace(
        Booking.of(locked), **{k: v for k, v in changes.items() if k in booking_fields}
    )
    if changes.get("status", locked.status) != MeetingStatus.CANCELLED and (
        changes or status is None
    ):
        people = {"company_id", "buyer_id", "interpreter_id", "partner_interpreter_id",
                  "language_pair"}
        await _check_booking(
            session, mission, booking, ignore_meeting_id=meeting_id,
            people_changed=bool(people & set(changes)),
        )
    if status is MeetingStatus.SCHEDULED:
        changes["status_marked_by"] = None  # the rooms settle it again
    before, after = audit_changes(snapshot(locked, changes), changes)
    for field, value in changes.items():
        setattr(locked, field, value)
    if after:
        await record(
            session, actor=actor, action="meeting.update", entity="meeting",
            entity_id=meeting_id, mission_id=locked.mission_id, before=before, after=after,
            at=now,
        )
    if status in attendance.FINAL:
        await attendance.mark(
            session=session, meeting_id=meeting_id, status=status, reason=reason,
            actor=actor, now=now,
        )
    await session.commit()
    logger.info("meeting %s updated: %s", meeting_id, sorted(changes) or [str(status)])
    return locked


async def mark_attendance(
    *,
    session: AsyncSession,
    meeting: Meeting,
    status: MeetingStatus,
    reason: str,
    now: datetime,
    actor: str,
) -> Meeting:
    """A person's mark: held (`completed`) or `no_show`, with the reason; see attendance.py."""
    marked = await attendance.mark(
        session=session, meeting_id=meeting.id, status=status, reason=reason, actor=actor,
        now=now,
    )
    await session.commit()
    return marked


async def cancel(*, session: AsyncSession, meeting: Meeting, actor: str = SYSTEM) -> Meeting:
    """Cancel a meeting (idempotent); it stays on record and frees its people and booths."""
    if meeting.status != MeetingStatus.CANCELLED:
        before = meeting.status
        meeting.status = MeetingStatus.CANCELLED
        await record(
            session, actor=actor, action="meeting.cancel", entity="meeting", entity_id=meeting.id,
            mission_id=meeting.mission_id, before={"status": before},
            after={"status": meeting.status},
        )
        await session.commit()
        logger.info("meeting %s cancelled", meeting.id)
    return meeting

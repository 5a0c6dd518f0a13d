"""Held or no-show: an organiser's mark, the automatic settling, and why the person wins.

A meeting ends held (`completed`) or `no_show`. The rooms settle it by themselves at the
slot's end (company and buyer in the room together = held): the system's mark. An organiser
may mark it too, with a reason — a mission held on paper, at a hotel abroad or on another
video tool, or a room that failed: a person's mark. The person always wins. The system
writes only where the meeting is still as it read it and no person has marked it (a guarded
`UPDATE ... WHERE status = :seen AND status_marked_by IS NULL`), so a mark that lands
between the system's read and its write is never overwritten, on PostgreSQL as on SQLite;
and a meeting a person marked is never settled again. Every mark, the system's included,
is a row of `attendance_marks` and an entry of the audit log.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import SYSTEM, record
from app.meetings.exceptions import MeetingNotFound, MeetingStateConflict
from app.meetings.models import AttendanceMark, MarkSource, Meeting, MeetingStatus

logger = logging.getLogger(__name__)

FINAL = frozenset({MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW})
OPEN = (MeetingStatus.SCHEDULED, MeetingStatus.LIVE)


async def mark(
    *,
    session: AsyncSession,
    meeting_id: int,
    status: MeetingStatus,
    reason: str,
    actor: str,
    now: datetime,
) -> Meeting:
    """A person marks the meeting held (`completed`) or `no_show`; the caller commits.

    Refused (409) for a cancelled meeting and one that has not started yet. Marking again
    replaces the earlier mark (both stay on record).
    """
    if status not in FINAL:
        raise ValueError(f"a meeting is marked completed or no_show, not {status}")
    # FOR UPDATE: a settling or another mark waits for this one (PostgreSQL); populate_existing
    # because the row may be in the identity map from before another commit.
    meeting = await session.get(Meeting, meeting_id, with_for_update=True, populate_existing=True)
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    if meeting.status is MeetingStatus.CANCELLED:
        raise MeetingStateConflict(
            meeting_id, meeting.status, "a cancelled meeting cannot be marked held or no-show"
        )
    if meeting.starts_at > now:
        raise MeetingStateConflict(
            meeting_id,
            meeting.status,
            f"it starts at {meeting.starts_at.isoformat()}: mark it once it has started "
            "(or move it first)",
        )
    before = meeting.status
    meeting.status = status
    meeting.status_marked_by = actor[:200]
    meeting.updated_at = now
    session.add(
        AttendanceMark(
            meeting_id=meeting_id, status=status, previous_status=before,
            source=MarkSource.PERSON, actor=actor[:200], reason=reason[:500], at=now,
        )
    )
    await record(
        session, actor=actor, action="meeting.attendance", entity="meeting",
        entity_id=meeting_id, mission_id=meeting.mission_id,
        before={"status": before}, after={"status": status, "reason": reason}, at=now,
    )
    logger.info("meeting %s marked %s by %s (was %s)", meeting_id, status, actor, before)
    return meeting


async def settle(
    *,
    session: AsyncSession,
    meeting_id: int,
    seen: MeetingStatus,
    status: MeetingStatus,
    reason: str,
    now: datetime,
    ended_by: datetime | None = None,
) -> bool:
    """The system settles a meeting it read in status `seen`; the caller commits.

    Writes only if the meeting is still `seen`, no person has marked it and (with
    `ended_by`) its slot still ends by then (an organiser may have extended it meanwhile).
    Returns whether it wrote.
    """
    guarded = update(Meeting).where(
        Meeting.id == meeting_id,
        Meeting.status == seen,
        Meeting.status_marked_by.is_(None),
    )
    if ended_by is not None:
        guarded = guarded.where(Meeting.ends_at <= ended_by)
    result = await session.execute(
        guarded.values(status=status, updated_at=now).returning(Meeting.mission_id)
    )
    mission_id = result.scalar_one_or_none()
    if mission_id is None:
        return False
    session.add(
        AttendanceMark(
            meeting_id=meeting_id, status=status, previous_status=seen,
            source=MarkSource.SYSTEM, actor=SYSTEM, reason=reason[:500], at=now,
        )
    )
    await record(
        session, actor=SYSTEM, action="meeting.settle", entity="meeting", entity_id=meeting_id,
        mission_id=mission_id, before={"status": seen}, after={"status": status, "reason": reason},
        at=now,
    )
    logger.info("meeting %s settled %s: %s", meeting_id, status, reason)
    return True


async def list_marks(*, session: AsyncSession, meeting_id: int) -> list[AttendanceMark]:
    rows = await session.scalars(
        select(AttendanceMark)
        .where(AttendanceMark.meeting_id == meeting_id)
        .order_by(AttendanceMark.id)
    )
    return list(rows)

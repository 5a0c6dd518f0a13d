"""Recording outcomes as appended versions, safe under concurrent edits on both backends.

Each write transaction starts with its write (INSERT or conditional UPDATE of the `outcomes`
row), before any read: on PostgreSQL the row lock makes a second editor wait and then find
the version moved on; on SQLite a first-statement write waits for the lock instead of
deadlocking with a reader that wants to upgrade. The unique (meeting_id, version) constraint is
the last guard: an IntegrityError becomes 409 too. Nothing is ever overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import changes, record, snapshot
from app.database import UTCDateTime, utcnow
from app.errors import NotFound, PermissionDenied
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, MissionStatus
from app.money.conversion import to_report_units
from app.money.currencies import to_minor
from app.money.schemas import Conversion
from app.money.service import conversion_on
from app.outcomes.actors import Actor
from app.outcomes.exceptions import (
    MeetingNotFound,
    MeetingNotHeld,
    MissionClosed,
    OutcomeNotFound,
    ReasonRequired,
    StaleVersion,
)
from app.outcomes.models import Outcome, OutcomeVersion
from app.outcomes.schemas import OutcomeIn, OutcomeVersionOut
from app.rooms.service import company_met_buyer, list_attendance

logger = logging.getLogger(__name__)


async def get_meeting(*, session: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    return meeting


async def check_held(*, session: AsyncSession, meeting: Meeting) -> None:
    """An outcome is of a held consultation: a meeting completed, or live with the company and
    the buyer already met in its room (a seat that leaves early records it at once). Else
    409 naming the status: a no-show, a meeting not held yet or cancelled has no outcome;
    one held elsewhere is marked held first (POST /meetings/{id}/attendance)."""
    if meeting.status is MeetingStatus.COMPLETED:
        return
    if meeting.status is MeetingStatus.LIVE:
        rows = await list_attendance(session=session, meeting_id=meeting.id)
        if company_met_buyer(rows, until=utcnow()):
            return
    raise MeetingNotHeld(meeting.id, meeting.status)


async def get_current(*, session: AsyncSession, meeting_id: int) -> OutcomeVersion:
    row = await session.scalar(
        select(OutcomeVersion)
        .join(Outcome, Outcome.current_version_id == OutcomeVersion.id)
        .where(Outcome.meeting_id == meeting_id)
        .execution_options(populate_existing=True)
    )
    if row is None:
        await get_meeting(session=session, meeting_id=meeting_id)
        raise OutcomeNotFound(meeting_id)
    return row


async def list_versions(*, session: AsyncSession, meeting_id: int) -> Sequence[OutcomeVersion]:
    await get_meeting(session=session, meeting_id=meeting_id)
    result = await session.scalars(
        select(OutcomeVersion)
        .where(OutcomeVersion.meeting_id == meeting_id)
        .order_by(OutcomeVersion.version)
    )
    return result.all()


async def get_version(*, session: AsyncSession, meeting_id: int, version: int) -> OutcomeVersion:
    row = await session.scalar(
        select(OutcomeVersion).where(
            OutcomeVersion.meeting_id == meeting_id, OutcomeVersion.version == version
        )
    )
    if row is None:
        await get_meeting(session=session, meeting_id=meeting_id)
        raise OutcomeNotFound(meeting_id, version)
    return row


async def record_outcome(
    *, session: AsyncSession, meeting_id: int, data: OutcomeIn, actor: Actor
) -> OutcomeVersion:
    """Version 1 of a meeting's outcome; 409 with the current version if one exists."""
    try:
        # The claim comes first (see the module docstring); the checks below undo it. One
        # statement that writes: the meeting's mission is copied in, none = no such meeting.
        claimed = await session.execute(
            insert(Outcome).from_select(
                ["meeting_id", "mission_id", "version", "updated_at"],
                select(
                    Meeting.id, Meeting.mission_id, literal(1), literal(utcnow(), UTCDateTime())
                ).where(Meeting.id == meeting_id),
            )
        )
    except IntegrityError:
        await session.rollback()
        current = await get_current(session=session, meeting_id=meeting_id)
        raise StaleVersion(meeting_id=meeting_id, expected=None, current=_dump(current)) from None
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise MeetingNotFound(meeting_id)
    return await _append(session=session, meeting_id=meeting_id, version=1, data=data, actor=actor)


async def amend_outcome(
    *, session: AsyncSession, meeting_id: int, expected_version: int, data: OutcomeIn, actor: Actor
) -> OutcomeVersion:
    """A new version made from `expected_version`; 409 with the current one if that is stale."""
    claimed = await session.execute(
        update(Outcome)
        .where(Outcome.meeting_id == meeting_id, Outcome.version == expected_version)
        .values(version=expected_version + 1, updated_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        current = await get_current(session=session, meeting_id=meeting_id)
        raise StaleVersion(meeting_id=meeting_id, expected=expected_version, current=_dump(current))
    return await _append(
        session=session, meeting_id=meeting_id, version=expected_version + 1, data=data, actor=actor
    )


async def _append(
    *, session: AsyncSession, meeting_id: int, version: int, data: OutcomeIn, actor: Actor
) -> OutcomeVersion:
    """Checks and writes version `version`, whose number this transaction has claimed."""
    try:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None:
            raise MeetingNotFound(meeting_id)
        await check_held(session=session, meeting=meeting)
        mission = await session.get(Mission, meeting.mission_id)
        assert mission is not None  # meetings.mission_id is a non-null foreign key
        check_may_record(mission=mission, actor=actor, reason=data.reason)
        day = meeting.starts_at.astimezone(ZoneInfo(mission.timezone)).date()
        conversion = await conversion_on(
            session=session, mission_id=mission.id, currency=data.currency, on=day
        )
        currency = data.currency
        row = OutcomeVersion(
            meeting_id=meeting_id,
            version=version,
            currency=currency,
            consultation_value_minor=to_minor(data.consultation_value, currency),
            expected_contract_value_minor=to_minor(data.expected_contract_value, currency),
            onsite_contract_minor=_minor_or_none(data.onsite_contract_amount, currency),
            mou_minor=_minor_or_none(data.mou_amount, currency),
            usd_rate=conversion.usd_rate,
            usd_rate_date=conversion.usd_rate_date,
            krw_per_usd=conversion.krw_per_usd,
            krw_rate_date=conversion.krw_rate_date,
            interest_level=data.interest_level,
            samples=data.samples,
            next_steps=data.next_steps,
            notes=data.notes,
            recorded_by=actor.name,
            recorded_by_role=actor.role,
            reason=data.reason,
            recorded_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        await _audit(session, row=row, mission_id=mission.id, actor=actor)
        await session.execute(
            update(Outcome)
            .where(Outcome.meeting_id == meeting_id)
            .values(current_version_id=row.id, **_report_units(data, conversion))
        )
        await session.commit()
    except IntegrityError:
        await session.rollback()
        current = await get_current(session=session, meeting_id=meeting_id)
        raise StaleVersion(
            meeting_id=meeting_id, expected=version - 1, current=_dump(current)
        ) from None
    except BaseException:
        await session.rollback()
        raise
    logger.info(
        "outcome of meeting %s: version %s by %s (%s)", meeting_id, version, actor.name, actor.role
    )
    return row


# What an outcome version says, as the audit log compares it between versions.
AUDITED_FIELDS = (
    "currency",
    "consultation_value_minor",
    "expected_contract_value_minor",
    "onsite_contract_minor",
    "mou_minor",
    "interest_level",
    "samples",
    "next_steps",
    "notes",
    "recorded_by",
    "recorded_by_role",
    "reason",
)


async def _audit(
    session: AsyncSession, *, row: OutcomeVersion, mission_id: int, actor: Actor
) -> None:
    """`outcome.create` with what version 1 says; `outcome.update` with what changed."""
    after = snapshot(row, AUDITED_FIELDS)
    before: dict[str, object] | None = None
    if row.version > 1:
        previous = await session.scalar(
            select(OutcomeVersion).where(
                OutcomeVersion.meeting_id == row.meeting_id,
                OutcomeVersion.version == row.version - 1,
            )
        )
        if previous is not None:
            before, after = changes(snapshot(previous, AUDITED_FIELDS), after)
    await record(
        session,
        actor=actor.audit,
        action="outcome.create" if row.version == 1 else "outcome.update",
        entity="outcome",
        entity_id=row.meeting_id,
        mission_id=mission_id,
        before=before,
        after={**after, "version": row.version},
    )


def check_may_record(*, mission: Mission, actor: Actor, reason: str) -> None:
    """Anyone in a role records until the mission is closed; then the organiser, with a reason."""
    if mission.status == MissionStatus.CLOSED:
        if not actor.is_organiser:
            raise MissionClosed(mission.id)
        if not reason.strip():
            raise ReasonRequired(mission.id)


async def close_mission(*, session: AsyncSession, mission_id: int, actor: Actor) -> Mission:
    """Close the mission's results: from now on only the organiser amends, with a reason."""
    if not actor.is_organiser:
        raise PermissionDenied("only the organiser closes a mission", role=actor.role.value)
    mission = await session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(f"mission {mission_id} not found", mission_id=mission_id)
    before = mission.status
    mission.status = MissionStatus.CLOSED
    await record(
        session,
        actor=actor.audit,
        action="mission.close",
        entity="mission",
        entity_id=mission.id,
        mission_id=mission.id,
        before={"status": before},
        after={"status": mission.status, "closed_by": actor.name},
    )
    await session.commit()
    logger.info("mission %s closed by %s", mission_id, actor.name)
    return mission


REPORT_PREFIXES = ("consultation", "expected", "onsite", "mou")


def report_units(
    amounts: Sequence[Decimal | None], currency: str, conversion: Conversion
) -> dict[str, int | None]:
    """The head row's USD and KRW columns for a version's four amounts (consultation value,
    expected contract, on-site contract, MOU, in that order) in `currency`."""
    units: dict[str, int | None] = {}
    for prefix, amount in zip(REPORT_PREFIXES, amounts, strict=True):
        if amount is None:
            units[f"{prefix}_usd_e6"] = units[f"{prefix}_krw_e4"] = None
        else:
            usd, krw = to_report_units(amount, currency, conversion)
            units[f"{prefix}_usd_e6"], units[f"{prefix}_krw_e4"] = usd, krw
    return units


def _report_units(data: OutcomeIn, conversion: Conversion) -> dict[str, int | None]:
    """The head row's USD and KRW columns for this version's amounts."""
    amounts = (
        data.consultation_value,
        data.expected_contract_value,
        data.onsite_contract_amount,
        data.mou_amount,
    )
    return report_units(amounts, data.currency, conversion)


def _minor_or_none(amount: Decimal | None, currency: str) -> int | None:
    return None if amount is None else to_minor(amount, currency)


def _dump(row: OutcomeVersion) -> dict[str, object]:
    return OutcomeVersionOut.of(row).model_dump(mode="json")

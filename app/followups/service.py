"""Follow-up tracks: set a meeting's stage, list the organiser's due and overdue reminders."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.database import utcnow
from app.errors import Conflict
from app.followups.exceptions import FollowUpNotFound
from app.followups.models import FollowUp, FollowUpStage
from app.followups.schemas import FollowUpIn, Reminder
from app.meetings.models import Meeting
from app.money.conversion import to_report_units
from app.money.currencies import to_minor
from app.money.service import conversion_on, get_mission
from app.outcomes.actors import Actor
from app.outcomes.exceptions import MeetingNotFound
from app.participants.models import Buyer, Company

logger = logging.getLogger(__name__)


async def get_follow_up(*, session: AsyncSession, meeting_id: int) -> FollowUp:
    row = await session.get(FollowUp, meeting_id, populate_existing=True)
    if row is None:
        if await session.get(Meeting, meeting_id) is None:
            raise MeetingNotFound(meeting_id)
        raise FollowUpNotFound(meeting_id)
    return row


async def set_follow_up(
    *, session: AsyncSession, meeting_id: int, data: FollowUpIn, actor: Actor
) -> FollowUp:
    """Create or move a meeting's track. A signed contract stores the rates of its signing day."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    conversion = None
    if data.stage is FollowUpStage.CONTRACT_SIGNED:
        assert data.contract_currency is not None and data.contract_signed_on is not None
        # Looked up before anything changes, so a missing rate (422) leaves the track as it was.
        conversion = await conversion_on(
            session=session,
            mission_id=meeting.mission_id,
            currency=data.contract_currency,
            on=data.contract_signed_on,
            field="contract_currency",
        )
    row = await session.get(FollowUp, meeting_id)
    if row is None:
        row = FollowUp(meeting_id=meeting_id)
        session.add(row)
    row.stage = data.stage
    row.due_on = data.due_on
    row.note = data.note
    row.updated_by = actor.name
    row.updated_by_role = actor.role
    row.updated_at = utcnow()
    if conversion is not None:
        assert data.contract_amount is not None and data.contract_currency is not None
        row.contract_currency = data.contract_currency
        row.contract_minor = to_minor(data.contract_amount, data.contract_currency)
        row.contract_signed_on = data.contract_signed_on
        row.usd_rate = conversion.usd_rate
        row.krw_per_usd = conversion.krw_per_usd
        row.contract_usd_e6, row.contract_krw_e4 = to_report_units(
            data.contract_amount, data.contract_currency, conversion
        )
        row.due_on = None  # nothing left to remind of
    else:
        row.contract_currency = row.contract_minor = row.contract_signed_on = None
        row.usd_rate = row.krw_per_usd = None
        row.contract_usd_e6 = row.contract_krw_e4 = None
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("the follow-up was created meanwhile; send it again") from None
    logger.info("follow-up of meeting %s: %s by %s", meeting_id, data.stage, actor.name)
    return row


async def reminders(
    *, session: AsyncSession, mission_id: int, on: date, within_days: int = 7
) -> Sequence[Reminder]:
    """Open tracks due by `on` + `within_days`, most overdue first."""
    await get_mission(session=session, mission_id=mission_id)
    open_stages = [stage for stage in FollowUpStage if stage.is_open]
    rows = await session.execute(
        select(
            FollowUp.meeting_id,
            FollowUp.stage,
            FollowUp.due_on,
            FollowUp.note,
            Company.name,
            Buyer.name,
            Buyer.company_name,
        )
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .join(Company, Company.id == Meeting.company_id)
        .join(Buyer, Buyer.id == Meeting.buyer_id)
        .where(
            Meeting.mission_id == mission_id,
            FollowUp.stage.in_(open_stages),
            FollowUp.due_on <= on + timedelta(days=within_days),
        )
        .order_by(FollowUp.due_on, FollowUp.meeting_id)
    )
    result = []
    for meeting_id, stage, due_on, note, company, buyer, buyer_company in rows:
        assert due_on is not None  # `<=` left out the tracks without a due date
        overdue = (on - due_on).days
        result.append(
            Reminder(
                meeting_id=meeting_id,
                company=company,
                buyer=buyer,
                buyer_company=buyer_company,
                stage=stage,
                due_on=due_on,
                state="overdue" if overdue > 0 else "due",
                days_overdue=max(0, overdue),
                note=note,
            )
        )
    return result

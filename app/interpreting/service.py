"""Persistence of the duty log: stretches written as the room reports them, read per mission."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.interpreting.minutes import minutes, time_live
from app.interpreting.models import InterpreterDuty
from app.interpreting.schemas import DutyLog, DutyRow, DutyTotal
from app.meetings.models import Meeting
from app.missions.models import Mission
from app.participants.models import Buyer, Company, Interpreter
from rooms.seats import Seat

logger = logging.getLogger(__name__)


def interpreter_in_seat(meeting: Meeting, seat: Seat) -> int | None:
    """Who sits in an interpreter seat of the meeting: the interpreter or the booth partner."""
    if seat is Seat.INTERPRETER:
        return meeting.interpreter_id
    if seat is Seat.PARTNER:
        return meeting.partner_interpreter_id
    return None


async def record_duty(
    *,
    session: AsyncSession,
    meeting_id: int,
    seat: Seat,
    channel: str,
    started_at: datetime,
    ended_at: datetime,
) -> InterpreterDuty | None:
    """Log a stretch live on a channel, against the person in the seat now.

    Nothing is written for an empty stretch, a seat with nobody booked in it or an unknown
    meeting (logged). The same stretch reported again is kept once, with the later end.
    """
    if ended_at <= started_at:
        return None
    meeting = await session.get(Meeting, meeting_id)
    interpreter_id = None if meeting is None else interpreter_in_seat(meeting, seat)
    if interpreter_id is None:
        logger.warning(
            "meeting %s seat %s: duty on %s not logged (no interpreter in the seat)",
            meeting_id,
            seat,
            channel,
        )
        return None
    duty = await session.scalar(
        select(InterpreterDuty).where(
            InterpreterDuty.meeting_id == meeting_id,
            InterpreterDuty.interpreter_id == interpreter_id,
            InterpreterDuty.channel == channel,
            InterpreterDuty.started_at == started_at,
        )
    )
    if duty is None:
        duty = InterpreterDuty(
            meeting_id=meeting_id,
            interpreter_id=interpreter_id,
            seat=seat,
            channel=channel,
            started_at=started_at,
            ended_at=ended_at,
        )
        session.add(duty)
    else:
        duty.ended_at = max(duty.ended_at, ended_at)
    await session.flush()
    logger.info(
        "meeting %s seat %s (interpreter %s): live on %s for %.1f s",
        meeting_id,
        seat,
        interpreter_id,
        channel,
        (ended_at - started_at).total_seconds(),
    )
    return duty


async def duty_log(*, session: AsyncSession, mission: Mission) -> DutyLog:
    """Per interpreter, meeting and channel, and per interpreter in total, in name order."""
    # Plain columns, not ORM objects: a big mission's log has tens of thousands of stretches.
    result = await session.execute(
        select(
            InterpreterDuty.interpreter_id,
            InterpreterDuty.meeting_id,
            InterpreterDuty.channel,
            InterpreterDuty.started_at,
            InterpreterDuty.ended_at,
            Interpreter.name,
            Meeting.starts_at,
            Company.name,
            Buyer.company_name,
        )
        .join(Meeting, InterpreterDuty.meeting_id == Meeting.id)
        .join(Interpreter, InterpreterDuty.interpreter_id == Interpreter.id)
        .join(Company, Meeting.company_id == Company.id)
        .join(Buyer, Meeting.buyer_id == Buyer.id)
        .where(Meeting.mission_id == mission.id)
    )
    stretches: defaultdict[tuple[int, int, str], list[tuple[datetime, datetime]]] = defaultdict(
        list
    )
    on_duty: defaultdict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    worked_in: defaultdict[int, set[int]] = defaultdict(set)
    meetings: dict[int, tuple[datetime, str, str]] = {}
    names: dict[int, str] = {}
    for (
        interpreter_id,
        meeting_id,
        channel,
        started_at,
        ended_at,
        name,
        meeting_starts_at,
        company,
        buyer,
    ) in result:
        stretches[(interpreter_id, meeting_id, channel)].append((started_at, ended_at))
        on_duty[interpreter_id].append((started_at, ended_at))
        worked_in[interpreter_id].add(meeting_id)
        meetings[meeting_id] = (meeting_starts_at, company, buyer)
        names[interpreter_id] = name
    rows = []
    for (interpreter_id, meeting_id, channel), spans in stretches.items():
        meeting_starts_at, company, buyer = meetings[meeting_id]
        length = time_live(spans)
        rows.append(
            DutyRow(
                interpreter_id=interpreter_id,
                interpreter=names[interpreter_id],
                meeting_id=meeting_id,
                meeting_starts_at=meeting_starts_at,
                company=company,
                buyer=buyer,
                channel=channel,
                stretches=len(spans),
                seconds=length.total_seconds(),
                minutes=minutes(length),
            )
        )
    rows.sort(
        key=lambda r: (
            r.interpreter,
            r.interpreter_id,
            r.meeting_starts_at,
            r.meeting_id,
            r.channel,
        )
    )
    totals = []
    everyone = timedelta()
    for interpreter_id, spans in on_duty.items():
        length = time_live(spans)
        everyone += length
        totals.append(
            DutyTotal(
                interpreter_id=interpreter_id,
                interpreter=names[interpreter_id],
                meetings=len(worked_in[interpreter_id]),
                seconds=length.total_seconds(),
                minutes=minutes(length),
            )
        )
    totals.sort(key=lambda t: (t.interpreter, t.interpreter_id))
    return DutyLog(
        mission_id=mission.id,
        mission=mission.name,
        rows=rows,
        totals=totals,
        total_minutes=minutes(everyone),
    )

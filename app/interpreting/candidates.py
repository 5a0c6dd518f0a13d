"""Which of a mission's interpreters could take a meeting, and why the others could not."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.interpreting.schemas import Candidate
from app.meetings import assignment
from app.meetings.exceptions import MeetingInvalid
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from app.participants.models import Buyer, Company, Interpreter


async def candidates(*, session: AsyncSession, meeting: Meeting) -> list[Candidate]:
    """Every interpreter of the meeting's mission, those who fit first, by name.

    The same rules as a booking (languages, availability, no double booking), so putting a
    fitting candidate on the meeting is accepted unless something changes in between.
    """
    mission = await session.get_one(Mission, meeting.mission_id)
    company = await session.get_one(Company, meeting.company_id)
    buyer = await session.get_one(Buyer, meeting.buyer_id)
    interpreters = list(
        await session.scalars(select(Interpreter).where(Interpreter.mission_id == mission.id))
    )
    unavailable = await assignment.unavailable(
        session,
        mission=mission,
        interpreter_ids=[i.id for i in interpreters],
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )
    overlapping = await session.scalars(
        select(Meeting).where(
            Meeting.mission_id == mission.id,
            Meeting.id != meeting.id,
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at < meeting.ends_at,
            Meeting.ends_at > meeting.starts_at,
            or_(Meeting.interpreter_id.is_not(None), Meeting.partner_interpreter_id.is_not(None)),
        )
    )
    busy: dict[int, int] = {}
    for other in overlapping:
        for person in (other.interpreter_id, other.partner_interpreter_id):
            if person is not None:
                busy.setdefault(person, other.id)
    seats: dict[int | None, Literal["interpreter", "partner"]] = {
        meeting.interpreter_id: "interpreter",
        meeting.partner_interpreter_id: "partner",
    }
    found = []
    for interpreter in interpreters:
        problems = []
        try:
            assignment.check_languages(
                interpreter,
                field="interpreter_id",
                company=company,
                buyer=buyer,
                pair=meeting.language_pair,
            )
        except MeetingInvalid as refused:
            problems.append(refused.message)
        if interpreter.id in unavailable:
            problems.append(unavailable[interpreter.id])
        if interpreter.id in busy:
            problems.append(
                f"interpreter {interpreter.id} is already in meeting {busy[interpreter.id]}"
            )
        found.append(
            Candidate(
                interpreter_id=interpreter.id,
                name=interpreter.name,
                language_pairs=interpreter.language_pairs,
                seat=seats.get(interpreter.id),
                fits=not problems,
                problems=problems,
            )
        )
    found.sort(key=lambda c: (not c.fits, c.name, c.interpreter_id))
    return found

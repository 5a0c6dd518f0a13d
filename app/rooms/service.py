"""Persistence for rooms: seat links, the attendance log and the meeting facts a room needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.interpreting import service as interpreting
from app.meetings import attendance
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from app.participants.models import Buyer, Company, Interpreter
from app.rooms.models import Attendance, SeatLink
from rooms.errors import LinkInvalid, LinkRevoked, MeetingOver
from rooms.links import LinkClaims, LinkSigner
from rooms.room import CloseOutcome, MeetingInfo
from rooms.seats import Seat

logger = logging.getLogger(__name__)

HELD_REASON = "the company and the buyer were in the room together"
NO_SHOW_REASON = "the company and the buyer were never in the room together"

CLOSED_STATUSES = frozenset(
    {MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW, MeetingStatus.CANCELLED}
)


def seats_of(meeting: Meeting) -> list[Seat]:
    """The seats a meeting has: each interpreter's only when one is booked."""
    seats = [Seat.COMPANY, Seat.BUYER]
    if meeting.interpreter_id is not None:
        seats.append(Seat.INTERPRETER)
    if meeting.partner_interpreter_id is not None:
        seats.append(Seat.PARTNER)
    seats.append(Seat.ORGANISER)
    return seats


def pair_languages(pair: str) -> tuple[str, ...]:
    """ "ko-ru" -> ("ko", "ru"); language codes are lower case."""
    return tuple(part.strip().lower() for part in pair.split("-") if part.strip())


def interpreter_channels(meeting: Meeting, interpreter: Interpreter) -> tuple[str, ...]:
    """The language channels an interpreter works on in a meeting: the meeting's pair when
    the interpreter covers it, else the languages of all the interpreter's pairs (a relay
    partner, e.g. English <-> Thai beside a Korean <-> English interpreter)."""
    pairs = list(interpreter.language_pairs or [])
    if meeting.language_pair and meeting.language_pair in pairs:
        pairs = [meeting.language_pair]
    languages: list[str] = []
    for pair in pairs:
        for language in pair_languages(pair):
            if language not in languages:
                languages.append(language)
    return tuple(languages)


async def get_meeting(*, session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


# Links ----------------------------------------------------------------------------------------


async def list_links(*, session: AsyncSession, meeting_id: int) -> list[SeatLink]:
    rows = await session.scalars(
        select(SeatLink).where(SeatLink.meeting_id == meeting_id).order_by(SeatLink.id)
    )
    return list(rows)


async def issue_link(
    *, session: AsyncSession, meeting: Meeting, seat: Seat, expires_at: datetime, now: datetime
) -> SeatLink:
    """A new link for `seat`; any earlier link of that seat stops working."""
    link = await session.scalar(
        select(SeatLink).where(SeatLink.meeting_id == meeting.id, SeatLink.seat == seat)
    )
    if link is None:
        link = SeatLink(meeting_id=meeting.id, seat=seat, generation=1)
        session.add(link)
    else:
        link.generation += 1
    link.expires_at = expires_at
    link.issued_at = now
    link.revoked_at = None
    await session.flush()
    logger.info(
        "meeting %s seat %s: link issued (generation %s)", meeting.id, seat, link.generation
    )
    return link


async def revoke_link(
    *, session: AsyncSession, meeting_id: int, seat: Seat, now: datetime
) -> SeatLink | None:
    link = await session.scalar(
        select(SeatLink).where(SeatLink.meeting_id == meeting_id, SeatLink.seat == seat)
    )
    if link is None:
        return None
    link.generation += 1
    link.revoked_at = now
    await session.flush()
    logger.info("meeting %s seat %s: link revoked", meeting_id, seat)
    return link


def claims_of(link: SeatLink) -> LinkClaims:
    return LinkClaims(
        meeting_id=link.meeting_id,
        seat=link.seat,
        generation=link.generation,
        expires_at=link.expires_at,
    )


async def check_token(
    *,
    session: AsyncSession,
    signer: LinkSigner,
    token: str,
    meeting_id: int | None,
    now: datetime,
) -> LinkClaims:
    """The claims of a token that admits today: signed, unexpired, current, for this meeting."""
    claims = signer.check(token, meeting_id=meeting_id, now=now)
    link = await session.scalar(
        select(SeatLink).where(
            SeatLink.meeting_id == claims.meeting_id, SeatLink.seat == claims.seat
        )
    )
    if link is None:
        raise LinkInvalid()
    if link.generation != claims.generation or link.revoked_at is not None:
        raise LinkRevoked()
    return claims


# Meeting facts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    meeting: Meeting
    mission: Mission
    company: Company
    buyer: Buyer
    interpreter: Interpreter | None
    partner: Interpreter | None = None


async def meeting_facts(*, session: AsyncSession, meeting_id: int) -> MeetingFacts | None:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    mission = await session.get(Mission, meeting.mission_id)
    company = await session.get(Company, meeting.company_id)
    buyer = await session.get(Buyer, meeting.buyer_id)
    interpreter = (
        await session.get(Interpreter, meeting.interpreter_id)
        if meeting.interpreter_id is not None
        else None
    )
    partner_id = meeting.partner_interpreter_id
    partner = await session.get(Interpreter, partner_id) if partner_id is not None else None
    assert mission is not None and company is not None and buyer is not None  # foreign keys
    return MeetingFacts(meeting, mission, company, buyer, interpreter, partner)


def meeting_info(facts: MeetingFacts) -> MeetingInfo:
    meeting = facts.meeting
    if meeting.status in CLOSED_STATUSES:
        raise MeetingOver(status=meeting.status.value)
    labels = {
        Seat.COMPANY: facts.company.name,
        Seat.BUYER: f"{facts.buyer.company_name} ({facts.buyer.country})",
        Seat.ORGANISER: "organiser",
    }
    channels: dict[Seat, tuple[str, ...]] = {}
    for seat, interpreter in ((Seat.INTERPRETER, facts.interpreter), (Seat.PARTNER, facts.partner)):
        if interpreter is not None:
            labels[seat] = interpreter.name
            channels[seat] = interpreter_channels(meeting, interpreter)
    return MeetingInfo(
        meeting_id=meeting.id,
        mission_id=meeting.mission_id,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        seats=frozenset(seats_of(meeting)),
        labels=labels,
        channels=channels,
    )


async def extend_meeting(*, session: AsyncSession, meeting: Meeting, by: timedelta) -> Meeting:
    meeting.ends_at = meeting.ends_at + by
    await session.flush()
    return meeting


async def list_attendance(*, session: AsyncSession, meeting_id: int) -> list[Attendance]:
    rows = await session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting_id).order_by(Attendance.id)
    )
    return list(rows)


async def mission_meetings(*, session: AsyncSession, mission_id: int) -> list[Meeting]:
    rows = await session.scalars(
        select(Meeting).where(Meeting.mission_id == mission_id).order_by(Meeting.starts_at)
    )
    return list(rows)


def company_met_buyer(rows: list[Attendance], *, until: datetime) -> bool:
    """True if a company stay and a buyer stay overlap (an open stay lasts until `until`)."""
    company = [(r.joined_at, r.left_at or until) for r in rows if r.seat is Seat.COMPANY]
    buyer = [(r.joined_at, r.left_at or until) for r in rows if r.seat is Seat.BUYER]
    return any(c0 < b1 and b0 < c1 for c0, c1 in company for b0, b1 in buyer)


# The room's store -----------------------------------------------------------------------------


class DatabaseRoomStore:
    """The RoomStore of rooms/: each event in its own short transaction.

    The status a room gives a meeting (live, held, no-show) is the system's: it is written
    only where the meeting is still as the room last knew it and no person has marked it
    (app/meetings/attendance.py), so an organiser's mark always stands.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._read_sessionmaker = read_sessionmaker or sessionmaker

    async def seat_joined(self, *, meeting_id: int, seat: Seat, at: datetime, device: str) -> None:
        async with self._sessionmaker() as session, session.begin():
            session.add(Attendance(meeting_id=meeting_id, seat=seat, joined_at=at, device=device))

    async def seat_reconnected(self, *, meeting_id: int, seat: Seat, device: str) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(Attendance)
                .where(
                    Attendance.meeting_id == meeting_id,
                    Attendance.seat == seat,
                    Attendance.left_at.is_(None),
                )
                .values(reconnects=Attendance.reconnects + 1, device=device)
            )

    async def seat_left(self, *, meeting_id: int, seat: Seat, at: datetime, reason: str) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(Attendance)
                .where(
                    Attendance.meeting_id == meeting_id,
                    Attendance.seat == seat,
                    Attendance.left_at.is_(None),
                )
                .values(left_at=at, left_reason=reason[:40])
            )

    async def seats_lost(self, *, meeting_id: int, at: datetime, reason: str) -> None:
        """End every stay still open in the meeting at `at`: its room died with its node,
        and the seats' new stays (in the room opened again elsewhere) start when they come
        back, so the log keeps the gap."""
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(Attendance)
                .where(Attendance.meeting_id == meeting_id, Attendance.left_at.is_(None))
                .values(
                    left_at=case((Attendance.joined_at > at, Attendance.joined_at), else_=at),
                    left_reason=reason[:40],
                )
            )

    async def meeting_live(self, *, meeting_id: int, at: datetime) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(Meeting)
                .where(
                    Meeting.id == meeting_id,
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.status_marked_by.is_(None),
                )
                .values(status=MeetingStatus.LIVE, updated_at=at)
            )

    async def settle_ended_meetings(
        self, *, now: datetime, open_meeting_ids: frozenset[int]
    ) -> dict[int, CloseOutcome]:
        """Held or no-show for each meeting whose slot is over and whose room is not open."""
        ended = select(Meeting.id, Meeting.status, Meeting.ends_at).where(
            Meeting.status.in_(attendance.OPEN),
            Meeting.status_marked_by.is_(None),
            Meeting.ends_at <= now,
        )
        async with self._read_sessionmaker() as session:
            candidates = [
                (meeting_id, status, ends_at)
                for meeting_id, status, ends_at in await session.execute(ended)
                if meeting_id not in open_meeting_ids
            ]
        settled: dict[int, CloseOutcome] = {}
        for meeting_id, seen, ends_at in candidates:
            # One short transaction each: 320 booths end on the same half hour, and on
            # SQLite every other writer waits while one holds the lock.
            async with self._sessionmaker() as session, session.begin():
                rows = await list_attendance(session=session, meeting_id=meeting_id)
                held = company_met_buyer(rows, until=ends_at)
                outcome = CloseOutcome.COMPLETED if held else CloseOutcome.NO_SHOW
                wrote = await attendance.settle(
                    session=session, meeting_id=meeting_id, seen=seen,
                    status=MeetingStatus(outcome.value), now=now, ended_by=now,
                    reason=HELD_REASON if held else NO_SHOW_REASON,
                )
                if not wrote:
                    continue  # a person marked it, or moved it, since it was read
                # A stay cut short by a stopped service ends, at the latest, with the slot.
                for row in rows:
                    if row.left_at is None:
                        row.left_at = min(now, ends_at)
                        row.left_reason = "not_closed"
                settled[meeting_id] = outcome
        return settled

    async def interpreter_duty(
        self,
        *,
        meeting_id: int,
        seat: Seat,
        channel: str,
        started_at: datetime,
        ended_at: datetime,
    ) -> None:
        async with self._sessionmaker() as session, session.begin():
            await interpreting.record_duty(
                session=session,
                meeting_id=meeting_id,
                seat=seat,
                channel=channel,
                started_at=started_at,
                ended_at=ended_at,
            )

    async def meeting_closed(self, *, meeting_id: int, outcome: CloseOutcome) -> None:
        async with self._sessionmaker() as session, session.begin():
            if outcome is CloseOutcome.NO_SHOW:
                # A room opened again on another node after its first node failed knows only
                # its own half of the meeting: the attendance log knows both.
                rows = await list_attendance(session=session, meeting_id=meeting_id)
                if company_met_buyer(rows, until=clock.now()):
                    outcome = CloseOutcome.COMPLETED
            status = MeetingStatus(outcome.value)
            reason = HELD_REASON if outcome is CloseOutcome.COMPLETED else NO_SHOW_REASON
            seen = await session.scalar(select(Meeting.status).where(Meeting.id == meeting_id))
            if seen in attendance.OPEN:
                await attendance.settle(
                    session=session, meeting_id=meeting_id, seen=seen, status=status,
                    reason=f"room closed: {reason}", now=clock.now(),
                )

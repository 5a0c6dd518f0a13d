"""Persistence of booth mode: booth links, the booth's agenda and its self-test reports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.booths.exceptions import BoothLinkInvalid, BoothLinkRevoked, BoothSideUnknown
from app.booths.links import BoothClaims, BoothSigner
from app.booths.models import BoothCheck, BoothLink
from app.booths.schemas import CHECK_NAMES, KioskMeeting, SelfTestReport
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, Venue, VenueKind
from app.participants.models import Buyer, Company, Interpreter
from app.rooms.models import SeatLink
from rooms.seats import Seat

logger = logging.getLogger(__name__)

# Below this the two-way 640x480 video of a consultation stutters (both directions at once).
MIN_BANDWIDTH_KBPS = 1000.0


def default_seat(venue: Venue) -> Seat | None:
    """The side a venue's kiosk sits on: a booth hosts the company, a business centre the buyer."""
    return {VenueKind.BOOTH: Seat.COMPANY, VenueKind.BUSINESS_CENTRE: Seat.BUYER}.get(venue.kind)


def link_expiry(mission: Mission, venue: Venue) -> datetime:
    """The end of the mission's last day, wherever that comes later (mission's or venue's zone)."""
    after_last = mission.end_date + timedelta(days=1)
    return max(
        datetime.combine(after_last, time(), ZoneInfo(zone))
        for zone in {mission.timezone, venue.timezone}
    )


def claims_of(link: BoothLink) -> BoothClaims:
    return BoothClaims(
        venue_id=link.venue_id,
        mission_id=link.mission_id,
        seat=link.seat,
        generation=link.generation,
        expires_at=link.expires_at,
    )


async def get_link(*, session: AsyncSession, venue_id: int) -> BoothLink | None:
    return await session.scalar(select(BoothLink).where(BoothLink.venue_id == venue_id))


async def issue_link(
    *,
    session: AsyncSession,
    mission: Mission,
    venue: Venue,
    seat: Seat | None,
    join_lead_seconds: int | None,
    now: datetime,
) -> BoothLink:
    """A new kiosk link for `venue`; the earlier one (if any) stops working. The side is
    `seat`, else the earlier link's, else the venue kind's."""
    link = await get_link(session=session, venue_id=venue.id)
    side = seat or (link.seat if link is not None else None) or default_seat(venue)
    if side is None:
        raise BoothSideUnknown(venue.id)
    if link is None:
        link = BoothLink(venue_id=venue.id, mission_id=mission.id, generation=1)
        session.add(link)
    else:
        link.generation += 1
    link.seat = side
    link.join_lead_seconds = join_lead_seconds
    link.expires_at = link_expiry(mission, venue)
    link.issued_at = now
    link.revoked_at = None
    await session.flush()
    logger.info("venue %s: booth link issued (%s, generation %s)", venue.id, side, link.generation)
    return link


async def revoke_link(*, session: AsyncSession, venue_id: int, now: datetime) -> BoothLink | None:
    link = await get_link(session=session, venue_id=venue_id)
    if link is None:
        return None
    link.generation += 1
    link.revoked_at = now
    await session.flush()
    logger.info("venue %s: booth link revoked", venue_id)
    return link


@dataclass(frozen=True, slots=True)
class Kiosk:
    """A kiosk whose token admits: its claims, venue and mission."""

    claims: BoothClaims
    link: BoothLink
    venue: Venue
    mission: Mission


async def check_token(
    *, session: AsyncSession, signer: BoothSigner, token: str, now: datetime
) -> Kiosk:
    claims = signer.check(token, now=now)
    link = await get_link(session=session, venue_id=claims.venue_id)
    if link is None or link.mission_id != claims.mission_id:
        raise BoothLinkInvalid()
    if link.generation != claims.generation or link.revoked_at is not None:
        raise BoothLinkRevoked()
    venue = await session.get(Venue, link.venue_id)
    mission = await session.get(Mission, link.mission_id)
    if venue is None or mission is None:
        raise BoothLinkInvalid()
    return Kiosk(claims=claims, link=link, venue=venue, mission=mission)


# The booth's agenda -------------------------------------------------------------------------


def local_day(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    return datetime.combine(day, time(), tz), datetime.combine(day + timedelta(days=1), time(), tz)


def _at_venue(venue_id: int, seat: Seat) -> ColumnElement[bool]:
    column = Meeting.company_venue_id if seat is Seat.COMPANY else Meeting.buyer_venue_id
    return column == venue_id


async def booth_meetings(
    *, session: AsyncSession, venue_id: int, seat: Seat, start: datetime, end: datetime
) -> list[Meeting]:
    """The venue's meetings on its side that overlap [start, end), cancelled ones left out."""
    rows = await session.scalars(
        select(Meeting)
        .where(
            _at_venue(venue_id, seat),
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at < end,
            Meeting.ends_at > start,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list(rows)


# Late in the evening the kiosk also lists what starts soon after midnight, so it joins it.
LOOK_AHEAD = timedelta(hours=2)


async def agenda(
    *, session: AsyncSession, venue: Venue, seat: Seat, day: date, now: datetime
) -> list[KioskMeeting]:
    """The venue's meetings of its local `day`, and of the next two hours past its end."""
    start, end = day_bounds(day, venue.timezone)
    end = max(end, now + LOOK_AHEAD)
    meetings = await booth_meetings(
        session=session, venue_id=venue.id, seat=seat, start=start, end=end
    )
    entries = []
    for meeting in meetings:
        company = await session.get(Company, meeting.company_id)
        buyer = await session.get(Buyer, meeting.buyer_id)
        interpreter = (
            await session.get(Interpreter, meeting.interpreter_id)
            if meeting.interpreter_id is not None
            else None
        )
        assert company is not None and buyer is not None  # foreign keys
        entries.append(
            KioskMeeting(
                meeting_id=meeting.id,
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at,
                status=meeting.status.value,
                company=company.name,
                buyer=buyer.name,
                buyer_company=buyer.company_name,
                buyer_country=buyer.country,
                buyer_city=buyer.city,
                interpreter=interpreter.name if interpreter else None,
                language_pair=meeting.language_pair,
            )
        )
    return entries


async def booth_meeting(*, session: AsyncSession, kiosk: Kiosk, meeting_id: int) -> Meeting | None:
    """The meeting if it is on this kiosk's side of this venue."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.mission_id != kiosk.mission.id:
        return None
    venue_id = (
        meeting.company_venue_id if kiosk.claims.seat is Seat.COMPANY else meeting.buyer_venue_id
    )
    return meeting if venue_id == kiosk.venue.id else None


async def mint_seat_link(
    *, session: AsyncSession, meeting: Meeting, seat: Seat, expires_at: datetime, now: datetime
) -> SeatLink:
    """A new seat link (as rooms' `issue_link` makes), written in a transaction that reads
    nothing first: on SQLite a read-then-write transaction that meets another writer fails
    at once, where a write-first one waits its turn. The caller's transaction is ended."""
    existing = await session.scalar(
        select(SeatLink.id).where(SeatLink.meeting_id == meeting.id, SeatLink.seat == seat)
    )
    await session.commit()
    if existing is None:
        link = SeatLink(
            meeting_id=meeting.id, seat=seat, generation=1, expires_at=expires_at, issued_at=now
        )
        session.add(link)
    else:
        await session.execute(
            update(SeatLink)
            .where(SeatLink.id == existing)
            .values(
                generation=SeatLink.generation + 1,
                expires_at=expires_at,
                issued_at=now,
                revoked_at=None,
            )
        )
        found = await session.get(SeatLink, existing, populate_existing=True)
        assert found is not None
        link = found
    await session.commit()
    logger.info("meeting %s seat %s: link issued for a kiosk", meeting.id, seat)
    return link


# Self-test ----------------------------------------------------------------------------------


def verdict(report: SelfTestReport) -> list[str]:
    """The problems of a self-test, `check.reason`; none means ready.

    A check not reported is a problem (`check.not_run`); bandwidth below the floor is one
    whatever the kiosk concluded.
    """
    problems = []
    for name in CHECK_NAMES:
        item = report.checks.get(name)
        if item is None:
            problems.append(f"{name}.not_run")
            continue
        ok = item.ok
        reason = item.reason
        if name == "bandwidth" and ok and (item.value is None or item.value < MIN_BANDWIDTH_KBPS):
            ok, reason = False, "too_slow"
        if not ok:
            problems.append(f"{name}.{reason or 'failed'}")
    return problems


async def record_check(
    *, session: AsyncSession, kiosk: Kiosk, report: SelfTestReport, now: datetime
) -> BoothCheck:
    problems = verdict(report)
    check = BoothCheck(
        venue_id=kiosk.venue.id,
        mission_id=kiosk.mission.id,
        at=now,
        ready=not problems,
        problems=problems,
        checks={name: item.model_dump() for name, item in report.checks.items()},
        device=report.device,
    )
    session.add(check)
    await session.flush()
    logger.info(
        "venue %s: self-test %s %s",
        kiosk.venue.id,
        "ready" if not problems else "not ready",
        problems,
    )
    return check


async def latest_check(*, session: AsyncSession, venue_id: int) -> BoothCheck | None:
    return await session.scalar(
        select(BoothCheck)
        .where(BoothCheck.venue_id == venue_id)
        .order_by(BoothCheck.at.desc(), BoothCheck.id.desc())
        .limit(1)
    )


async def mission_venues(*, session: AsyncSession, mission_id: int) -> list[Venue]:
    rows = await session.scalars(
        select(Venue)
        .where(Venue.mission_id == mission_id, Venue.kind != VenueKind.REMOTE)
        .order_by(Venue.name)
    )
    remote_with_links = await session.scalars(
        select(Venue)
        .join(BoothLink, BoothLink.venue_id == Venue.id)
        .where(Venue.mission_id == mission_id, Venue.kind == VenueKind.REMOTE)
    )
    return [*rows, *remote_with_links]

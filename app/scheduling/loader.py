"""Turn a mission's records into the scheduling core's `Problem`, and its answers back.

The records keep one meeting per venue row (a booth or a room seats one consultation at a
time, see the booking rules); the core pools booths of one place into one `Venue` with a
capacity and numbers them. So venue rows of the same kind, country, city and zone form one
pooled core venue, and booth/room number k is the group's k-th row (by id).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.core import get_global
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.matching.models import MeetingRequest, RequestStatus
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, Venue, VenueKind
from app.participants.languages import meeting_pair
from app.participants.models import Buyer, Company, Interpreter
from app.scheduling import model as core
from app.scheduling.exceptions import PlanIncomplete
from app.scheduling.models import PartyKind, PartyPlan

# Meetings that no longer hold their request's place: placed again on reschedule.
VOID = frozenset({MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW})


@dataclass(frozen=True)
class Grid:
    """The slot settings the records do not hold: venue hours, breaks, changeover gap."""

    hours: core.DayHours = field(default_factory=core.DayHours)
    gap_minutes: int = 0


@dataclass(frozen=True)
class Loaded:
    problem: core.Problem
    requests: Mapping[int, MeetingRequest]  # approved, by id
    # The interpreter pair each approved request needs now ("" none), from the two sides'
    # languages at load time (app/participants/languages.py), not as stored on the request
    pairs: Mapping[int, str]
    groups: Mapping[str, list[int]]  # core venue id -> venue row ids (booth k = [k - 1])
    # Each approved request's meeting row, whatever its status (the latest one booked)
    meeting_of: Mapping[int, Meeting]
    # Booked meetings of requests taken off the approved list: a reschedule cancels them
    withdrawn: Mapping[int, Meeting]  # by request id
    version: str

    def current(self) -> core.Schedule:
        """The booked meetings of approved requests that still hold their place."""
        return core.Schedule(
            tuple(
                self.to_core(request_id, row)
                for request_id, row in sorted(self.meeting_of.items())
                if row.status not in VOID
            )
        )

    def void_request_ids(self) -> list[int]:
        return [rid for rid, row in sorted(self.meeting_of.items()) if row.status in VOID]

    def to_core(self, request_id: int, row: Meeting) -> core.Meeting:
        request = self.problem.request_by_id[request_id]
        company = self.problem.company_by_id[request.company_id]
        buyer = self.problem.buyer_by_id[request.buyer_id]
        return core.Meeting(
            request_id=request_id,
            start=row.starts_at,
            end=row.ends_at,
            interpreter_id=row.interpreter_id,
            booth=_number(self.groups, company.venue_id, row.company_venue_id),
            room=_number(self.groups, buyer.venue_id, row.buyer_venue_id),
        )

    def venue_row(self, group: core.EntityId | None, number: int | None) -> int | None:
        if group is None or number is None:
            return None
        return self.groups[str(group)][number - 1]

    def booking_fields(self, meeting: core.Meeting) -> dict[str, object]:
        """The meetings service's fields for a core meeting."""
        request = self.problem.request_by_id[meeting.request_id]
        company = self.problem.company_by_id[request.company_id]
        buyer = self.problem.buyer_by_id[request.buyer_id]
        return {
            "request_id": meeting.request_id,
            "company_id": request.company_id,
            "buyer_id": request.buyer_id,
            "interpreter_id": meeting.interpreter_id,
            "company_venue_id": self.venue_row(company.venue_id, meeting.booth),
            "buyer_venue_id": self.venue_row(buyer.venue_id, meeting.room),
            "language_pair": self.pairs[int(meeting.request_id)],
            "starts_at": meeting.start,
            "ends_at": meeting.end,
            "priority": request.priority,
        }

    def from_fields(
        self,
        *,
        request_id: int,
        starts_at: datetime,
        ends_at: datetime,
        interpreter_id: int | None,
        company_venue_id: int | None,
        buyer_venue_id: int | None,
    ) -> core.Meeting:
        """A core meeting from the service's fields (a proposal posted back)."""
        request = self.problem.request_by_id[request_id]
        company = self.problem.company_by_id[request.company_id]
        buyer = self.problem.buyer_by_id[request.buyer_id]
        return core.Meeting(
            request_id=request_id,
            start=starts_at,
            end=ends_at,
            interpreter_id=interpreter_id,
            booth=_number(self.groups, company.venue_id, company_venue_id, strict=True),
            room=_number(self.groups, buyer.venue_id, buyer_venue_id, strict=True),
        )


def _number(
    groups: Mapping[str, list[int]],
    group: core.EntityId | None,
    venue_id: int | None,
    *,
    strict: bool = False,
) -> int | None:
    if group is None:
        return None
    if venue_id is None:
        if strict:
            raise PlanIncomplete("a meeting at a booth or business centre needs its venue_id")
        return None
    rows = groups[str(group)]
    if venue_id in rows:
        return rows.index(venue_id) + 1
    if strict:
        raise PlanIncomplete(f"venue {venue_id} is not one of the party's venues {rows}")
    return None  # booked by hand elsewhere: the core sees no seat number


def _group_key(venue: Venue) -> tuple[str, str, str, str]:
    return (venue.kind.value, venue.country, venue.city.casefold(), venue.timezone)


def venue_groups(venues: Iterable[Venue]) -> dict[str, list[Venue]]:
    """Booth and business-centre rows pooled by place; remote rows are nobody's booth."""
    by_key: defaultdict[tuple[str, str, str, str], list[Venue]] = defaultdict(list)
    for venue in sorted(venues, key=lambda v: v.id):
        if venue.kind is not VenueKind.REMOTE:
            by_key[_group_key(venue)].append(venue)
    return {f"venues:{rows[0].id}": rows for rows in by_key.values()}


def _windows(raw: list[list[str]] | None) -> tuple[core.Window, ...] | None:
    if raw is None:
        return None
    return tuple(
        core.Window(datetime.fromisoformat(start), datetime.fromisoformat(end))
        for start, end in raw
    )


def _busy(meetings: Iterable[Meeting]) -> dict[tuple[PartyKind, int], list[core.Window]]:
    """When each party is in a meeting the scheduler did not make (booked by hand)."""
    busy: defaultdict[tuple[PartyKind, int], list[core.Window]] = defaultdict(list)
    for m in meetings:
        window = core.Window(m.starts_at, m.ends_at)
        busy[(PartyKind.COMPANY, m.company_id)].append(window)
        busy[(PartyKind.BUYER, m.buyer_id)].append(window)
        for interpreter_id in (m.interpreter_id, m.partner_interpreter_id):
            if interpreter_id is not None:
                busy[(PartyKind.INTERPRETER, interpreter_id)].append(window)
    return busy


def _minus(
    windows: tuple[core.Window, ...] | None, busy: list[core.Window], span: core.Window
) -> tuple[core.Window, ...] | None:
    """Availability with the busy spans cut out; None (any time) stays None if not busy."""
    if not busy:
        return windows
    free = list(windows) if windows is not None else [span]
    for taken in sorted(busy):
        cut: list[core.Window] = []
        for w in free:
            if taken.end <= w.start or taken.start >= w.end:
                cut.append(w)
                continue
            if w.start < taken.start:
                cut.append(core.Window(w.start, taken.start))
            if taken.end < w.end:
                cut.append(core.Window(taken.end, w.end))
        free = cut
    return tuple(free)


def _pairs(labels: Iterable[str]) -> frozenset[core.LanguagePair]:
    return frozenset(core.language_pair(*label.split("-")) for label in labels)


def _country_zone(country: str) -> str | None:
    zones: list[str] = get_global("territory_zones").get(country, [])
    return zones[0] if len(zones) == 1 else None


async def load(*, session: AsyncSession, mission: Mission, grid: Grid) -> Loaded:
    """The mission's approved requests as a core problem, with what maps results back."""
    venues = list(await session.scalars(select(Venue).where(Venue.mission_id == mission.id)))
    companies = list(
        await session.scalars(select(Company).where(Company.mission_id == mission.id))
    )
    buyers = list(await session.scalars(select(Buyer).where(Buyer.mission_id == mission.id)))
    interpreters = list(
        await session.scalars(select(Interpreter).where(Interpreter.mission_id == mission.id))
    )
    plans = {
        (plan.party_kind, plan.party_id): plan
        for plan in await session.scalars(
            select(PartyPlan).where(PartyPlan.mission_id == mission.id)
        )
    }
    approved = list(
        await session.scalars(
            select(MeetingRequest)
            .where(
                MeetingRequest.mission_id == mission.id,
                MeetingRequest.status == RequestStatus.APPROVED,
            )
            .order_by(MeetingRequest.id)
        )
    )
    meeting_ids = [r.meeting_id for r in approved if r.meeting_id is not None]
    meetings = {
        m.id: m
        for m in await session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids)))
    }

    live = list(
        await session.scalars(
            select(Meeting)
            .where(Meeting.mission_id == mission.id, Meeting.status != MeetingStatus.CANCELLED)
            .order_by(Meeting.id)
        )
    )
    linked = {r.meeting_id for r in approved if r.meeting_id is not None}
    withdrawn_ids = set(
        await session.scalars(
            select(MeetingRequest.meeting_id).where(
                MeetingRequest.mission_id == mission.id,
                MeetingRequest.status != RequestStatus.APPROVED,
                MeetingRequest.meeting_id.is_not(None),
            )
        )
    )
    busy = _busy(m for m in live if m.id not in linked and m.id not in withdrawn_ids)
    first = datetime.combine(mission.start_date, time(), tzinfo=ZoneInfo(mission.timezone))
    span = core.Window(first - timedelta(days=1), first + timedelta(
        days=(mission.end_date - mission.start_date).days + 2))

    def availability(kind: PartyKind, party_id: int, plan: PartyPlan | None) -> (
        tuple[core.Window, ...] | None
    ):
        windows = _windows(plan.availability) if plan else None
        return _minus(windows, busy.get((kind, party_id), []), span)

    groups = venue_groups(venues)
    group_of = {venue.id: gid for gid, rows in groups.items() for venue in rows}
    core_venues = tuple(
        core.Venue(
            id=gid,
            tz=rows[0].timezone,
            capacity=len(rows),
            kind=core.VenueKind.BOOTH if rows[0].kind is VenueKind.BOOTH else core.VenueKind.ROOM,
            name=rows[0].city or rows[0].name,
        )
        for gid, rows in groups.items()
    )
    booth_groups = [gid for gid, rows in groups.items() if rows[0].kind is VenueKind.BOOTH]

    core_companies = []
    for company in companies:
        plan = plans.get((PartyKind.COMPANY, company.id))
        if plan is not None and plan.venue_id in group_of:
            venue_group = group_of[plan.venue_id]
        elif len(booth_groups) == 1:
            venue_group = booth_groups[0]
        else:
            raise PlanIncomplete(
                f"company {company.id} needs a booth: the mission has {len(booth_groups)} booth "
                "places; set the company's venue_id in its schedule plan",
                company_id=company.id,
            )
        core_companies.append(
            core.Company(
                id=company.id,
                venue_id=venue_group,
                name=company.name,
                availability=availability(PartyKind.COMPANY, company.id, plan),
            )
        )

    core_buyers = []
    for buyer in buyers:
        plan = plans.get((PartyKind.BUYER, buyer.id))
        buyer_group: str | None = None
        tz = plan.timezone if plan else ""
        if plan is not None:
            buyer_group = group_of.get(plan.venue_id) if plan.venue_id is not None else None
        else:
            centres = [
                gid
                for gid, rows in groups.items()
                if rows[0].kind is VenueKind.BUSINESS_CENTRE and rows[0].country == buyer.country
            ]
            same_city = [
                gid for gid in centres if groups[gid][0].city.casefold() == buyer.city.casefold()
            ]
            buyer_group = next(iter(same_city or centres), None)
        if buyer_group is not None:
            tz = groups[buyer_group][0].timezone
        tz = tz or _country_zone(buyer.country) or ""
        if not tz:
            raise PlanIncomplete(
                f"buyer {buyer.id} joins from its office in {buyer.country}, which has several "
                "time zones; set the buyer's timezone in its schedule plan",
                buyer_id=buyer.id,
            )
        core_buyers.append(
            core.Buyer(
                id=buyer.id,
                tz=tz,
                name=f"{buyer.name} ({buyer.company_name})",
                venue_id=buyer_group,
                availability=availability(PartyKind.BUYER, buyer.id, plan),
            )
        )

    core_interpreters = []
    for interpreter in interpreters:
        plan = plans.get((PartyKind.INTERPRETER, interpreter.id))
        core_interpreters.append(
            core.Interpreter(
                id=interpreter.id,
                tz=(plan.timezone if plan else "") or mission.timezone,
                pairs=_pairs(interpreter.language_pairs),
                name=interpreter.name,
                availability=availability(PartyKind.INTERPRETER, interpreter.id, plan),
            )
        )

    company_of = {company.id: company for company in companies}
    buyer_of = {buyer.id: buyer for buyer in buyers}
    # Two sides that share no language need an interpreter of their pair, whatever the
    # request said when it was made (languages may have been filled in since).
    pairs = {
        request.id: meeting_pair(
            company_of[request.company_id], buyer_of[request.buyer_id], request.language_pair
        )
        for request in approved
    }
    core_requests = tuple(
        core.MeetingRequest(
            id=request.id,
            company_id=request.company_id,
            buyer_id=request.buyer_id,
            priority=request.priority,
            interpretation=(
                core.language_pair(*pairs[request.id].split("-")) if pairs[request.id] else None
            ),
        )
        for request in approved
    )
    days = tuple(
        mission.start_date + timedelta(days=i)
        for i in range((mission.end_date - mission.start_date).days + 1)
    )
    problem = core.Problem(
        mission=core.Mission(
            id=mission.id,
            days=days,
            tz=mission.timezone,
            slot_minutes=mission.slot_minutes,
            gap_minutes=grid.gap_minutes,
            hours=grid.hours,
        ),
        venues=core_venues,
        companies=tuple(core_companies),
        buyers=tuple(core_buyers),
        interpreters=tuple(core_interpreters),
        requests=core_requests,
    )
    meeting_of = {
        request.id: meetings[request.meeting_id]
        for request in approved
        if request.meeting_id is not None and request.meeting_id in meetings
    }
    withdrawn = await session.execute(
        select(MeetingRequest.id, Meeting)
        .join(MeetingRequest, MeetingRequest.meeting_id == Meeting.id)
        .where(
            MeetingRequest.mission_id == mission.id,
            MeetingRequest.status != RequestStatus.APPROVED,
            Meeting.status.not_in(VOID),
        )
        .order_by(Meeting.id)
    )
    return Loaded(
        problem=problem,
        requests={request.id: request for request in approved},
        pairs=pairs,
        groups={gid: [v.id for v in rows] for gid, rows in groups.items()},
        meeting_of=meeting_of,
        withdrawn={request_id: row for request_id, row in withdrawn},
        version=state_version(approved, live, plans.values(), pairs),
    )


def state_version(
    approved: Iterable[MeetingRequest],
    live: Iterable[Meeting],
    plans: Iterable[PartyPlan],
    pairs: Mapping[int, str] | None = None,
) -> str:
    """A digest of what a proposal was computed from: applying one checks it is unchanged."""
    state = {
        "requests": [
            [r.id, r.company_id, r.buyer_id, r.priority, r.language_pair, r.meeting_id]
            for r in sorted(approved, key=lambda r: r.id)
        ],
        "meetings": [
            [
                m.id, m.status.value, m.starts_at.isoformat(), m.ends_at.isoformat(),
                m.interpreter_id, m.company_venue_id, m.buyer_venue_id,
            ]
            for m in sorted(live, key=lambda m: m.id)
        ],
        "plans": [
            [p.party_kind.value, p.party_id, p.venue_id, p.timezone, p.availability]
            for p in sorted(plans, key=lambda p: (p.party_kind.value, p.party_id))
        ],
        "pairs": sorted((pairs or {}).items()),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]

"""The scheduling use cases on records: solve, apply, reschedule, agendas and downloads.

The core (model, solver, reschedule, outputs) stays pure; this module loads records into
it (`loader.py`), runs the solver in a worker thread so the event loop (shared with live
media) is never blocked, and writes results through `app.meetings.service`, so every
meeting it books obeys the booking rules like a hand-made one.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.audit.service import SYSTEM, record
from app.meetings import service as meetings
from app.meetings.exceptions import MeetingClash
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.schemas import MeetingCreate, MeetingUpdate
from app.missions.exceptions import VenueNotFound
from app.missions.models import Mission, Venue
from app.participants.exceptions import ParticipantNotFound
from app.participants.models import Buyer, Company, Interpreter
from app.rooms.models import SeatLink
from app.scheduling import model as core
from app.scheduling.errors import SchedulingError, UnknownReference
from app.scheduling.exceptions import (
    PlanIncomplete,
    ProposalInvalid,
    ScheduleApiError,
    StaleProposal,
)
from app.scheduling.loader import Grid, Loaded, load
from app.scheduling.models import PartyKind, PartyPlan
from app.scheduling.outputs import Agenda, agenda_for, agenda_ics, schedule_xlsx
from app.scheduling.outputs import PartyKind as AgendaKind
from app.scheduling.reschedule import propose_reschedule
from app.scheduling.schemas import (
    ApplyRequest,
    ChangeApply,
    PartyPlanWrite,
    ProposedMeeting,
    RescheduleRequest,
    SolveRequest,
)
from app.scheduling.schemas import Grid as GridBody
from app.scheduling.solver import solve
from app.scheduling.validator import Violation, validate_schedule

logger = logging.getLogger(__name__)

NUM_WORKERS = 2
# One solve at a time: each uses NUM_WORKERS cores, and the media relay needs the rest.
# Later solves wait their turn in the event loop without blocking it.
_SOLVER = anyio.CapacityLimiter(1)
LinkUrl = Callable[[SeatLink], str | None]


class ScheduleExists(ScheduleApiError):
    status_code = 409

    def __init__(self, booked: int) -> None:
        super().__init__(
            f"{booked} approved request(s) already have meetings; use the reschedule preview "
            "to place the rest while moving as few as possible",
            booked=booked,
        )


class PartyNotInMission(ScheduleApiError):
    status_code = 404


def core_grid(body: GridBody) -> Grid:
    try:
        hours = core.DayHours(body.hours.open, body.hours.close, tuple(body.hours.breaks))
    except SchedulingError as exc:
        raise PlanIncomplete(str(exc), field="grid") from exc
    return Grid(hours=hours, gap_minutes=body.gap_minutes)


async def _load(session: AsyncSession, mission: Mission, grid: GridBody) -> Loaded:
    try:
        return await load(session=session, mission=mission, grid=core_grid(grid))
    except SchedulingError as exc:  # malformed records the core refuses (a pair "ko-ko")
        raise PlanIncomplete(str(exc)) from exc


def _unplaced(items: Iterable[core.Unplaced]) -> list[dict[str, Any]]:
    return [
        {
            "request_id": item.request_id,
            "reason": item.reason.value,
            "detail": item.detail,
            "blocking": list(item.blocking),
        }
        for item in items
    ]


def _violations(items: Iterable[Violation]) -> list[dict[str, Any]]:
    return [
        {"kind": v.kind.value, "request_ids": list(v.request_ids), "detail": v.detail}
        for v in items
    ]


def _row_fields(request_id: int, row: Meeting) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "company_id": row.company_id,
        "buyer_id": row.buyer_id,
        "interpreter_id": row.interpreter_id,
        "company_venue_id": row.company_venue_id,
        "buyer_venue_id": row.buyer_venue_id,
        "language_pair": row.language_pair,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "priority": row.priority,
    }


# Solve and apply ------------------------------------------------------------------------------


async def propose(*, session: AsyncSession, mission: Mission, body: SolveRequest) -> dict[str, Any]:
    """A schedule for the mission's approved requests; nothing is written."""
    loaded = await _load(session, mission, body.grid)
    booked = len(loaded.current().meetings)
    if booked:
        raise ScheduleExists(booked)
    result = await anyio.to_thread.run_sync(
        functools.partial(
            solve,
            loaded.problem,
            time_limit_s=body.time_limit_s,
            num_workers=NUM_WORKERS,
            strict_priority=body.strict_priority,
            seed=body.seed,
        ),
        limiter=_SOLVER,
    )
    violations = validate_schedule(loaded.problem, result.schedule)
    if violations:  # the validator shares nothing with the solver: say so, never hide it
        logger.error("mission %s: solver result breaks rules: %s", mission.id, violations)
    logger.info(
        "mission %s solved: %d of %d placed (%s, %.2f s)",
        mission.id, result.placed, len(loaded.problem.requests), result.status,
        result.solve_seconds,
    )
    return {
        "version": loaded.version,
        "grid": body.grid,
        "status": result.status,
        "objective": result.objective,
        "solve_seconds": round(result.solve_seconds, 3),
        "requests": len(loaded.problem.requests),
        "placed": result.placed,
        "meetings": [loaded.booking_fields(m) for m in result.schedule.meetings],
        "unplaced": _unplaced(result.unplaced),
        "violations": _violations(violations),
    }


def _to_core(loaded: Loaded, proposed: ProposedMeeting) -> core.Meeting:
    request = loaded.requests.get(proposed.request_id)
    if request is None:
        raise ProposalInvalid(
            f"request {proposed.request_id} is not an approved request of the mission", []
        )
    if (request.company_id, request.buyer_id) != (proposed.company_id, proposed.buyer_id):
        raise ProposalInvalid(
            f"request {request.id} is between company {request.company_id} and buyer "
            f"{request.buyer_id}", [],
        )
    if proposed.language_pair != loaded.pairs[request.id]:
        raise ProposalInvalid(f"request {request.id} needs {loaded.pairs[request.id]!r}", [])
    return loaded.from_fields(
        request_id=proposed.request_id,
        starts_at=proposed.starts_at,
        ends_at=proposed.ends_at,
        interpreter_id=proposed.interpreter_id,
        company_venue_id=proposed.company_venue_id,
        buyer_venue_id=proposed.buyer_venue_id,
    )


def _check(loaded: Loaded, schedule: core.Schedule) -> None:
    violations = validate_schedule(loaded.problem, schedule)
    if violations:
        raise ProposalInvalid(
            f"the schedule breaks {len(violations)} rule(s): {violations[0].detail}",
            _violations(violations),
        )


def _already(loaded: Loaded, items: Iterable[ProposedMeeting]) -> bool:
    """Every proposed meeting is booked as proposed: the proposal was applied before."""
    for item in items:
        row = loaded.meeting_of.get(item.request_id)
        if row is None or row.status in (MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW):
            return False
        if (row.starts_at, row.interpreter_id) != (item.starts_at, item.interpreter_id):
            return False
    return True


async def _book(
    session: AsyncSession,
    mission: Mission,
    loaded: Loaded,
    item: ProposedMeeting,
    actor: str = SYSTEM,
) -> Meeting:
    request = loaded.requests[item.request_id]
    # The request's priority, whatever was posted back.
    data = MeetingCreate(
        **item.model_dump(exclude={"request_id", "priority"}), priority=request.priority
    )
    meeting = await meetings.book(session=session, mission=mission, data=data, actor=actor)
    request.meeting_id = meeting.id
    await session.commit()
    return meeting


async def apply(
    *, session: AsyncSession, mission: Mission, body: ApplyRequest, actor: str = SYSTEM
) -> dict[str, Any]:
    """Book a proposal's meetings through the booking rules; a retry books nothing twice."""
    loaded = await _load(session, mission, body.grid)
    if body.version != loaded.version:
        if _already(loaded, body.meetings):
            return {"booked": [], "already_booked": len(body.meetings)}
        raise StaleProposal(body.version, loaded.version)
    schedule = core.Schedule(tuple(_to_core(loaded, item) for item in body.meetings))
    _check(loaded, schedule)
    # A booth or room taken by a meeting booked by hand is not known to the solver: find
    # every such clash before writing anything, rather than stop half-way.
    clashes = []
    for item in body.meetings:
        clashes += await meetings.find_clashes(
            session=session, mission=mission, booking=_booking(item)
        )
    if clashes:
        raise MeetingClash(clashes)
    booked = [await _book(session, mission, loaded, item, actor) for item in body.meetings]
    await record(
        session, actor=actor, action="schedule.apply", entity="mission", entity_id=mission.id,
        mission_id=mission.id,
        after={"version": body.version, "booked": len(booked),
               "meeting_ids": [m.id for m in booked]},
    )
    await session.commit()
    logger.info("mission %s: %d meetings booked from a proposal", mission.id, len(booked))
    return {"booked": booked, "already_booked": 0}


# Reschedule ---------------------------------------------------------------------------------


async def preview_reschedule(
    *, session: AsyncSession, mission: Mission, body: RescheduleRequest
) -> dict[str, Any]:
    """What a reschedule would change after cancellations and no-shows; nothing is written.

    Approved requests whose meeting was cancelled or missed, and approved requests never
    booked, are placed like new ones; meetings before `now` stay; of the schedules that keep
    every other meeting and place the most, the one that moves the fewest is shown.
    """
    loaded = await _load(session, mission, body.grid)
    now = body.now or clock.now()
    changes = await anyio.to_thread.run_sync(
        functools.partial(
            propose_reschedule,
            loaded.problem,
            loaded.current(),
            now=now,
            time_limit_s=body.time_limit_s,
            num_workers=NUM_WORKERS,
            seed=body.seed,
        ),
        limiter=_SOLVER,
    )
    violations = validate_schedule(loaded.problem, changes.schedule)
    removals = [
        {
            "meeting_id": loaded.meeting_of[int(r.meeting.request_id)].id,
            "request_id": r.meeting.request_id,
            "reason": r.reason.value,
            "detail": r.detail,
        }
        for r in changes.removals
    ]
    removals += [
        {
            "meeting_id": row.id,
            "request_id": request_id,
            "reason": "cancelled",
            "detail": "its request is no longer approved",
        }
        for request_id, row in sorted(loaded.withdrawn.items())
    ]
    return {
        "version": loaded.version,
        "grid": body.grid,
        "moved_meetings": changes.moved_meetings,
        "moves": [
            {
                "meeting_id": loaded.meeting_of[int(m.request_id)].id,
                "before": _row_fields(int(m.request_id), loaded.meeting_of[int(m.request_id)]),
                "after": loaded.booking_fields(m.after),
                "time_changed": m.time_changed,
            }
            for m in changes.moves
        ],
        "additions": [loaded.booking_fields(m) for m in changes.additions],
        "removals": removals,
        "unplaced": _unplaced(changes.unplaced),
        "violations": _violations(violations),
    }


def _live(row: Meeting | None) -> bool:
    return row is not None and row.status not in (MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW)


async def apply_reschedule(
    *, session: AsyncSession, mission: Mission, body: ChangeApply, actor: str = SYSTEM
) -> dict[str, Any]:
    """Carry out a previewed change: cancel, move, then book, each through the booking rules."""
    loaded = await _load(session, mission, body.grid)
    if body.version != loaded.version:
        done = _already(loaded, [*(m.after for m in body.moves), *body.additions])
        removed = True
        for r in body.removals:
            row = loaded.meeting_of.get(r.request_id) or loaded.withdrawn.get(r.request_id)
            if row is not None and row.id == r.meeting_id and _live(row):
                removed = False
        if done and removed:
            return {"moved": [], "booked": [], "cancelled": []}
        raise StaleProposal(body.version, loaded.version)

    result = {m.request_id: m for m in loaded.current().meetings}
    to_cancel: list[Meeting] = []
    for removal in body.removals:
        row = loaded.meeting_of.get(removal.request_id) or loaded.withdrawn.get(
            removal.request_id
        )
        if row is None or row.id != removal.meeting_id:
            raise ProposalInvalid(
                f"meeting {removal.meeting_id} is not request {removal.request_id}'s meeting", []
            )
        result.pop(removal.request_id, None)
        if _live(row):
            to_cancel.append(row)
    moving: list[tuple[Meeting, ProposedMeeting]] = []
    for move in body.moves:
        row = loaded.meeting_of.get(move.after.request_id)
        if row is None or row.id != move.meeting_id or not _live(row):
            raise ProposalInvalid(
                f"meeting {move.meeting_id} is not a booked meeting of request "
                f"{move.after.request_id}", [],
            )
        result[move.after.request_id] = _to_core(loaded, move.after)
        moving.append((row, move.after))
    for item in body.additions:
        if _live(loaded.meeting_of.get(item.request_id)):
            raise ProposalInvalid(f"request {item.request_id} already has a meeting", [])
        result[item.request_id] = _to_core(loaded, item)
    _check(loaded, core.Schedule(tuple(result.values())))

    cancelled = [
        await meetings.cancel(session=session, meeting=row, actor=actor) for row in to_cancel
    ]
    moved = await _move_all(session, mission, moving, actor)
    booked = [await _book(session, mission, loaded, item, actor) for item in body.additions]
    await record(
        session, actor=actor, action="schedule.reschedule", entity="mission",
        entity_id=mission.id, mission_id=mission.id,
        after={
            "version": body.version,
            "moved": len(moved), "booked": len(booked), "cancelled": len(cancelled),
            "moved_meeting_ids": [m.id for m in moved],
            "booked_meeting_ids": [m.id for m in booked],
            "cancelled_meeting_ids": [m.id for m in cancelled],
        },
    )
    await session.commit()
    logger.info(
        "mission %s rescheduled: %d cancelled, %d moved, %d booked",
        mission.id, len(cancelled), len(moved), len(booked),
    )
    return {"moved": moved, "booked": booked, "cancelled": cancelled}


def _booking(item: ProposedMeeting) -> meetings.Booking:
    return meetings.Booking(
        company_id=item.company_id,
        buyer_id=item.buyer_id,
        interpreter_id=item.interpreter_id,
        company_venue_id=item.company_venue_id,
        buyer_venue_id=item.buyer_venue_id,
        language_pair=item.language_pair,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
    )


def _update_of(item: ProposedMeeting, *, restore: bool) -> MeetingUpdate:
    fields = item.model_dump(
        include={
            "interpreter_id", "company_venue_id", "buyer_venue_id", "starts_at", "ends_at",
        }
    )
    if restore:
        fields["status"] = MeetingStatus.SCHEDULED
    return MeetingUpdate(**fields)


async def _move_all(
    session: AsyncSession,
    mission: Mission,
    moving: list[tuple[Meeting, ProposedMeeting]],
    actor: str = SYSTEM,
) -> list[Meeting]:
    """Move meetings one at a time, each into a place already free. Meetings that swap
    places (a cycle) can't: one is parked (cancelled for a moment) to free its place, and
    booked back into its new place once that is free."""
    pending = list(moving)
    parked: set[int] = set()
    moved: list[Meeting] = []
    while pending:
        progress = False
        for row, after in list(pending):
            clashes = await meetings.find_clashes(
                session=session, mission=mission, booking=_booking(after),
                ignore_meeting_id=row.id,
            )
            if clashes and len(parked) < len(moving):
                continue
            # No clash, or everything is parked and a clash remains: the update refuses it.
            update = _update_of(after, restore=row.id in parked)
            moved.append(
                await meetings.update(session=session, meeting=row, data=update, actor=actor)
            )
            pending.remove((row, after))
            progress = True
        if not progress:
            row, _after = next((r, a) for r, a in pending if r.id not in parked)
            await meetings.update(
                session=session,
                meeting=row,
                data=MeetingUpdate(status=MeetingStatus.CANCELLED),
                actor=actor,
            )
            parked.add(row.id)
            logger.info("meeting %s parked to break a cycle of moves", row.id)
    return moved


# Plans --------------------------------------------------------------------------------------

_PARTY_MODELS: dict[PartyKind, type[Company] | type[Buyer] | type[Interpreter]] = {
    PartyKind.COMPANY: Company,
    PartyKind.BUYER: Buyer,
    PartyKind.INTERPRETER: Interpreter,
}


async def put_plan(
    *,
    session: AsyncSession,
    mission: Mission,
    kind: PartyKind,
    party_id: int,
    data: PartyPlanWrite,
) -> PartyPlan:
    party: Company | Buyer | Interpreter | None = await session.get(
        _PARTY_MODELS[kind], party_id
    )
    if party is None or party.mission_id != mission.id:
        raise ParticipantNotFound(kind.value, party_id)
    if data.venue_id is not None:
        if kind is PartyKind.INTERPRETER:
            raise PlanIncomplete("interpreters join from anywhere: no venue", field="venue_id")
        venue = await session.get(Venue, data.venue_id)
        if venue is None or venue.mission_id != mission.id:
            raise VenueNotFound(data.venue_id)
    plan = await session.scalar(
        select(PartyPlan).where(
            PartyPlan.mission_id == mission.id,
            PartyPlan.party_kind == kind,
            PartyPlan.party_id == party_id,
        )
    )
    if plan is None:
        plan = PartyPlan(mission_id=mission.id, party_kind=kind, party_id=party_id)
        session.add(plan)
    plan.venue_id = data.venue_id
    plan.timezone = data.timezone or ""
    plan.availability = (
        None
        if data.availability is None
        else [[start.isoformat(), end.isoformat()] for start, end in data.availability]
    )
    await session.commit()
    return plan


async def list_plans(*, session: AsyncSession, mission: Mission) -> list[PartyPlan]:
    rows = await session.scalars(
        select(PartyPlan)
        .where(PartyPlan.mission_id == mission.id)
        .order_by(PartyPlan.party_kind, PartyPlan.party_id)
    )
    return list(rows)


# Agendas and downloads ------------------------------------------------------------------------


async def _join_links(
    session: AsyncSession, loaded: Loaded, kind: AgendaKind, link_url: LinkUrl | None
) -> dict[core.EntityId, str]:
    """This party's seat link in each of its meetings, where the rooms service issued one."""
    if link_url is None:
        return {}
    request_of = {row.id: rid for rid, row in loaded.meeting_of.items() if _live(row)}
    if not request_of:
        return {}
    links = await session.scalars(
        select(SeatLink).where(SeatLink.meeting_id.in_(request_of), SeatLink.seat == kind.value)
    )
    found: dict[core.EntityId, str] = {}
    for link in links:
        if (url := link_url(link)) is not None:
            found[request_of[link.meeting_id]] = url
    return found


async def agenda(
    *,
    session: AsyncSession,
    mission: Mission,
    kind: AgendaKind,
    party_id: int,
    link_url: LinkUrl | None = None,
) -> tuple[Loaded, Agenda]:
    """One party's booked meetings in its own zone, with its seat's join links."""
    loaded = await _load(session, mission, GridBody())
    schedule = loaded.current()
    links = await _join_links(session, loaded, kind, link_url)
    try:
        result = agenda_for(loaded.problem, schedule, kind, party_id, join_links=links)
    except UnknownReference as exc:
        raise PartyNotInMission(
            f"{kind} {party_id} not found in mission {mission.id}", **{f"{kind}_id": party_id}
        ) from exc
    return loaded, result


def agenda_json(loaded: Loaded, result: Agenda) -> dict[str, Any]:
    return {
        "kind": result.kind.value,
        "party_id": result.party_id,
        "name": result.name,
        "timezone": result.tz,
        "items": [
            {
                "request_id": item.request_id,
                "meeting_id": loaded.meeting_of[int(item.request_id)].id,
                "starts_at": item.start,
                "ends_at": item.end,
                "local_start": item.local_start.isoformat(),
                "local_end": item.local_end.isoformat(),
                "company": item.company,
                "buyer": item.buyer,
                "booth": item.booth,
                "room": item.room,
                "interpreter": item.interpreter,
                "languages": item.languages,
                "join_url": item.join_url,
            }
            for item in result.items
        ],
    }


async def agenda_calendar(
    *,
    session: AsyncSession,
    mission: Mission,
    kind: AgendaKind,
    party_id: int,
    link_url: LinkUrl | None,
    reminder_minutes: float = 0,
) -> bytes:
    _loaded, result = await agenda(
        session=session, mission=mission, kind=kind, party_id=party_id, link_url=link_url
    )
    return agenda_ics(result, reminder_minutes=reminder_minutes)


async def grid_workbook(*, session: AsyncSession, mission: Mission, tz: str | None) -> bytes:
    loaded = await _load(session, mission, GridBody())
    return await anyio.to_thread.run_sync(
        functools.partial(schedule_xlsx, loaded.problem, loaded.current(), tz=tz)
    )


"""Console page that schedules a mission: propose (nothing written), look, then book.

The first time, the solver places every approved request; the preview lists the meetings
it would book, in each party's own time, and every request it could not place with the
reason. Once meetings are booked, the same page proposes a reschedule instead (after
cancellations, no-shows or new approvals), moving as few meetings as it can. Both go
through app/scheduling/service.py, like the API.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import user_actor
from app.dependencies import SessionDep
from app.errors import AppError
from app.matching.models import MeetingRequest, RequestStatus
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, Venue
from app.pages import forms
from app.pages.access import PageUser, changeable, readable, writable
from app.pages.forms import Field, Problems, problem
from app.pages.rendering import not_found, render
from app.pages.zones import mission_zones
from app.participants.languages import meeting_pair
from app.participants.models import Buyer, Company, Interpreter
from app.scheduling import service as scheduling
from app.scheduling.exceptions import PlanIncomplete, ProposalInvalid, StaleProposal
from app.scheduling.schemas import (
    ApplyRequest,
    ChangeApply,
    Grid,
    Hours,
    RescheduleRequest,
    SolveRequest,
)
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

FIELDS = {
    "open": Field("plan.open", "form.accepts.time"),
    "close": Field("plan.close", "form.accepts.time_after", {"other": "09:00"}),
    "break_from": Field("plan.break_from", "form.accepts.break"),
    "break_to": Field("plan.break_to", "form.accepts.break"),
    "gap_minutes": Field("plan.gap", "form.accepts.whole_number", {"min": 0, "max": 120}),
    "time_limit": Field("plan.time_limit", "form.accepts.whole_number", {"min": 1, "max": 60}),
}
DEFAULTS = {"open": "09:00", "close": "18:00", "break_from": "12:00", "break_to": "13:00",
            "gap_minutes": "0", "time_limit": "5"}


async def _state(session: AsyncSession, mission: Mission) -> dict[str, Any]:
    approved = await session.scalar(
        select(func.count()).select_from(MeetingRequest).where(
            MeetingRequest.mission_id == mission.id,
            MeetingRequest.status == RequestStatus.APPROVED,
        )
    )
    booked = await session.scalar(
        select(func.count()).select_from(Meeting).where(
            Meeting.mission_id == mission.id,
            Meeting.status.not_in([MeetingStatus.CANCELLED]),
        )
    )
    return {"approved": approved or 0, "booked": booked or 0}


def _grid(values: dict[str, str]) -> tuple[Grid | None, float, Problems]:
    problems: Problems = {}
    times: dict[str, time | None] = {}
    for name in ("open", "close", "break_from", "break_to"):
        raw = values.get(name, "")
        times[name] = forms.clock_time(raw) if raw else None
        if raw and times[name] is None:
            problems[name] = problem(name, FIELDS[name])
    for name in ("open", "close"):
        if times[name] is None and name not in problems:
            problems[name] = problem(name, FIELDS[name])
    numbers: dict[str, int] = {}
    for name in ("gap_minutes", "time_limit"):
        raw = values.get(name, "") or DEFAULTS[name]
        spec = FIELDS[name]
        if not raw.isdigit() or not spec.params["min"] <= int(raw) <= spec.params["max"]:
            problems[name] = problem(name, spec)
        else:
            numbers[name] = int(raw)
    if problems:
        return None, 0, problems
    opening, closing = times["open"], times["close"]
    assert opening is not None and closing is not None
    if closing <= opening:
        return None, 0, {"close": problem("close", FIELDS["close"],
                                           other=opening.strftime("%H:%M"))}
    breaks: list[tuple[time, time]] = []
    start, end = times["break_from"], times["break_to"]
    if (start is None) != (end is None) or (
        start is not None and end is not None and not opening <= start < end <= closing
    ):
        return None, 0, {"break_from": problem("break_from", FIELDS["break_from"])}
    if start is not None and end is not None:
        breaks.append((start, end))
    try:
        grid = Grid(hours=Hours(open=opening, close=closing, breaks=breaks),
                    gap_minutes=numbers["gap_minutes"])
    except ValidationError:
        return None, 0, {"break_from": problem("break_from", FIELDS["break_from"])}
    return grid, float(numbers["time_limit"]), {}


async def _names(session: AsyncSession, mission: Mission) -> dict[str, Any]:
    def by_id(rows: Any) -> dict[int, Any]:
        return {row.id: row for row in rows}

    return {
        "company_of": by_id(await session.scalars(
            select(Company).where(Company.mission_id == mission.id))),
        "buyer_of": by_id(await session.scalars(
            select(Buyer).where(Buyer.mission_id == mission.id))),
        "interpreter_of": by_id(await session.scalars(
            select(Interpreter).where(Interpreter.mission_id == mission.id))),
        "venue_of": by_id(await session.scalars(
            select(Venue).where(Venue.mission_id == mission.id))),
        "request_of": by_id(await session.scalars(
            select(MeetingRequest).where(MeetingRequest.mission_id == mission.id))),
    }


def _zones_of(zones: Any, item: dict[str, Any]) -> list[tuple[str, str]]:
    """(seat, zone) of a proposed meeting's seats whose clock is not the mission's."""
    company = zones.venue.get(item.get("company_venue_id") or 0) or zones.company.get(
        item["company_id"])
    buyer = zones.venue.get(item.get("buyer_venue_id") or 0) or zones.buyer.get(item["buyer_id"])
    interpreter = zones.interpreter.get(item.get("interpreter_id") or 0)
    return [(seat, zone) for seat, zone in (("company", company), ("buyer", buyer),
                                             ("interpreter", interpreter))
            if zone and zone != zones.mission]


def _times(item: dict[str, Any]) -> dict[str, Any]:
    shown = dict(item)
    for name in ("starts_at", "ends_at"):
        if isinstance(shown[name], str):
            shown[name] = datetime.fromisoformat(shown[name])
    return shown


async def _page(
    request: Request, session: AsyncSession, user: Any, mission: Mission, **context: Any
) -> HTMLResponse:
    context.setdefault("values", DEFAULTS)
    context.setdefault("problems", {})
    names = await _names(session, mission)
    zones = await mission_zones(session, mission)
    pairs = {
        rid: meeting_pair(names["company_of"][r.company_id], names["buyer_of"][r.buyer_id],
                          r.language_pair)
        for rid, r in names["request_of"].items()
    }
    return render(
        request, "plan.html", mission=mission, section="plan",
        can_change=await changeable(session, user, mission),
        zones=zones, zones_of=lambda item: _zones_of(zones, item), times=_times, pairs=pairs,
        **names, **await _state(session, mission), **context,
    )


@router.get("/missions/{mission_id}/plan")
async def plan_page(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    return await _page(request, session, user, mission)


def _incomplete(exc: AppError) -> dict[str, Any]:
    """What the page says about records the scheduler cannot use."""
    return {"incomplete": {"company_id": exc.details.get("company_id"),
                           "buyer_id": exc.details.get("buyer_id"), "detail": exc.message}}


@router.post("/missions/{mission_id}/plan/propose")
async def propose(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> Response:
    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    grid, limit, problems = _grid(values)
    if grid is None:
        return await _page(request, session, user, mission, values=values, problems=problems)
    state = await _state(session, mission)
    try:
        if state["booked"]:
            change = await scheduling.preview_reschedule(
                session=session, mission=mission,
                body=RescheduleRequest(grid=grid, time_limit_s=limit),
            )
            payload = ChangeApply.model_validate(
                {key: change[key] for key in ("version", "grid", "moves", "additions",
                                              "removals")}
            )
            return await _page(request, session, user, mission, values=values, change=change,
                               payload=payload.model_dump_json())
        proposal = await scheduling.propose(
            session=session, mission=mission, body=SolveRequest(grid=grid, time_limit_s=limit)
        )
    except PlanIncomplete as exc:
        return await _page(request, session, user, mission, values=values, **_incomplete(exc))
    payload = ApplyRequest.model_validate(
        {key: proposal[key] for key in ("version", "grid", "meetings")}
    )
    return await _page(request, session, user, mission, values=values, proposal=proposal,
                       payload=payload.model_dump_json())


@router.post("/missions/{mission_id}/plan/apply")
async def apply(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> Response:
    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    form = await request.form()
    kind = str(form.get("kind", "solve"))
    try:
        raw = json.loads(str(form.get("payload", "")))
        if kind == "reschedule":
            change = ChangeApply.model_validate(raw)
        else:
            body = ApplyRequest.model_validate(raw)
    except (ValueError, ValidationError):
        return await _page(request, session, user, mission, notice="unreadable")
    try:
        if kind == "reschedule":
            result = await scheduling.apply_reschedule(
                session=session, mission=mission, body=change, actor=user_actor(user)
            )
            counts = {name: len(result[name]) for name in ("moved", "booked", "cancelled")}
        else:
            done = await scheduling.apply(
                session=session, mission=mission, body=body, actor=user_actor(user)
            )
            counts = {"booked": len(done["booked"]), "moved": 0, "cancelled": 0}
    except StaleProposal:
        mission = await session.get_one(Mission, mission_id)
        return await _page(request, session, user, mission, notice="stale")
    except (ProposalInvalid, PlanIncomplete, AppError):
        mission = await session.get_one(Mission, mission_id)
        return await _page(request, session, user, mission, notice="refused")
    query = "&".join(f"{name}={count}" for name, count in counts.items())
    return RedirectResponse(f"/missions/{mission_id}/links?{query}", status_code=303)

"""Console page of one consultation: its facts and seat links, and changing it by hand:
another time or booth, another interpreter (those who fit listed first), or cancelling it.
Every change goes through the booking rules (app/meetings/service.py), like the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import user_actor
from app.dependencies import SessionDep
from app.errors import PermissionDenied
from app.interpreting.candidates import candidates
from app.meetings import attendance
from app.meetings import service as meetings
from app.meetings.exceptions import MeetingClash, MeetingInvalid
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.schemas import MeetingUpdate
from app.missions.models import Venue, VenueKind
from app.pages import forms
from app.pages.access import PageUser, changeable
from app.pages.forms import Field, Problems, problem
from app.pages.rendering import not_found, render
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

FIELDS = {
    "day": Field("meeting.change.day", "form.accepts.mission_day"),
    "start": Field("meeting.change.start", "form.accepts.time"),
    "company_venue_id": Field("meeting.change.booth", "form.accepts.free_booth"),
    "interpreter_id": Field("seat.interpreter", "form.accepts.interpreter"),
}
CLASH_FIELD = {"company": "start", "buyer": "start", "interpreter": "interpreter_id",
               "venue": "company_venue_id"}


async def _context(
    request: Request, session: AsyncSession, user: Any, meeting_id: int
) -> dict[str, Any] | None:
    from app.pages.router import _meeting_context

    context = await _meeting_context(session, user, meeting_id)
    if context is None:
        return None
    meeting: Meeting = context["meeting"]
    mission = context["mission"]
    zone = ZoneInfo(mission.timezone)
    local = meeting.starts_at.astimezone(zone)
    context.update(
        can_change=await changeable(session, user, mission),
        candidates=await candidates(session=session, meeting=meeting),
        booths=list(await session.scalars(
            select(Venue).where(Venue.mission_id == mission.id, Venue.kind == VenueKind.BOOTH)
            .order_by(Venue.name)
        )),
        values={"day": local.date().isoformat(), "start": local.strftime("%H:%M"),
                "company_venue_id": str(meeting.company_venue_id or ""),
                "interpreter_id": str(meeting.interpreter_id or "")},
        problems={}, changed=request.query_params.get("changed"),
        marked=request.query_params.get("marked"),
        attendance_problem=request.query_params.get("attendance_problem"),
        last_mark=(marks[-1] if (marks := await attendance.list_marks(
            session=session, meeting_id=meeting_id)) else None),
    )
    return context


@router.get("/meetings/{meeting_id}")
async def meeting_page(
    request: Request, session: SessionDep, meeting_id: PathId, user: PageUser
) -> HTMLResponse:
    context = await _context(request, session, user, meeting_id)
    if context is None:
        return not_found(request, "meeting")
    return render(request, "meeting.html", **context)


def _problems_of(exc: MeetingInvalid | MeetingClash, pair: str) -> Problems:
    if isinstance(exc, MeetingClash):
        found: Problems = {}
        for clash in exc.details.get("clashes", []):
            name = CLASH_FIELD.get(clash["resource"], "start")
            accepts = {"start": "form.accepts.free_time",
                       "interpreter_id": "form.accepts.free_interpreter"}.get(name)
            found.setdefault(name, problem(name, FIELDS[name], accepts))
        return found or {"start": problem("start", FIELDS["start"])}
    field = str(exc.details.get("field", "start"))
    name = {"starts_at": "day", "ends_at": "start", "language_pair": "interpreter_id",
            "partner_interpreter_id": "interpreter_id"}.get(field, field)
    spec = FIELDS.get(name, FIELDS["start"])
    return {name: problem(name, spec, pair=pair or "—")}


@router.post("/meetings/{meeting_id}/change")
async def change(
    request: Request, session: SessionDep, meeting_id: PathId, user: PageUser
) -> Response:
    context = await _context(request, session, user, meeting_id)
    if context is None:
        return not_found(request, "meeting")
    if not context["can_change"]:
        raise PermissionDenied("you may read this mission but not change it")
    meeting: Meeting = context["meeting"]
    mission = context["mission"]
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    problems: Problems = {}
    day = forms.day(values.get("day", ""))
    start = forms.clock_time(values.get("start", ""))
    if day is None:
        problems["day"] = problem("day", FIELDS["day"])
    if start is None:
        problems["start"] = problem("start", FIELDS["start"])
    booth = values.get("company_venue_id", "")
    interpreter = values.get("interpreter_id", "")
    if not problems and day is not None and start is not None:
        starts_at = datetime.combine(day, start, tzinfo=ZoneInfo(mission.timezone))
        update = MeetingUpdate(
            starts_at=starts_at, ends_at=starts_at + (meeting.ends_at - meeting.starts_at),
            company_venue_id=int(booth) if booth.isdigit() else None,
            interpreter_id=int(interpreter) if interpreter.isdigit() else None,
        )
        pair = meeting.language_pair
        try:
            await meetings.update(session=session, meeting=meeting, data=update,
                                  actor=user_actor(user))
        except (MeetingInvalid, MeetingClash) as exc:
            problems = _problems_of(exc, str(exc.details.get("language_pair", pair)))
        else:
            return RedirectResponse(f"/meetings/{meeting_id}?changed=1#change",
                                    status_code=303)
        context = await _context(request, session, user, meeting_id) or context
    context.update(values=values, problems=problems)
    return render(request, "meeting.html", **context)


@router.post("/meetings/{meeting_id}/cancel")
async def cancel(
    request: Request, session: SessionDep, meeting_id: PathId, user: PageUser
) -> Response:
    context = await _context(request, session, user, meeting_id)
    if context is None:
        return not_found(request, "meeting")
    if not context["can_change"]:
        raise PermissionDenied("you may read this mission but not change it")
    meeting: Meeting = context["meeting"]
    if meeting.status is not MeetingStatus.CANCELLED:
        await meetings.cancel(session=session, meeting=meeting, actor=user_actor(user))
    return RedirectResponse(f"/meetings/{meeting_id}?changed=cancelled", status_code=303)

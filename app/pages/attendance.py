"""Console: an organiser marks a meeting held or a no-show, with the reason (meeting page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.audit.service import user_actor
from app.clock import ClockDep
from app.dependencies import SessionDep
from app.errors import AppError
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.meetings.schemas import AttendanceMarkIn
from app.pages.access import PageUser, changeable, readable
from app.schemas import PathId

router = APIRouter(include_in_schema=False)


@router.post("/meetings/{meeting_id}/attendance")
async def mark_attendance(
    request: Request,
    session: SessionDep,
    meeting_id: PathId,
    user: PageUser,
    clock: ClockDep,
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    meeting = await session.get(Meeting, meeting_id)
    mission = await readable(session, user, meeting.mission_id) if meeting else None
    if meeting is None or mission is None:
        return RedirectResponse("/missions", status_code=303)
    back = f"/meetings/{meeting_id}"
    if not await changeable(session, user, mission):
        return RedirectResponse(f"{back}?attendance_problem=forbidden#attendance", 303)
    try:
        mark = AttendanceMarkIn.model_validate({"status": status, "reason": reason})
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors(include_url=False) if e["loc"]})
        problem = "reason" if "reason" in fields else "status"
        return RedirectResponse(f"{back}?attendance_problem={problem}#attendance", 303)
    try:
        await meetings.mark_attendance(
            session=session, meeting=meeting, status=mark.status, reason=mark.reason,
            now=clock.now(), actor=user_actor(user),
        )
    except AppError as exc:
        problem = "cancelled" if "cancelled" in exc.message else "not_started"
        return RedirectResponse(f"{back}?attendance_problem={problem}#attendance", 303)
    return RedirectResponse(f"{back}?marked={mark.status.value}#attendance", 303)

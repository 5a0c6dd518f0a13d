"""HTTP routes for meetings: booked and listed per mission, moved and cancelled by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from app.audit.service import user_actor
from app.auth.dependencies import CurrentUser
from app.clock import ClockDep
from app.dependencies import SessionDep
from app.meetings import attendance, service
from app.meetings.dependencies import MeetingDep
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.schemas import (
    AttendanceMarkIn,
    AttendanceMarkRead,
    MeetingCreate,
    MeetingRead,
    MeetingUpdate,
)
from app.missions.dependencies import MissionDep
from app.paging import PagingDep, page
from app.schemas import Page, PrimaryKey

router = APIRouter(tags=["meetings"])

CLASH: dict[int | str, dict[str, Any]] = {
    409: {"description": "A company, buyer, interpreter or venue is already booked then."}
}
IdQuery = Annotated[PrimaryKey | None, Query()]


@router.get(
    "/missions/{mission_id}/meetings", response_model=Page[MeetingRead],
    summary="A mission's schedule, in time order",
)
async def list_meetings(
    session: SessionDep,
    mission: MissionDep,
    paging: PagingDep,
    meeting_status: Annotated[MeetingStatus | None, Query(alias="status")] = None,
    company_id: IdQuery = None,
    buyer_id: IdQuery = None,
    interpreter_id: IdQuery = None,
    venue_id: IdQuery = None,
    starting_from: Annotated[AwareDatetime | None, Query(description="Inclusive.")] = None,
    starting_before: Annotated[AwareDatetime | None, Query(description="Exclusive.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_meetings(
        session=session, mission=mission, paging=paging, status=meeting_status,
        company_id=company_id, buyer_id=buyer_id, interpreter_id=interpreter_id,
        venue_id=venue_id, starting_from=starting_from, starting_before=starting_before,
    )
    return page(items, total, paging)


@router.post(
    "/missions/{mission_id}/meetings", response_model=MeetingRead,
    status_code=status.HTTP_201_CREATED, responses=CLASH, summary="Book a meeting",
)
async def book_meeting(
    session: SessionDep, user: CurrentUser, mission: MissionDep, body: MeetingCreate
) -> Meeting:
    return await service.book(session=session, mission=mission, data=body, actor=user_actor(user))


@router.get("/meetings/{meeting_id}", response_model=MeetingRead, summary="Read a meeting")
async def read_meeting(meeting: MeetingDep) -> Meeting:
    return meeting


@router.patch(
    "/meetings/{meeting_id}", response_model=MeetingRead, responses=CLASH,
    summary="Move or change a meeting",
)
async def update_meeting(
    session: SessionDep, user: CurrentUser, meeting: MeetingDep, body: MeetingUpdate,
    clock: ClockDep,
) -> Meeting:
    return await service.update(
        session=session, meeting=meeting, data=body, now=clock.now(), actor=user_actor(user)
    )


@router.post(
    "/meetings/{meeting_id}/attendance", response_model=MeetingRead,
    responses={409: {"description": "The meeting is cancelled or has not started yet."}},
    summary="Mark a meeting held or a no-show, with the reason",
    description="For consultations held without the room (on paper, at a hotel abroad, on "
    "another video tool, a room that failed) or not held at all. A person's mark always "
    "wins: the automatic settling at the slot's end never changes a marked meeting. Kept "
    "in the meeting's attendance marks and the audit log.",
)
async def mark_attendance(
    session: SessionDep, user: CurrentUser, meeting: MeetingDep, body: AttendanceMarkIn,
    clock: ClockDep,
) -> Meeting:
    return await service.mark_attendance(
        session=session, meeting=meeting, status=body.status, reason=body.reason,
        now=clock.now(), actor=user_actor(user),
    )


@router.get(
    "/meetings/{meeting_id}/attendance/marks", response_model=list[AttendanceMarkRead],
    summary="Who marked the meeting held or no-show, when and why (people and the system)",
)
async def attendance_marks(session: SessionDep, meeting: MeetingDep) -> Any:
    return await attendance.list_marks(session=session, meeting_id=meeting.id)


@router.post(
    "/meetings/{meeting_id}/cancel", response_model=MeetingRead,
    summary="Cancel a meeting (kept on record; frees its slot)",
)
async def cancel_meeting(session: SessionDep, user: CurrentUser, meeting: MeetingDep) -> Meeting:
    return await service.cancel(session=session, meeting=meeting, actor=user_actor(user))

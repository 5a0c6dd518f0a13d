"""HTTP API of follow-up tracks and the organiser's reminders."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.database import utcnow
from app.dependencies import SessionDep
from app.followups import service
from app.followups.schemas import FollowUpIn, FollowUpOut, Reminder
from app.money.routing import DecimalJSONRoute
from app.schemas import PathId

router = APIRouter(tags=["follow-up"], route_class=DecimalJSONRoute)


@router.put(
    "/meetings/{meeting_id}/follow-up",
    response_model=FollowUpOut,
    summary="Set a meeting's follow-up stage (contacted ... contract signed, dropped)",
)
async def put_follow_up(meeting_id: PathId, body: FollowUpIn, session: SessionDep) -> FollowUpOut:
    row = await service.set_follow_up(
        session=session, meeting_id=meeting_id, data=body, actor=body.actor
    )
    return FollowUpOut.of(row)


@router.get("/meetings/{meeting_id}/follow-up", response_model=FollowUpOut)
async def get_follow_up(meeting_id: PathId, session: SessionDep) -> FollowUpOut:
    return FollowUpOut.of(await service.get_follow_up(session=session, meeting_id=meeting_id))


@router.get(
    "/missions/{mission_id}/follow-ups/reminders",
    response_model=list[Reminder],
    summary="Open follow-ups due within `within_days` of `on` (default today), overdue first",
)
async def list_reminders(
    mission_id: PathId,
    session: SessionDep,
    on: Annotated[
        date | None, Query(description="The day to list for; today (UTC) if unset.")
    ] = None,
    within_days: Annotated[int, Query(ge=0, le=365)] = 7,
) -> list[Reminder]:
    day = on or utcnow().date()
    rows = await service.reminders(
        session=session, mission_id=mission_id, on=day, within_days=within_days
    )
    return list(rows)

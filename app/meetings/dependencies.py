"""Load-or-404 dependencies for meetings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.dependencies import SessionDep
from app.meetings import service
from app.meetings.exceptions import MeetingNotFound
from app.meetings.models import Meeting
from app.schemas import PathId


async def get_meeting(meeting_id: PathId, session: SessionDep) -> Meeting:
    meeting = await service.get(session=session, meeting_id=meeting_id)
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    return meeting


MeetingDep = Annotated[Meeting, Depends(get_meeting)]

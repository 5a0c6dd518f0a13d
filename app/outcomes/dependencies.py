"""Load-or-404 dependencies of the outcomes API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.dependencies import SessionDep
from app.outcomes import service
from app.outcomes.models import OutcomeVersion
from app.schemas import PathId


async def current_outcome(meeting_id: PathId, session: SessionDep) -> OutcomeVersion:
    return await service.get_current(session=session, meeting_id=meeting_id)


CurrentOutcome = Annotated[OutcomeVersion, Depends(current_outcome)]

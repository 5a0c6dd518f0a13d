"""Load-or-404 dependencies for meeting requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.dependencies import SessionDep
from app.matching import service
from app.matching.exceptions import RequestNotFound
from app.matching.models import MeetingRequest
from app.schemas import PathId


async def get_request(request_id: PathId, session: SessionDep) -> MeetingRequest:
    request = await service.get_request(session=session, request_id=request_id)
    if request is None:
        raise RequestNotFound(request_id)
    return request


RequestDep = Annotated[MeetingRequest, Depends(get_request)]

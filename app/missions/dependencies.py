"""Load-or-404 dependencies for missions and venues."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.dependencies import SessionDep
from app.missions import service
from app.missions.exceptions import MissionNotFound, VenueNotFound
from app.missions.models import Mission, Venue
from app.schemas import PathId


async def get_mission(mission_id: PathId, session: SessionDep) -> Mission:
    mission = await service.get(session=session, mission_id=mission_id)
    if mission is None:
        raise MissionNotFound(mission_id)
    return mission


async def get_venue(venue_id: PathId, session: SessionDep) -> Venue:
    venue = await service.get_venue(session=session, venue_id=venue_id)
    if venue is None:
        raise VenueNotFound(venue_id)
    return venue


MissionDep = Annotated[Mission, Depends(get_mission)]
VenueDep = Annotated[Venue, Depends(get_venue)]

"""HTTP routes for missions and their venues."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.audit.service import user_actor
from app.auth.dependencies import CurrentUser
from app.auth.exceptions import RoleRequired
from app.auth.models import UserRole
from app.dependencies import SessionDep
from app.missions import service
from app.missions.dependencies import MissionDep, VenueDep
from app.missions.models import Mission, MissionStatus, Venue, VenueKind
from app.missions.schemas import (
    MissionCreate,
    MissionRead,
    MissionUpdate,
    VenueCreate,
    VenueRead,
    VenueUpdate,
)
from app.organisations.exceptions import OrganisationNotFound
from app.organisations.service import get as get_organisation
from app.paging import PagingDep, page
from app.schemas import CountryCode, Page, PrimaryKey

router = APIRouter(tags=["missions"])
venues_router = APIRouter(tags=["venues"])


@router.get(
    "/missions",
    response_model=Page[MissionRead],
    summary="List the missions the user may read (an admin: all; others: their organisation's)",
)
async def list_missions(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    organisation_id: Annotated[PrimaryKey | None, Query()] = None,
    mission_status: Annotated[MissionStatus | None, Query(alias="status")] = None,
    country: Annotated[CountryCode | None, Query(description="A target country.")] = None,
    date_from: Annotated[date | None, Query(description="Missions ending on or after.")] = None,
    date_to: Annotated[date | None, Query(description="Missions starting on or before.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_missions(
        session=session,
        paging=paging,
        organisation_id=organisation_id,
        status=mission_status,
        country=country,
        date_from=date_from,
        date_to=date_to,
        q=q,
        visible_to=user.organisation_id,
        everyone=user.role is UserRole.ADMIN,
    )
    return page(items, total, paging)


@router.post(
    "/missions", response_model=MissionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a mission (an admin; or an organiser, in its organisation, who then "
    "organises it)",
)
async def create_mission(session: SessionDep, user: CurrentUser, body: MissionCreate) -> Mission:
    admin = user.role is UserRole.ADMIN
    if not admin and user.role is not UserRole.ORGANISER:
        raise RoleRequired([UserRole.ADMIN.value, UserRole.ORGANISER.value])
    organisation = await get_organisation(session=session, organisation_id=body.organisation_id)
    if organisation is None or not (admin or organisation.id == user.organisation_id):
        raise OrganisationNotFound(body.organisation_id)
    return await service.create(
        session=session,
        organisation=organisation,
        data=body,
        organised_by=None if admin else user.id,
    )


@router.get("/missions/{mission_id}", response_model=MissionRead, summary="Read a mission")
async def read_mission(mission: MissionDep) -> Mission:
    return mission


@router.patch(
    "/missions/{mission_id}",
    response_model=MissionRead,
    summary="Update a mission",
)
async def update_mission(
    session: SessionDep, user: CurrentUser, mission: MissionDep, body: MissionUpdate
) -> Mission:
    return await service.update(
        session=session, mission=mission, data=body, actor=user_actor(user)
    )


@router.delete(
    "/missions/{mission_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an empty mission (one with records is cancelled instead)",
)
async def delete_mission(session: SessionDep, user: CurrentUser, mission: MissionDep) -> None:
    await service.delete(session=session, mission=mission, actor=user_actor(user))


@venues_router.get(
    "/missions/{mission_id}/venues", response_model=Page[VenueRead], summary="List venues"
)
async def list_venues(
    session: SessionDep,
    mission: MissionDep,
    paging: PagingDep,
    kind: Annotated[VenueKind | None, Query()] = None,
    country: Annotated[CountryCode | None, Query()] = None,
) -> dict[str, Any]:
    items, total = await service.list_venues(
        session=session, mission=mission, paging=paging, kind=kind, country=country
    )
    return page(items, total, paging)


@venues_router.post(
    "/missions/{mission_id}/venues", response_model=VenueRead,
    status_code=status.HTTP_201_CREATED, summary="Add a booth or business-centre room",
)
async def create_venue(session: SessionDep, mission: MissionDep, body: VenueCreate) -> Venue:
    return await service.create_venue(session=session, mission=mission, data=body)


@venues_router.get("/venues/{venue_id}", response_model=VenueRead, summary="Read a venue")
async def read_venue(venue: VenueDep) -> Venue:
    return venue


@venues_router.patch(
    "/venues/{venue_id}",
    response_model=VenueRead,
    summary="Update a venue",
)
async def update_venue(
    session: SessionDep, user: CurrentUser, venue: VenueDep, body: VenueUpdate
) -> Venue:
    return await service.update_venue(
        session=session, venue=venue, data=body, actor=user_actor(user)
    )


@venues_router.delete(
    "/venues/{venue_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a venue no meeting uses",
)
async def delete_venue(session: SessionDep, user: CurrentUser, venue: VenueDep) -> None:
    await service.delete_venue(session=session, venue=venue, actor=user_actor(user))

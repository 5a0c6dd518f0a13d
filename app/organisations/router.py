"""HTTP routes for organiser organisations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.dependencies import SessionDep
from app.organisations import service
from app.organisations.dependencies import OrganisationDep
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationCreate, OrganisationRead, OrganisationUpdate
from app.paging import PagingDep, page
from app.records import WRITE
from app.schemas import CountryCode, Page

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.get("", response_model=Page[OrganisationRead], summary="List organisations")
async def list_organisations(
    session: SessionDep,
    paging: PagingDep,
    country: Annotated[CountryCode | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_organisations(
        session=session, paging=paging, country=country, kind=kind, q=q
    )
    return page(items, total, paging)


@router.post(
    "", dependencies=WRITE, response_model=OrganisationRead, status_code=status.HTTP_201_CREATED,
    summary="Create an organisation",
)
async def create_organisation(session: SessionDep, body: OrganisationCreate) -> Organisation:
    return await service.create(session=session, data=body)


@router.get("/{organisation_id}", response_model=OrganisationRead, summary="Read an organisation")
async def read_organisation(organisation: OrganisationDep) -> Organisation:
    return organisation


@router.patch(
    "/{organisation_id}", dependencies=WRITE, response_model=OrganisationRead,
    summary="Update an organisation",
)
async def update_organisation(
    session: SessionDep, organisation: OrganisationDep, body: OrganisationUpdate
) -> Organisation:
    return await service.update(session=session, organisation=organisation, data=body)


@router.delete(
    "/{organisation_id}", dependencies=WRITE, status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an organisation that hosts no mission",
)
async def delete_organisation(session: SessionDep, organisation: OrganisationDep) -> None:
    await service.delete(session=session, organisation=organisation)

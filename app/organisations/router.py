"""HTTP routes for organiser organisations: each user reads its own, admins manage them all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from app.audit.service import user_actor
from app.auth.dependencies import AdminUser, CurrentUser, require_role
from app.auth.models import User, UserRole
from app.dependencies import SessionDep
from app.organisations import service
from app.organisations.dependencies import get_organisation
from app.organisations.exceptions import OrganisationNotFound
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationCreate, OrganisationRead, OrganisationUpdate
from app.paging import PagingDep, page
from app.schemas import CountryCode, Page

router = APIRouter(prefix="/organisations", tags=["organisations"])

# Admins only; checked before the write lock and the row are taken.
ADMIN_WRITE = [Depends(require_role(UserRole.ADMIN))]


async def visible_organisation(
    organisation: Annotated[Organisation, Depends(get_organisation)], user: CurrentUser
) -> Organisation:
    """The path's organisation if the user may see it: an admin sees every one, anyone else
    only its own (another one answers 404, as if it did not exist)."""
    if user.role is not UserRole.ADMIN and organisation.id != user.organisation_id:
        raise OrganisationNotFound(organisation.id)
    return organisation


OrganisationDep = Annotated[Organisation, Depends(visible_organisation)]


def _everyone(user: User) -> bool:
    return user.role is UserRole.ADMIN


@router.get(
    "",
    response_model=Page[OrganisationRead],
    summary="List organisations (an admin sees all, anyone else its own)",
)
async def list_organisations(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    country: Annotated[CountryCode | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_organisations(
        session=session,
        paging=paging,
        country=country,
        kind=kind,
        q=q,
        only_id=user.organisation_id,
        everyone=_everyone(user),
    )
    return page(items, total, paging)


@router.post(
    "", dependencies=ADMIN_WRITE, response_model=OrganisationRead,
    status_code=status.HTTP_201_CREATED, summary="Create an organisation (admins)",
)
async def create_organisation(session: SessionDep, body: OrganisationCreate) -> Organisation:
    return await service.create(session=session, data=body)


@router.get("/{organisation_id}", response_model=OrganisationRead, summary="Read an organisation")
async def read_organisation(organisation: OrganisationDep) -> Organisation:
    return organisation


@router.patch(
    "/{organisation_id}", dependencies=ADMIN_WRITE, response_model=OrganisationRead,
    summary="Update an organisation (admins)",
)
async def update_organisation(
    session: SessionDep, admin: AdminUser, organisation: OrganisationDep, body: OrganisationUpdate
) -> Organisation:
    return await service.update(
        session=session, organisation=organisation, data=body, actor=user_actor(admin)
    )


@router.delete(
    "/{organisation_id}", dependencies=ADMIN_WRITE, status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an organisation that hosts no mission (admins)",
)
async def delete_organisation(
    session: SessionDep, admin: AdminUser, organisation: OrganisationDep
) -> None:
    await service.delete(session=session, organisation=organisation, actor=user_actor(admin))

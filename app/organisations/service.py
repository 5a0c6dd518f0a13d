"""Persistence of organiser organisations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.missions.models import Mission
from app.organisations.exceptions import OrganisationInUse, OrganisationNameTaken
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationCreate, OrganisationUpdate
from app.paging import Paging, fetch_page
from app.records import commit_or_raise


async def get(*, session: AsyncSession, organisation_id: int) -> Organisation | None:
    return await session.get(Organisation, organisation_id)


async def get_by_name(*, session: AsyncSession, name: str) -> Organisation | None:
    return await session.scalar(select(Organisation).where(Organisation.name == name))


async def list_organisations(
    *,
    session: AsyncSession,
    paging: Paging,
    country: str | None = None,
    kind: str | None = None,
    q: str | None = None,
) -> tuple[list[Organisation], int]:
    statement = select(Organisation).order_by(Organisation.id)
    if country is not None:
        statement = statement.where(Organisation.country == country.upper())
    if kind is not None:
        statement = statement.where(Organisation.kind == kind)
    if q:
        statement = statement.where(func.lower(Organisation.name).contains(q.lower()))
    return await fetch_page(session, statement, paging=paging)


async def create(*, session: AsyncSession, data: OrganisationCreate) -> Organisation:
    organisation = Organisation(**data.model_dump())
    session.add(organisation)
    await commit_or_raise(session, OrganisationNameTaken(data.name))
    return organisation


async def update(
    *, session: AsyncSession, organisation: Organisation, data: OrganisationUpdate
) -> Organisation:
    for field, value in data.changes().items():
        setattr(organisation, field, value)
    await commit_or_raise(session, OrganisationNameTaken(organisation.name))
    return organisation


async def delete(*, session: AsyncSession, organisation: Organisation) -> None:
    missions = await session.scalar(
        select(func.count()).where(Mission.organisation_id == organisation.id)
    )
    if missions:
        raise OrganisationInUse(organisation.id, missions)
    await session.delete(organisation)
    await session.commit()

"""Persistence of organiser organisations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import SYSTEM, changes, record
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
    only_id: int | None = None,
    everyone: bool = True,
) -> tuple[list[Organisation], int]:
    """Organisations by filter; unless `everyone`, only the one with id `only_id` (if any)."""
    statement = select(Organisation).order_by(Organisation.id)
    if not everyone:
        statement = statement.where(Organisation.id == only_id)
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


def _summary(organisation: Organisation) -> dict[str, object]:
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "country": organisation.country,
        "city": organisation.city,
    }


async def update(
    *,
    session: AsyncSession,
    organisation: Organisation,
    data: OrganisationUpdate,
    actor: str = SYSTEM,
) -> Organisation:
    before = _summary(organisation)
    for field, value in data.changes().items():
        setattr(organisation, field, value)
    old, new = changes(before, _summary(organisation))
    if new:
        await record(
            session,
            actor=actor,
            action="organisation.update",
            entity="organisation",
            entity_id=organisation.id,
            before=old,
            after=new,
        )
    await commit_or_raise(session, OrganisationNameTaken(organisation.name))
    return organisation


async def delete(
    *, session: AsyncSession, organisation: Organisation, actor: str = SYSTEM
) -> None:
    missions = await session.scalar(
        select(func.count()).where(Mission.organisation_id == organisation.id)
    )
    if missions:
        raise OrganisationInUse(organisation.id, missions)
    await record(
        session,
        actor=actor,
        action="organisation.delete",
        entity="organisation",
        entity_id=organisation.id,
        before=_summary(organisation),
    )
    await session.delete(organisation)
    await session.commit()

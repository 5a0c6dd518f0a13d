"""Load-or-404 dependencies for organisations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.dependencies import SessionDep
from app.organisations import service
from app.organisations.exceptions import OrganisationNotFound
from app.organisations.models import Organisation
from app.schemas import PathId


async def get_organisation(
    organisation_id: PathId, session: SessionDep
) -> Organisation:
    organisation = await service.get(session=session, organisation_id=organisation_id)
    if organisation is None:
        raise OrganisationNotFound(organisation_id)
    return organisation


OrganisationDep = Annotated[Organisation, Depends(get_organisation)]

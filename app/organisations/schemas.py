"""Request and response bodies for organiser organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from app.schemas import City, CountryCode, Name, ReadModel, StrictModel, UpdateModel

Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,39}$")]


class OrganisationCreate(StrictModel):
    name: Name
    kind: Kind = "district_office"
    country: CountryCode = "KR"
    city: City = ""


class OrganisationUpdate(UpdateModel):
    name: Name | None = None
    kind: Kind | None = None
    country: CountryCode | None = None
    city: City | None = None


class OrganisationRead(ReadModel):
    id: int
    name: str
    kind: str
    country: str
    city: str
    created_at: datetime

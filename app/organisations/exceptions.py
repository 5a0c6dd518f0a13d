"""Errors about organiser organisations."""

from app.errors import AppError, Conflict, NotFound


class OrganisationError(AppError):
    """Base of the errors raised by app.organisations."""


class OrganisationNotFound(OrganisationError, NotFound):
    def __init__(self, organisation_id: int) -> None:
        super().__init__(
            f"organisation {organisation_id} not found", organisation_id=organisation_id
        )


class OrganisationNameTaken(OrganisationError, Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"an organisation named {name!r} already exists", name=name)


class OrganisationInUse(OrganisationError, Conflict):
    def __init__(self, organisation_id: int, missions: int) -> None:
        super().__init__(
            f"organisation {organisation_id} still hosts {missions} mission(s); delete them first",
            organisation_id=organisation_id,
            missions=missions,
        )

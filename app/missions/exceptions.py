"""Errors about missions and venues."""

from __future__ import annotations

from app.errors import AppError, Conflict, InvalidRequest, NotFound


class MissionError(AppError):
    """Base of the errors raised by app.missions."""


class MissionNotFound(MissionError, NotFound):
    def __init__(self, mission_id: int) -> None:
        super().__init__(f"mission {mission_id} not found", mission_id=mission_id)


class VenueNotFound(MissionError, NotFound):
    def __init__(self, venue_id: int) -> None:
        super().__init__(f"venue {venue_id} not found", venue_id=venue_id)


class MissionNameTaken(MissionError, Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"the organisation already runs a mission named {name!r}", name=name)


class VenueNameTaken(MissionError, Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"the mission already has a venue named {name!r}", name=name)


class MissionDatesInvalid(MissionError, InvalidRequest):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="end_date")


class MissionInUse(MissionError, Conflict):
    def __init__(self, mission_id: int, records: dict[str, int]) -> None:
        held = ", ".join(f"{count} {kind}" for kind, count in records.items())
        super().__init__(
            f"mission {mission_id} still has {held}; set its status to 'cancelled' instead",
            mission_id=mission_id,
            records=records,
        )


class VenueInUse(MissionError, Conflict):
    def __init__(self, venue_id: int, meeting_ids: list[int]) -> None:
        super().__init__(
            f"venue {venue_id} is used by {len(meeting_ids)} meeting(s)",
            venue_id=venue_id,
            meeting_ids=meeting_ids,
        )

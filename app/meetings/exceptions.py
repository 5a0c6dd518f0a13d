"""Errors about meetings: unknown ids, refused requests and double bookings."""

from __future__ import annotations

from typing import Any

from app.errors import AppError, Conflict, InvalidRequest, NotFound


class MeetingError(AppError):
    """Base of the errors raised by app.meetings."""


class MeetingNotFound(MeetingError, NotFound):
    def __init__(self, meeting_id: int) -> None:
        super().__init__(f"meeting {meeting_id} not found", meeting_id=meeting_id)


class MeetingInvalid(MeetingError, InvalidRequest):
    """The meeting breaks a rule no other meeting is involved in (times, mission, languages)."""

    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)


class MeetingClash(MeetingError, Conflict):
    """A company, buyer, interpreter or venue would be in two overlapping meetings."""

    def __init__(self, clashes: list[dict[str, Any]]) -> None:
        described = "; ".join(
            f"{c['resource']} {c['resource_id']} is already in meeting {c['meeting_id']} "
            f"({c['starts_at']} to {c['ends_at']})"
            for c in clashes
        )
        super().__init__(f"double booking: {described}", clashes=clashes)


class MeetingStateConflict(MeetingError, Conflict):
    """What was asked does not fit the meeting's status (409 naming the status)."""

    def __init__(self, meeting_id: int, status: str, why: str) -> None:
        super().__init__(
            f"meeting {meeting_id} is {status}: {why}", meeting_id=meeting_id, status=str(status)
        )

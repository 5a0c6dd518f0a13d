"""Errors about companies, buyers and interpreters."""

from __future__ import annotations

from app.errors import AppError, Conflict, NotFound


class ParticipantError(AppError):
    """Base of the errors raised by app.participants."""


class ParticipantNotFound(ParticipantError, NotFound):
    def __init__(self, kind: str, participant_id: int) -> None:
        super().__init__(f"{kind} {participant_id} not found", **{f"{kind}_id": participant_id})


class ParticipantNameTaken(ParticipantError, Conflict):
    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"the mission already has a {kind} named {name!r}", name=name)


class ParticipantInUse(ParticipantError, Conflict):
    def __init__(self, kind: str, participant_id: int, meeting_ids: list[int]) -> None:
        super().__init__(
            f"{kind} {participant_id} is in {len(meeting_ids)} meeting(s); cancel those instead",
            **{f"{kind}_id": participant_id},
            meeting_ids=meeting_ids,
        )

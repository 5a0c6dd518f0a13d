"""Errors of recording outcomes, each mapped once to its HTTP status in app/errors.py."""

from __future__ import annotations

from typing import Any

from app.errors import AppError, Conflict, InvalidRequest, NotFound, PermissionDenied


class OutcomeError(AppError):
    """Base of the outcomes package's errors."""


class MeetingNotFound(OutcomeError, NotFound):
    def __init__(self, meeting_id: int) -> None:
        super().__init__(f"meeting {meeting_id} not found", meeting_id=meeting_id)


class MeetingNotHeld(OutcomeError, Conflict):
    """Outcomes are recorded for held consultations only."""

    def __init__(self, meeting_id: int, status: str) -> None:
        hint = {
            "no_show": "mark it held first if it did take place (POST "
            f"/api/v1/meetings/{meeting_id}/attendance)",
            "scheduled": "record the outcome once it has been held, or mark it held if it "
            f"took place elsewhere (POST /api/v1/meetings/{meeting_id}/attendance)",
            "live": "the company and the buyer have not met in its room yet",
            "cancelled": "a cancelled meeting has no outcome",
        }.get(str(status), "")
        super().__init__(
            f"meeting {meeting_id} is {status}: an outcome is recorded only for a held "
            f"(completed) meeting" + (f"; {hint}" if hint else ""),
            meeting_id=meeting_id,
            status=str(status),
        )


class OutcomeNotFound(OutcomeError, NotFound):
    def __init__(self, meeting_id: int, version: int | None = None) -> None:
        what = "no outcome" if version is None else f"no outcome version {version}"
        super().__init__(f"{what} recorded for meeting {meeting_id}", meeting_id=meeting_id)


class StaleVersion(OutcomeError, Conflict):
    """The edit was based on a version that is no longer current (someone edited meanwhile)."""

    def __init__(self, *, meeting_id: int, expected: int | None, current: dict[str, Any]) -> None:
        super().__init__(
            f"outcome of meeting {meeting_id} is at version {current['version']}"
            + ("" if expected is None else f", not {expected}")
            + ": reload it and apply your edit to the current version",
            meeting_id=meeting_id,
            expected_version=expected,
            current_version=current["version"],
            current=current,
        )


class MissionClosed(OutcomeError, PermissionDenied):
    def __init__(self, mission_id: int) -> None:
        super().__init__(
            f"mission {mission_id} is closed: only the organiser can amend its outcomes",
            mission_id=mission_id,
        )


class ReasonRequired(OutcomeError, InvalidRequest):
    def __init__(self, mission_id: int) -> None:
        super().__init__(
            f"mission {mission_id} is closed: an amendment needs a reason",
            field="reason",
            mission_id=mission_id,
        )

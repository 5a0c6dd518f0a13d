"""Errors of the follow-up package."""

from __future__ import annotations

from app.errors import AppError, NotFound


class FollowUpError(AppError):
    """Base of the follow-up package's errors."""


class FollowUpNotFound(FollowUpError, NotFound):
    def __init__(self, meeting_id: int) -> None:
        super().__init__(f"meeting {meeting_id} has no follow-up yet", meeting_id=meeting_id)

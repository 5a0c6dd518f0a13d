"""Errors of the scheduling API (the core's own errors are in `errors.py`)."""

from __future__ import annotations

from typing import Any

from app.errors import AppError, Conflict, InvalidRequest


class ScheduleApiError(AppError):
    """Base of the errors the scheduling API raises."""


class PlanIncomplete(ScheduleApiError, InvalidRequest):
    """The records do not say enough to schedule (a company's booth, a buyer's zone)."""


class StaleProposal(ScheduleApiError, Conflict):
    def __init__(self, sent: str, current: str) -> None:
        super().__init__(
            "the mission's requests, meetings or plans changed since this proposal was made; "
            "solve again",
            version=current,
            sent_version=sent,
        )


class ProposalInvalid(ScheduleApiError, InvalidRequest):
    """A posted proposal breaks the schedule's rules (edited, or made for other records)."""

    def __init__(self, message: str, violations: list[dict[str, Any]]) -> None:
        super().__init__(message, violations=violations)

"""Errors about matching: unknown or duplicate meeting requests and refused decisions."""

from __future__ import annotations

from app.errors import AppError, Conflict, NotFound


class MatchingError(AppError):
    """Base of the errors raised by app.matching."""


class RequestNotFound(MatchingError, NotFound):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"meeting request {request_id} not found", request_id=request_id)


class RequestExists(MatchingError, Conflict):
    def __init__(self, request_id: int) -> None:
        super().__init__(
            f"company and buyer already have meeting request {request_id}", request_id=request_id
        )


class DecisionRefused(MatchingError, Conflict):
    """The request's status does not allow that step (e.g. approving a declined request)."""

    def __init__(self, request_id: int, status: str, wanted: str) -> None:
        super().__init__(
            f"meeting request {request_id} is {status}; it cannot become {wanted}",
            request_id=request_id,
            status=status,
        )

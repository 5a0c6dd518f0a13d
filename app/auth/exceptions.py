"""Errors of console authentication and authorization."""

from __future__ import annotations

from app.errors import AppError, PermissionDenied


class NotAuthenticated(AppError):
    """No valid console session (missing, expired, idle too long or revoked)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("sign in first")


class SignInRefused(AppError):
    """Wrong email or password: one answer for both, so accounts cannot be guessed."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("email or password is wrong")


class SignInThrottled(AppError):
    """Too many failed sign-ins for this account or from this address within the window."""

    status_code = 429

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "too many failed sign-ins; try again later", retry_after_seconds=retry_after_seconds
        )


class CsrfRefused(PermissionDenied):
    def __init__(self) -> None:
        super().__init__("missing or wrong X-CSRF-Token header")


class RoleRequired(PermissionDenied):
    def __init__(self, roles: list[str]) -> None:
        super().__init__("your role may not do this", roles=roles)


class MissionWriteDenied(PermissionDenied):
    def __init__(self, mission_id: int) -> None:
        super().__init__("you may read this mission but not change it", mission_id=mission_id)


class UserEmailTaken(AppError):
    status_code = 409

    def __init__(self, email: str) -> None:
        super().__init__("a user with this email exists", email=email)

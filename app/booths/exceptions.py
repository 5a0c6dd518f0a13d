"""Errors of booth mode; each carries a `code` the kiosk shows a plain message for."""

from __future__ import annotations

from app.errors import AppError, InvalidRequest, NotFound, PermissionDenied


class BoothError(AppError):
    """Base of the errors raised by app.booths."""


class BoothLinkRefused(BoothError, PermissionDenied):
    """The kiosk's token does not admit (403); `code` says why."""

    code = "booth_link_invalid"
    text = "the booth link is not valid"

    def __init__(self, **details: object) -> None:
        super().__init__(self.text, code=self.code, **details)


class BoothLinkInvalid(BoothLinkRefused):
    code = "booth_link_invalid"
    text = "the booth link is not valid"


class BoothLinkExpired(BoothLinkRefused):
    code = "booth_link_expired"
    text = "the booth link has expired (the mission is over)"


class BoothLinkRevoked(BoothLinkRefused):
    code = "booth_link_revoked"
    text = "the booth link was revoked or replaced"


class NotThisBooth(BoothError, NotFound):
    def __init__(self, meeting_id: int) -> None:
        super().__init__(
            f"meeting {meeting_id} is not on this booth's agenda",
            code="not_this_booth",
            meeting_id=meeting_id,
        )


class BoothLinkMissing(BoothError, NotFound):
    def __init__(self, venue_id: int) -> None:
        super().__init__(f"venue {venue_id} has no booth link", venue_id=venue_id)


class BoothSideUnknown(BoothError, InvalidRequest):
    def __init__(self, venue_id: int) -> None:
        super().__init__(
            f"venue {venue_id} is a remote place: say which side its kiosk sits on (seat)",
            field="seat",
            venue_id=venue_id,
        )

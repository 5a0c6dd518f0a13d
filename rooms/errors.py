"""RoomError: every failure rooms/ reports on purpose, one class per thing that happened."""

from __future__ import annotations


class RoomError(Exception):
    """Base of rooms/ errors; `code` is the stable name clients see in `error` messages."""

    code = "room_error"

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.details = details


# Links ---------------------------------------------------------------------------------


class LinkError(RoomError):
    """The join link does not admit anyone."""

    code = "link_invalid"


class LinkInvalid(LinkError):
    """The join link is not one this service signed (forged, truncated or malformed)."""

    code = "link_invalid"


class LinkExpired(LinkError):
    """The join link has expired; ask the organiser for a new one."""

    code = "link_expired"


class LinkRevoked(LinkError):
    """The join link was re-issued or revoked by the organiser."""

    code = "link_revoked"


class LinkWrongMeeting(LinkError):
    """The join link belongs to another meeting."""

    code = "link_wrong_meeting"


# Room and seat state ---------------------------------------------------------------------


class MeetingNotOpen(RoomError):
    """The meeting's room is not open yet."""

    code = "meeting_not_open"


class MeetingOver(RoomError):
    """The meeting is over (ended, cancelled or closed by the organiser)."""

    code = "meeting_over"


class RoomClosed(MeetingOver):
    """The room closed while the seat was in it."""

    code = "room_closed"


class SeatTaken(RoomError):
    """Another device joined with the same link and took the seat over."""

    code = "seat_taken"


class SeatLeft(RoomError):
    """The seat is no longer in the room (left, or its grace period ran out)."""

    code = "seat_left"


class PermissionDenied(RoomError):
    """The seat may not do this (an observer publishing, for instance)."""

    code = "permission_denied"


class NotFound(RoomError):
    """The thing the request names does not exist in this room."""

    code = "not_found"


class InvalidState(RoomError):
    """The request does not fit the seat's current state (an answer with no offer pending)."""

    code = "invalid_state"


# Protocol ---------------------------------------------------------------------------------


class ProtocolError(RoomError):
    """The client broke the signalling protocol."""

    code = "protocol_error"


class MessageInvalid(ProtocolError):
    """The message is not valid JSON or not a message of the catalogue."""

    code = "invalid_message"


class TooManyInvalidMessages(ProtocolError):
    """Too many invalid messages in a row; the connection is dropped."""

    code = "too_many_invalid_messages"


class UnsupportedData(ProtocolError):
    """Binary frames are not part of the protocol."""

    code = "unsupported_data"


class JoinRequired(ProtocolError):
    """The first message must be `join`, sent within the join timeout."""

    code = "join_required"


class MessageTooBig(ProtocolError):
    """The message is larger than the signalling limit."""

    code = "message_too_big"


class TooManyMessages(ProtocolError):
    """The seat sent messages faster than the limit allows."""

    code = "too_many_messages"


class MediaFailed(RoomError):
    """The seat's media connection failed and was closed."""

    code = "media_failed"


class ServerShuttingDown(RoomError):
    """The service is shutting down; reconnect shortly."""

    code = "server_shutting_down"


# Placement (a cluster of nodes) ------------------------------------------------------------


class NoCapacity(RoomError):
    """Every node is at capacity: no new room can open now; try again after `retry_after`."""

    code = "no_capacity"

    def __init__(self, message: str = "", *, retry_after: int = 10, **details: object) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class RoomElsewhere(RoomError):
    """The meeting's room lives on another node: connect to `websocket_url` instead."""

    code = "room_elsewhere"

    def __init__(self, websocket_url: str, **details: object) -> None:
        super().__init__("", websocket_url=websocket_url, **details)
        self.websocket_url = websocket_url

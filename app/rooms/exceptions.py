"""The one mapping of RoomError to HTTP status codes and websocket close codes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rooms import errors as e

# Close codes of the seat websocket (docs/signalling.md lists the same table).
CLOSE_CODES: dict[type[e.RoomError], int] = {
    e.UnsupportedData: 1003,
    e.TooManyInvalidMessages: 1003,
    e.TooManyMessages: 1008,
    e.MessageTooBig: 1009,
    e.ServerShuttingDown: 1012,
    e.LinkInvalid: 4001,
    e.LinkExpired: 4002,
    e.LinkRevoked: 4003,
    e.LinkWrongMeeting: 4004,
    e.JoinRequired: 4005,
    e.SeatTaken: 4009,
    e.MeetingNotOpen: 4010,
    e.RoomClosed: 4012,
    e.MeetingOver: 4011,
    e.SeatLeft: 4013,
    e.MediaFailed: 4014,
    e.RoomElsewhere: 4015,
    e.NoCapacity: 1013,  # RFC 6455 "Try Again Later"
}
INTERNAL_ERROR_CLOSE_CODE = 1011

HTTP_STATUS: dict[type[e.RoomError], int] = {
    e.LinkError: 403,
    e.MeetingNotOpen: 409,
    e.MeetingOver: 409,
    e.PermissionDenied: 403,
    e.NotFound: 404,
    e.InvalidState: 409,
    e.ProtocolError: 400,
    e.ServerShuttingDown: 503,
    e.NoCapacity: 503,
    e.RoomElsewhere: 409,
}


def _lookup(table: dict[type[e.RoomError], int], error: e.RoomError) -> int | None:
    # The most specific class wins: walk the error's MRO.
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return None


def close_code(error: e.RoomError) -> int | None:
    """The close code for an error that ends the connection; None when a reply is enough."""
    return _lookup(CLOSE_CODES, error)


def http_status(error: e.RoomError) -> int:
    return _lookup(HTTP_STATUS, error) or 400


def install_room_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(e.RoomError)
    async def _room_error(_request: Request, exc: e.RoomError) -> JSONResponse:
        headers = {}
        if isinstance(exc, e.NoCapacity):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(
            status_code=http_status(exc),
            content={"detail": exc.message, "code": exc.code, **exc.details},
            headers=headers,
        )

"""The domain errors of app/ and their one mapping to HTTP status codes."""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}


class AppError(Exception):
    """Base of every error the HTTP API reports on purpose."""

    status_code = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    """The request clashes with saved state (a double booking, a stale version)."""

    status_code = 409


class InvalidRequest(AppError):
    status_code = 422


class PermissionDenied(AppError):
    status_code = 403


class ServiceUnavailable(AppError):
    status_code = 503


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached right now:
    refused or dropped connections, a server starting up or shutting down, a full pool.
    Errors in a statement itself (a constraint, bad SQL) are not: they stay 4xx/500."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(
            error, (sa_exc.TimeoutError, ConnectionError, TimeoutError, sa_exc.InterfaceError)
        ):
            return True
        if isinstance(error, OSError) and (
            isinstance(error, socket.gaierror) or error.errno in _NETWORK_ERRNOS
        ):  # refused, unreachable, reset; a missing file is not the database
            return True
        name = type(error).__name__
        if name in _UNAVAILABLE_DRIVER_ERRORS:
            return True
        sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate[:2] in ("08", "57"):
            # 08: connection exception; 57: operator intervention (shutdown, starting up).
            return True
        error = error.__cause__ or error.__context__
    return False


# asyncpg's names for a connection that is gone or not there yet (matched by name: the
# driver is optional on SQLite installs).
_UNAVAILABLE_DRIVER_ERRORS = {
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
    "ConnectionFailureError",
    "PostgresConnectionError",
    "AdminShutdownError",
    "CrashShutdownError",
}


def _unavailable_response() -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content={
            "detail": "the database is unavailable; retry shortly",
            "retry_after_seconds": DATABASE_RETRY_AFTER_SECONDS,
        },
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.message, **exc.details}
        )

    async def _database_error(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):
            logger.warning("%s %s: database unavailable: %r", request.method, request.url.path, exc)
            return _unavailable_response()
        raise exc  # a real bug: the server error handler reports it as a 500

    for error_type in (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError):
        app.add_exception_handler(error_type, _database_error)

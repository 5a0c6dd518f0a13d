"""The domain errors of app/ and their one mapping to HTTP status codes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.message, **exc.details}
        )

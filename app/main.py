"""The FastAPI application factory and its lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.booths.runtime import start_booths, stop_booths
from app.clock import SYSTEM_CLOCK, ClockMiddleware, using
from app.database import (
    READ_ONLY,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
)
from app.errors import install_error_handlers
from app.ratelimit import ApiRateLimiter, LimitsMiddleware
from app.rooms.exceptions import install_room_error_handlers
from app.rooms.runtime import start_rooms, stop_rooms
from app.secret import with_secret_key
from app.settings import Settings
from rooms.clock import Clock

logger = logging.getLogger(__name__)

# What any API route may answer from the edge (app/ratelimit.py, app/errors.py).
EDGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "Request body larger than TRADEBOOTH_MAX_REQUEST_BODY_BYTES"},
    429: {"description": "Too many requests from this client address; see Retry-After"},
    503: {"description": "The database is unavailable; see Retry-After"},
}


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The service. `clock` is where every "now" comes from (default: the system's)."""
    settings = with_secret_key(settings or Settings())
    clock = clock or SYSTEM_CLOCK

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with using(clock):  # the background jobs started here inherit it
            engine = create_engine(settings.database_url)
            app.state.engine = engine
            app.state.sessionmaker = create_sessionmaker(engine)
            app.state.read_sessionmaker = create_read_sessionmaker(engine)
            await start_rooms(app, settings)
            await start_booths(app, settings)
        try:
            yield
        finally:
            with using(clock):
                await stop_booths(app)
                await stop_rooms(app)
            await engine.dispose()

    app = FastAPI(
        title="TradeBooth",
        version="0.1.0",
        summary="Remote trade missions: video export consultations with interpretation.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.api_rate_limiter = ApiRateLimiter(
        settings.api_rate_per_second, settings.api_rate_burst
    )
    app.add_middleware(LimitsMiddleware, max_body_bytes=settings.max_request_body_bytes)
    app.add_middleware(ClockMiddleware, clock=clock)
    install_error_handlers(app)
    install_room_error_handlers(app)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="The database answers")
    async def readyz() -> JSONResponse:
        try:
            reading = app.state.engine.execution_options(**{READ_ONLY: True})
            async with reading.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not ready", reported as such
            logger.warning("readiness check failed: %s", exc)
            return JSONResponse(
                status_code=503, content={"status": "unavailable", "detail": "database unreachable"}
            )
        return JSONResponse({"status": "ok"})

    from app.api import api_router

    app.include_router(api_router, prefix="/api/v1", responses=EDGE_RESPONSES)
    from app.rooms.router import router as rooms_router
    from app.rooms.ws import ws_router

    app.include_router(rooms_router, prefix="/api/v1", responses=EDGE_RESPONSES)
    app.include_router(ws_router)
    from app.booths.router import router as booths_router

    app.include_router(booths_router, prefix="/api/v1", responses=EDGE_RESPONSES)

    from app.cluster.metrics import install_metrics

    install_metrics(app)
    from app.pages import install_pages

    install_pages(app)
    from app.pages.kiosk import router as kiosk_pages

    app.include_router(kiosk_pages)
    return app

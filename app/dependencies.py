"""Dependencies shared by the routers: the database session and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.types import Scope

from app.settings import Settings

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# `openapi_extra` of a route whose method is not GET but that writes nothing (a solve, a
# preview): it gets a reading session, so a long computation holds no write lock.
READS_ONLY: dict[str, Any] = {"x-reads-only": True}


def reads_only(scope: Scope) -> bool:
    if scope.get("method") in READING_METHODS:
        return True
    extra = getattr(scope.get("route"), "openapi_extra", None) or {}
    return bool(extra.get("x-reads-only"))


async def get_session(connection: HTTPConnection) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: reading for GET/HEAD/OPTIONS and routes marked
    `READS_ONLY`, writing for the rest (on SQLite it then holds the write lock from its
    start; app/database.py)."""
    state = connection.app.state
    reads = reads_only(connection.scope)
    async with (state.read_sessionmaker if reads else state.sessionmaker)() as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

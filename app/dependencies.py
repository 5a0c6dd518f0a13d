"""Dependencies shared by the routers: the database session and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from app.settings import Settings

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(connection: HTTPConnection) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: reading for GET/HEAD/OPTIONS, writing for the rest
    (on SQLite it then holds the write lock from its start; app/database.py)."""
    state = connection.app.state
    reads = connection.scope.get("method") in READING_METHODS
    async with (state.read_sessionmaker if reads else state.sessionmaker)() as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

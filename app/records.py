"""Persistence helpers shared by the record services."""

from __future__ import annotations

from fastapi import Depends
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import SessionDep
from app.errors import AppError


async def commit_or_raise(session: AsyncSession, conflict: AppError) -> None:
    """Commit; a unique-constraint violation rolls back and raises `conflict` instead."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise conflict from exc


async def claim_write_lock(session: AsyncSession) -> None:
    """On SQLite, take the database's write lock now, waiting for it if need be.

    SQLite lets a transaction that has read turn into a writer only if no one else is
    writing, and fails at once otherwise ("database is locked", no waiting): two requests
    that each read then write would fail instead of queueing. Writing first makes the
    transaction wait its turn (busy timeout) instead. A statement that changes no row is
    enough. PostgreSQL locks rows instead (see the services); nothing to do there.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("UPDATE organisations SET id = id WHERE 1 = 0"))


async def _write_transaction(session: SessionDep) -> None:
    await claim_write_lock(session)


# A route that writes lists this first, so the lock comes before the route loads anything.
WRITE = [Depends(_write_transaction)]

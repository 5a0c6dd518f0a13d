"""Persistence helpers shared by the record services."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError


async def commit_or_raise(session: AsyncSession, conflict: AppError) -> None:
    """Commit; a unique-constraint violation rolls back and raises `conflict` instead."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise conflict from exc

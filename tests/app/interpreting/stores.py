"""The room's database store for tests whose rows must roll back with the test."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.rooms.service import DatabaseRoomStore


def store_on(session: AsyncSession) -> DatabaseRoomStore:
    """The room's store, its sessions joining the test's rolled-back transaction."""
    return DatabaseRoomStore(
        async_sessionmaker(
            bind=session.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
    )

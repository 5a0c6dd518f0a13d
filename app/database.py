"""Async SQLAlchemy engine, the declarative base and the two kinds of session.

Writers wait their turn instead of failing. PostgreSQL locks rows, so any transaction may
write. SQLite has one writer at a time, and a transaction that has read can become the
writer only if nobody else is writing: otherwise it fails at once ("database is locked"),
busy timeout or not. So on SQLite a unit of work that may write begins with
`BEGIN IMMEDIATE` (the write lock first, waiting up to the busy timeout for it), and only
units that only read begin a plain, deferred transaction; WAL mode lets those readers run
beside the writer. `create_sessionmaker` makes writing sessions; `create_read_sessionmaker`
reading ones (the HTTP API gives one to GET requests, app/dependencies.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import DateTime, TypeDecorator
from sqlalchemy.util import await_only

from app import clock

CONNECT_TIMEOUT_SECONDS = 5
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Execution option of the engine behind reading sessions: their SQLite transactions defer.
READ_ONLY = "tradebooth_read_only"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, by the service's clock (app/clock.py): column defaults and stamps use it."""
    return clock.now()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets its folder, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    else:
        # A pooled connection that died with the server is replaced on checkout; a server
        # that does not answer fails a request in seconds (503, app/errors.py), not minutes.
        kwargs.setdefault("pool_pre_ping", True)
        if "poolclass" not in kwargs:  # NullPool (migrations) takes no pool_timeout
            kwargs.setdefault("pool_timeout", CONNECT_TIMEOUT_SECONDS * 2)
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "asyncpg":
            kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                # Readers never wait for the writer; NORMAL is durable enough in WAL mode
                # (a power cut may lose the last commits, never corrupts).
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        gate = _WriteGate(SQLITE_BUSY_TIMEOUT_SECONDS)
        _GATES[engine.sync_engine] = gate

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("BEGIN")
                return
            gate.enter(connection.info)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                gate.leave(connection.info)
                raise

        @event.listens_for(engine.sync_engine, "commit")
        @event.listens_for(engine.sync_engine, "rollback")
        def _sqlite_end(connection: Any) -> None:
            gate.leave(connection.info)

        @event.listens_for(engine.sync_engine.pool, "checkin")
        def _sqlite_checkin(_dbapi_connection: Any, record: Any) -> None:
            if record is not None:  # a connection given back in a transaction still held it
                gate.leave(record.info)

    return engine


class _WriteGate:
    """The writers of this process take turns first come, first served (SQLite).

    SQLite's own wait for its write lock is a busy handler that sleeps and retries: under a
    crowd of writers the lock is often free while they sleep, and the unlucky ones starve
    past the busy timeout ("database is locked"). Queuing the process's writers here hands
    the lock on at once and in order; SQLite's busy wait is left for other processes. Entered
    at BEGIN IMMEDIATE (inside SQLAlchemy's greenlet, so it may await), left at COMMIT or
    ROLLBACK, or when a connection goes back to the pool still in a transaction.
    """

    _HOLDS = "tradebooth_holds_write_gate"

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self.waiting = 0  # writers queued for their turn (for tests and metrics)
        # asyncio locks belong to one event loop; an engine may serve several (tests).
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if (lock := self._locks.get(loop)) is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def enter(self, info: dict[str, Any]) -> None:
        lock = self._lock()
        self.waiting += 1
        try:
            await_only(asyncio.wait_for(lock.acquire(), self._timeout))
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked: no turn to write within {self._timeout:g} s"
            ) from None
        finally:
            self.waiting -= 1
        info[self._HOLDS] = lock

    def leave(self, info: dict[str, Any]) -> None:
        lock = info.pop(self._HOLDS, None)
        if lock is not None:
            lock.release()


_GATES: weakref.WeakKeyDictionary[Any, _WriteGate] = weakref.WeakKeyDictionary()


def writers_waiting(engine: AsyncEngine) -> int:
    """Units of work of this process queued for their turn to write (SQLite; else 0)."""
    gate = _GATES.get(engine.sync_engine)
    return gate.waiting if gate is not None else 0


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work that may write (on SQLite: BEGIN IMMEDIATE)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work that only read (on SQLite: a deferred BEGIN, beside the
    writer in WAL mode). A write in one may fail on SQLite while another unit writes."""
    return async_sessionmaker(
        engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
    )


async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session

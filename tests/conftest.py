"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is the server at TRADEBOOTH_TEST_POSTGRES_URL (default: postgres on 127.0.0.1:5432,
trust auth). Each run creates a fresh database and drops it afterwards. Tests never skip when
it is missing: they fail and say so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.models import UserRole
from app.clock import tolerate_libfaketime
from app.database import create_engine, create_sessionmaker
from app.dependencies import get_session
from app.main import create_app
from app.migrations import upgrade
from app.settings import Settings
from tests import principals

T = TypeVar("T")


tolerate_libfaketime()  # the suite runs under faketime too (README)


def without_libfaketime() -> dict[str, str]:
    """This process's environment without libfaketime, for a child that must not run under
    it (Chromium does not load pages there) or that starts it afresh."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FAKETIME") and not (key == "LD_PRELOAD" and "faketime" in value)
    }

POSTGRES_ADMIN_URL = os.environ.get(
    "TRADEBOOTH_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def _off_loop(function: Callable[..., T], *args: Any) -> T:
    """Call `function` where it may start an event loop of its own.

    These helpers (and Alembic's env) call asyncio.run, which refuses to run in a thread
    with a loop running, and Playwright's sync API keeps one running in the main thread once
    a browser test has started: a database first needed after that is made in a thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def migrate(url: str) -> None:
    """Bring the database at `url` to the models' schema (Alembic upgrade head)."""
    _off_loop(upgrade, url)


async def _admin_execute(sql: str) -> None:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(sql)
    finally:
        await engine.dispose()


def create_postgres_database() -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    name = f"tradebooth_test_{uuid.uuid4().hex[:12]}"
    try:
        _off_loop(asyncio.run, _admin_execute(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise RuntimeError(
            f"PostgreSQL is needed for the database tests and did not answer at "
            f"{POSTGRES_ADMIN_URL} ({exc}). Start it (scripts/services) or set "
            f"TRADEBOOTH_TEST_POSTGRES_URL."
        ) from exc
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    _off_loop(asyncio.run, _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def create_sqlite_database(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / f'tradebooth-{uuid.uuid4().hex[:8]}.db'}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = create_postgres_database()
    migrate(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = create_sqlite_database(tmp_path_factory.mktemp("sqlite"))
    migrate(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own, on each backend: for tests that really commit
    (concurrency, races), where the shared rolled-back session would hide what they check."""
    if request.param == "sqlite":
        url = create_sqlite_database(tmp_path)
        migrate(url)
        yield url
        return
    url = create_postgres_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
async def sessions(fresh_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A sessionmaker on the test's own committed database."""
    engine = create_engine(fresh_database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated database; each test using it runs once per backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test.

    Service code may commit: with `create_savepoint` a commit only releases a savepoint.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(environment="test", database_url=database_url)


@contextlib.asynccontextmanager
async def app_client(
    settings: Settings, session: AsyncSession, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real app whose requests share the test's rolled-back session."""
    app = create_app(settings)

    async def _session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = _session
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            yield client


@pytest.fixture
async def client(settings: Settings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as an admin (session cookie, and the CSRF header the console sends on
    writes): for tests of what the API does, not of who may do it."""
    headers = await principals.admin_headers(session, settings)
    async with app_client(settings, session, headers) as client:
        yield client


@pytest.fixture
async def anonymous_client(
    settings: Settings, session: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    """Signed out: pass `headers=` per request (tests/principals.py) to act as someone."""
    async with app_client(settings, session) as client:
        yield client


SignIn = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def sign_in_as(settings: Settings, session: AsyncSession) -> SignIn:
    """`await sign_in_as(UserRole.VIEWER, organisation_id=..., mission_ids=[...])`: the
    headers of a new user of that role with a live session, to pass per request (a seat's
    are `principals.seat_headers(token)`)."""

    async def _sign_in(
        role: UserRole, *, organisation_id: int | None = None, mission_ids: list[int] | None = None
    ) -> dict[str, str]:
        who = await principals.user(
            session, role=role, organisation_id=organisation_id, mission_ids=mission_ids
        )
        return await principals.headers(session, settings, who)

    return _sign_in

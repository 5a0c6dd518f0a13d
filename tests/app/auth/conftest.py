"""An app whose authentication clock the test moves, and users to sign in as."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service
from app.auth.dependencies import get_now
from app.auth.models import User, UserRole
from app.auth.passwords import use_hasher
from app.dependencies import get_session
from app.main import create_app
from app.settings import Settings
from tests import factories

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Argon2id with small parameters: the sign-in tests are about the flow, not the cost
    (tests/app/auth/test_passwords.py checks the real parameters)."""
    previous = use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    use_hasher(previous)


@dataclass
class ManualClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 10, 0, 0, tzinfo=UTC))

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def auth_settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        sign_in_max_failures=3,
        sign_in_max_failures_per_ip=6,
        sign_in_window_minutes=15,
        session_hours=8,
        session_idle_minutes=30,
    )


AppFactory = Callable[[FastAPI], None]


@pytest.fixture
def extra_routes() -> list[AppFactory]:
    """Tests append functions that add routes to the app before it starts."""
    return []


@pytest.fixture
async def auth_client(
    auth_settings: Settings,
    session: AsyncSession,
    clock: ManualClock,
    extra_routes: list[AppFactory],
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(auth_settings)
    for add in extra_routes:
        add(app)

    async def _session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = _session
    app.dependency_overrides[get_now] = lambda: clock.now
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def make_user(
    session: AsyncSession,
    *,
    role: UserRole = UserRole.ORGANISER,
    organisation_id: int | None = None,
    mission_ids: list[int] | None = None,
    email: str | None = None,
) -> User:
    if role is not UserRole.ADMIN and organisation_id is None:
        organisation_id = (await factories.organisation(session)).id
    return await service.create_user(
        session=session,
        email=email or f"user{next(_numbers)}@example.org",
        name="Test User",
        password=PASSWORD,
        role=role,
        organisation_id=organisation_id,
        mission_ids=mission_ids,
    )


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Sign in; returns the CSRF token (the cookies stay in the client)."""
    response = await client.post(
        "/api/v1/auth/sign-in", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])

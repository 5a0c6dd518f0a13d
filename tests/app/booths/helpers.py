"""Booth-mode test helpers: a console admin that signs in, a mission running today."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User, UserRole
from app.missions.models import Mission, Venue, VenueKind
from tests import factories

PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    # Cheap Argon2 parameters: these tests are about booths, not the hashing cost.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


async def admin(session: AsyncSession) -> User:
    user = User(
        email=f"booths-{uuid.uuid4().hex[:8]}@tradebooth.test",
        name="Booth organiser",
        password_hash=_password_hash(),
        role=UserRole.ADMIN,
        active=True,
    )
    session.add(user)
    await session.commit()
    return user


async def sign_in(client: httpx.AsyncClient, user: User) -> dict[str, str]:
    """Sign `user` in on `client` (its cookie jar keeps the session); the CSRF header to send."""
    response = await client.post(
        "/api/v1/auth/sign-in", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def mission_today(session: AsyncSession, **overrides: Any) -> Mission:
    """A mission from yesterday to tomorrow, so booth links (valid to its end) admit now."""
    today = datetime.now(UTC).date()
    fields: dict[str, Any] = {
        "start_date": today - timedelta(days=1),
        "end_date": today + timedelta(days=1),
    }
    return await factories.mission(session, **fields | overrides)


async def booth(session: AsyncSession, mission: Mission, **overrides: Any) -> Venue:
    return await factories.venue(session, mission_=mission, **overrides)


async def centre(session: AsyncSession, mission: Mission) -> Venue:
    return await factories.venue(
        session,
        mission_=mission,
        name=f"KBC Jakarta {uuid.uuid4().hex[:6]}",
        kind=VenueKind.BUSINESS_CENTRE,
        city="Jakarta",
        country="ID",
        timezone="Asia/Jakarta",
    )


def kiosk(token: str) -> dict[str, str]:
    return {"X-Booth-Token": token}

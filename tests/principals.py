"""Who a test's requests come from: console users with a live session, and seat links.

Users get a password hashed once per run with cheap Argon2 parameters (verification reads the
parameters from the hash, so signing in with `PASSWORD` works); their sessions are real
`auth_sessions` rows made by `app.auth.service.start_session`, so a test does not pay a
password hash per sign-in. `headers` gives what a browser would send: the cookies, and the
CSRF token the console's script echoes on writes.
"""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CSRF_HEADER, csrf_cookie_name, session_cookie_name
from app.auth.models import User, UserMission, UserRole
from app.auth.service import SignedIn, start_session
from app.settings import Settings

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@functools.cache
def password_hash() -> str:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


async def user(
    session: AsyncSession,
    *,
    role: UserRole = UserRole.ADMIN,
    organisation_id: int | None = None,
    mission_ids: list[int] | None = None,
    email: str | None = None,
) -> User:
    """A committed user of `role` (an organiser or viewer needs `organisation_id`)."""
    row = User(
        email=email or f"{role.value}{next(_numbers)}@tradebooth.test",
        name=f"Test {role.value}",
        password_hash=password_hash(),
        role=role,
        organisation_id=organisation_id,
        active=True,
    )
    session.add(row)
    await session.flush()
    for mission_id in mission_ids or []:
        session.add(UserMission(user_id=row.id, mission_id=mission_id))
    await session.commit()
    return row


async def signed_in(session: AsyncSession, settings: Settings, who: User) -> SignedIn:
    """A new live session of `who` (its cookie token and CSRF token)."""
    signed = start_session(
        session=session,
        settings=settings,
        user=who,
        client_ip="127.0.0.1",
        user_agent="tests",
        now=datetime.now(UTC),
    )
    await session.commit()
    return signed


def cookies(settings: Settings, signed: SignedIn) -> dict[str, str]:
    """The two cookies a browser holds after signing in."""
    return {
        session_cookie_name(settings): signed.token,
        csrf_cookie_name(settings): signed.csrf_token,
    }


async def headers(session: AsyncSession, settings: Settings, who: User) -> dict[str, str]:
    """Cookie and CSRF headers of a new live session of `who`."""
    signed = await signed_in(session, settings, who)
    jar = "; ".join(f"{name}={value}" for name, value in cookies(settings, signed).items())
    return {"Cookie": jar, CSRF_HEADER: signed.csrf_token}


async def admin_headers(session: AsyncSession, settings: Settings) -> dict[str, str]:
    return await headers(session, settings, await user(session, role=UserRole.ADMIN))


def seat_headers(token: str) -> dict[str, str]:
    """How a seat's page presents its link to the outcome form's API."""
    return {"Authorization": f"Bearer {token}"}

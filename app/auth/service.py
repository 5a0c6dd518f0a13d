"""Users, sign-in with throttling, sessions and what a user may see."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.audit.service import record, user_actor
from app.auth.exceptions import SignInRefused, SignInThrottled, UserEmailTaken
from app.auth.models import AuthSession, SignInFailure, User, UserMission, UserRole
from app.auth.passwords import hash_password_async, verify_password_async
from app.missions.models import Mission
from app.records import commit_or_raise
from app.settings import Settings

# A session is touched (last_seen_at written) at most this often.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    token: str  # goes into the HttpOnly cookie; never stored
    csrf_token: str
    expires_at: datetime


def normalise_email(email: str) -> str:
    return email.strip().lower()


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    *,
    session: AsyncSession,
    email: str,
    name: str,
    password: str,
    role: UserRole,
    organisation_id: int | None = None,
    mission_ids: list[int] | None = None,
) -> User:
    if role is not UserRole.ADMIN and organisation_id is None:
        raise ValueError(f"a {role.value} belongs to an organisation")
    user = User(
        email=normalise_email(email),
        name=name,
        password_hash=await hash_password_async(password),
        role=role,
        organisation_id=organisation_id,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise UserEmailTaken(user.email) from exc
    for mission_id in mission_ids or []:
        session.add(UserMission(user_id=user.id, mission_id=mission_id))
    await commit_or_raise(session, UserEmailTaken(user.email))
    return user


async def get_by_email(*, session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalise_email(email)))


async def _failures_since(
    session: AsyncSession, column: InstrumentedAttribute[str], value: str, since: datetime
) -> tuple[int, datetime | None]:
    row = (
        await session.execute(
            select(func.count(), func.min(SignInFailure.at)).where(
                column == value, SignInFailure.at > since
            )
        )
    ).one()
    return int(row[0]), row[1]


async def check_throttle(
    *, session: AsyncSession, settings: Settings, email: str, client_ip: str, now: datetime
) -> None:
    """Refuse before looking at the password when the account or the address is locked.

    A refused attempt is not counted again, so a lock ends one window after the failures
    that caused it, whatever an attacker keeps trying meanwhile.
    """
    window = timedelta(minutes=settings.sign_in_window_minutes)
    since = now - window
    for column, value, limit in (
        (SignInFailure.client_ip, client_ip, settings.sign_in_max_failures_per_ip),
        (SignInFailure.email, email, settings.sign_in_max_failures),
    ):
        count, oldest = await _failures_since(session, column, value, since)
        if count >= limit and oldest is not None:
            retry = (oldest + window - now).total_seconds()
            raise SignInThrottled(retry_after_seconds=max(1, int(retry) + 1))


async def sign_in(
    *,
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    client_ip: str,
    user_agent: str,
    now: datetime,
) -> SignedIn:
    email = normalise_email(email)
    await check_throttle(
        session=session, settings=settings, email=email, client_ip=client_ip, now=now
    )
    user = await get_by_email(session=session, email=email)
    known = user is not None and user.active
    matches = await verify_password_async(user.password_hash if known and user else None, password)
    if user is None or not known or not matches:
        session.add(SignInFailure(at=now, email=email, client_ip=client_ip))
        await record(
            session,
            actor=f"anonymous@{client_ip}",
            action="auth.sign_in_failed",
            entity="user",
            entity_id=user.id if user else None,
            at=now,
        )
        await session.commit()
        raise SignInRefused()
    await session.execute(delete(SignInFailure).where(SignInFailure.email == email))
    signed = start_session(
        session=session,
        settings=settings,
        user=user,
        client_ip=client_ip,
        user_agent=user_agent,
        now=now,
    )
    await record(
        session,
        actor=user_actor(user),
        action="auth.sign_in",
        entity="user",
        entity_id=user.id,
        after={"client_ip": client_ip},
        at=now,
    )
    await session.commit()
    return signed


def start_session(
    *,
    session: AsyncSession,
    settings: Settings,
    user: User,
    client_ip: str,
    user_agent: str,
    now: datetime,
) -> SignedIn:
    """Add a new session row for `user` (the caller commits); the password is checked first."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=settings.session_hours)
    session.add(
        AuthSession(
            id=token_id(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            client_ip=client_ip[:45],
            user_agent=user_agent[:200],
        )
    )
    return SignedIn(user=user, token=token, csrf_token=csrf, expires_at=expires_at)


async def session_for_token(
    *, session: AsyncSession, settings: Settings, token: str, now: datetime
) -> tuple[AuthSession, User] | None:
    """The live session and its user for a cookie token; None if unknown or over."""
    row = await session.get(AuthSession, token_id(token))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    if now - row.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        return None
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        try:
            await session.commit()
        except OperationalError:
            # SQLite refuses a reader turning writer while another writes (no waiting): the
            # touch is best effort, the next request makes it.
            await session.rollback()
            await session.refresh(row)
            await session.refresh(user)
    return row, user


def csrf_matches(row: AuthSession, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(
        row.csrf_token.encode(), presented.encode()
    )


async def sign_out(*, session: AsyncSession, row: AuthSession, user: User, now: datetime) -> None:
    row.revoked_at = now
    await record(
        session,
        actor=user_actor(user),
        action="auth.sign_out",
        entity="user",
        entity_id=user.id,
        at=now,
    )
    await session.commit()


async def revoke_all_sessions(*, session: AsyncSession, user_id: int, now: datetime) -> int:
    """End every live session of a user (password change, deactivation)."""
    rows = (
        await session.scalars(
            select(AuthSession).where(
                AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
            )
        )
    ).all()
    for row in rows:
        row.revoked_at = now
    await session.commit()
    return len(rows)


async def organised_mission_ids(*, session: AsyncSession, user: User) -> set[int]:
    return set(
        (
            await session.scalars(
                select(UserMission.mission_id).where(UserMission.user_id == user.id)
            )
        ).all()
    )


def visible_missions_query(user: User) -> Select[Mission]:
    """Missions `user` may read: all for an admin, their organisation's for everyone else."""
    statement = select(Mission).order_by(Mission.start_date.desc(), Mission.id)
    if user.role is UserRole.ADMIN:
        return statement
    if user.organisation_id is None:
        return statement.where(Mission.id.is_(None))  # nothing
    return statement.where(Mission.organisation_id == user.organisation_id)


async def visible_missions(*, session: AsyncSession, user: User) -> list[Mission]:
    return list((await session.scalars(visible_missions_query(user))).all())


def can_read_mission(*, user: User, mission: Mission) -> bool:
    return user.role is UserRole.ADMIN or (
        user.organisation_id is not None and mission.organisation_id == user.organisation_id
    )


async def can_change_mission(*, session: AsyncSession, user: User, mission: Mission) -> bool:
    if user.role is UserRole.ADMIN:
        return True
    if user.role is not UserRole.ORGANISER:
        return False
    if not can_read_mission(user=user, mission=mission):
        return False
    return mission.id in await organised_mission_ids(session=session, user=user)


DEMO_ADMIN_EMAIL = "demo-admin@tradebooth.example"


async def reset_demo_admin(*, session: AsyncSession, password: str, now: datetime) -> User:
    """The demo's admin account with a new password (created if missing); its earlier
    sessions end. For `python -m app`'s demo only, never in production (see app/__main__.py)."""
    user = await get_by_email(session=session, email=DEMO_ADMIN_EMAIL)
    password_hash = await hash_password_async(password)
    if user is None:
        user = User(
            email=DEMO_ADMIN_EMAIL,
            name="Demo admin",
            password_hash=password_hash,
            role=UserRole.ADMIN,
            organisation_id=None,
        )
        session.add(user)
        await session.flush()
    else:
        user.password_hash = password_hash
        user.active = True
        user.role = UserRole.ADMIN
    await session.execute(delete(SignInFailure).where(SignInFailure.email == DEMO_ADMIN_EMAIL))
    await record(
        session,
        actor="system",
        action="auth.demo_admin_reset",
        entity="user",
        entity_id=user.id,
        at=now,
    )
    await session.commit()
    await revoke_all_sessions(session=session, user_id=user.id, now=now)
    return user

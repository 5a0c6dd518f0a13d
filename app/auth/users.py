"""Managing console users (admins): invite by one-time link, change role, deactivate.

There is no mail server in the product: inviting someone makes the user (without a
password) and a link the admin passes on; opening it lets the invitee choose a password,
which signs them in. The link works once, for INVITATION_DAYS days; issuing a new one ends
the old. A deactivated user's sessions end at once and they cannot sign in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.exceptions import UserEmailTaken
from app.auth.models import Invitation, User, UserMission, UserRole
from app.auth.passwords import hash_password_async
from app.auth.service import normalise_email, revoke_all_sessions, token_id
from app.errors import AppError, Conflict, InvalidRequest, NotFound
from app.missions.models import Mission
from app.organisations.models import Organisation

INVITATION_DAYS = 7
# Not an Argon2 hash: no password matches it, so an invited user cannot sign in yet.
NO_PASSWORD = "!"


class UserNotFound(NotFound):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} not found", user_id=user_id)


class InvitationInvalid(AppError):
    """An invitation link that is unknown, used, replaced or expired."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__("this invitation link is not valid any more; ask for a new one")


class LastAdmin(Conflict):
    def __init__(self) -> None:
        super().__init__("the organisation would be left without an active admin")


@dataclass(frozen=True, slots=True)
class Invited:
    user: User
    token: str  # goes into the link; never stored
    expires_at: datetime


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD


async def mission_ids_of(*, session: AsyncSession, user_ids: list[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        select(UserMission.user_id, UserMission.mission_id)
        .where(UserMission.user_id.in_(user_ids))
        .order_by(UserMission.mission_id)
    )
    found: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
    for user_id, mission_id in rows:
        found[user_id].append(mission_id)
    return found


async def list_users(*, session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.active.desc(), User.email)))


async def pending_invitations(
    *, session: AsyncSession, now: datetime
) -> dict[int, datetime]:
    """Users with a live invitation, and when it expires."""
    rows = await session.execute(
        select(Invitation.user_id, Invitation.expires_at).where(
            Invitation.used_at.is_(None), Invitation.expires_at > now
        )
    )
    return {user_id: expires_at for user_id, expires_at in rows}


async def _check_placement(
    session: AsyncSession, role: UserRole, organisation_id: int | None, mission_ids: list[int]
) -> None:
    """An organiser or viewer belongs to an existing organisation; the missions an
    organiser organises are that organisation's."""
    if role is UserRole.ADMIN:
        return
    if organisation_id is None or await session.get(Organisation, organisation_id) is None:
        raise InvalidRequest(
            f"a {role.value} belongs to an organisation: choose one", field="organisation_id"
        )
    if mission_ids:
        owners = set(
            await session.scalars(
                select(Mission.organisation_id).where(Mission.id.in_(mission_ids))
            )
        )
        found = await session.scalar(
            select(func.count()).select_from(Mission).where(Mission.id.in_(mission_ids))
        )
        if found != len(set(mission_ids)) or owners - {organisation_id}:
            raise InvalidRequest(
                "an organiser organises missions of their own organisation only",
                field="mission_ids",
            )


async def _set_missions(session: AsyncSession, user: User, mission_ids: list[int]) -> None:
    await session.execute(delete(UserMission).where(UserMission.user_id == user.id))
    for mission_id in sorted(set(mission_ids)):
        session.add(UserMission(user_id=user.id, mission_id=mission_id))


def _new_invitation(user: User, actor: str, now: datetime) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    row = Invitation(
        id=token_id(token),
        user_id=user.id,
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    return row, token


async def invite(
    *,
    session: AsyncSession,
    email: str,
    name: str,
    role: UserRole,
    organisation_id: int | None,
    mission_ids: list[int],
    actor: str,
    now: datetime,
) -> Invited:
    """A new user without a password, and the link to set one."""
    if role is UserRole.ADMIN:
        organisation_id, mission_ids = None, []
    if role is not UserRole.ORGANISER:
        mission_ids = []
    await _check_placement(session, role, organisation_id, mission_ids)
    user = User(
        email=normalise_email(email),
        name=name or normalise_email(email),
        password_hash=NO_PASSWORD,
        role=role,
        organisation_id=organisation_id,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise UserEmailTaken(user.email) from exc
    await _set_missions(session, user, mission_ids)
    invitation, token = _new_invitation(user, actor, now)
    session.add(invitation)
    await record(
        session, actor=actor, action="user.invite", entity="user", entity_id=user.id,
        after={"email": user.email, "role": role, "organisation_id": organisation_id,
               "mission_ids": sorted(set(mission_ids))},
        at=now,
    )
    await session.commit()
    return Invited(user=user, token=token, expires_at=invitation.expires_at)


async def reinvite(*, session: AsyncSession, user: User, actor: str, now: datetime) -> Invited:
    """A new link for `user` (the earlier ones stop working). For someone who lost theirs,
    or forgot their password: the password is only replaced once the link is used."""
    await session.execute(delete(Invitation).where(Invitation.user_id == user.id))
    invitation, token = _new_invitation(user, actor, now)
    session.add(invitation)
    await record(
        session, actor=actor, action="user.reinvite", entity="user", entity_id=user.id, at=now
    )
    await session.commit()
    return Invited(user=user, token=token, expires_at=invitation.expires_at)


async def _active_admins(session: AsyncSession) -> set[int]:
    return set(
        await session.scalars(
            select(User.id).where(User.role == UserRole.ADMIN, User.active.is_(True))
        )
    )


async def update(
    *,
    session: AsyncSession,
    user: User,
    role: UserRole | None = None,
    name: str | None = None,
    organisation_id: int | None = None,
    mission_ids: list[int] | None = None,
    active: bool | None = None,
    actor: str,
    now: datetime,
) -> User:
    """Change a user's role, organisation, missions, name or whether they may sign in."""
    before = {"role": user.role, "organisation_id": user.organisation_id, "active": user.active}
    new_role = role or user.role
    new_active = user.active if active is None else active
    if user.id in await _active_admins(session) and (
        new_role is not UserRole.ADMIN or not new_active
    ):
        if len(await _active_admins(session)) <= 1:
            raise LastAdmin()
    new_organisation = user.organisation_id if organisation_id is None else organisation_id
    if new_role is UserRole.ADMIN:
        new_organisation = None
    missions = mission_ids
    if missions is None:
        missions = (await mission_ids_of(session=session, user_ids=[user.id]))[user.id]
    if new_role is not UserRole.ORGANISER:
        missions = []
    await _check_placement(session, new_role, new_organisation, missions)
    user.role = new_role
    user.organisation_id = new_organisation
    user.active = new_active
    if name:
        user.name = name
    await _set_missions(session, user, missions)
    await record(
        session, actor=actor, action="user.update", entity="user", entity_id=user.id,
        before=before,
        after={"role": user.role, "organisation_id": user.organisation_id,
               "active": user.active, "mission_ids": sorted(set(missions))},
        at=now,
    )
    await session.commit()
    if not new_active:
        await revoke_all_sessions(session=session, user_id=user.id, now=now)
    return user


async def invitation_user(*, session: AsyncSession, token: str, now: datetime) -> User:
    """The user a live invitation token is for, or InvitationInvalid."""
    row = await session.get(Invitation, token_id(token)) if 0 < len(token) <= 128 else None
    if row is None or row.used_at is not None or now >= row.expires_at:
        raise InvitationInvalid()
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        raise InvitationInvalid()
    return user


async def accept(*, session: AsyncSession, token: str, password: str, now: datetime) -> User:
    """Set the invited user's password from a live link (which is then used up)."""
    user = await invitation_user(session=session, token=token, now=now)
    row = await session.get_one(Invitation, token_id(token))
    user.password_hash = await hash_password_async(password)
    row.used_at = now
    await record(
        session, actor=f"user:{user.id} {user.email}", action="user.accept_invitation",
        entity="user", entity_id=user.id, at=now,
    )
    await session.commit()
    await revoke_all_sessions(session=session, user_id=user.id, now=now)
    return user

"""HTTP routes for managing console users (admins): list, invite, change, new link."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from app.audit.service import user_actor
from app.auth import users
from app.auth.dependencies import AdminUser, NowDep, require_role
from app.auth.models import User, UserRole
from app.auth.schemas import InvitationRead, UserAdminRead, UserChange, UserInvite
from app.dependencies import SessionDep, SettingsDep
from app.schemas import PathId
from app.settings import Settings

router = APIRouter(
    prefix="/users", tags=["users"], dependencies=[Depends(require_role(UserRole.ADMIN))]
)


def invitation_url(settings: Settings, token: str) -> str:
    # The token rides in the fragment, which never reaches a server log.
    return f"{settings.base_url}/invite#{token}"


async def _read(session: SessionDep, user: User, now: NowDep) -> UserAdminRead:
    missions = await users.mission_ids_of(session=session, user_ids=[user.id])
    pending = await users.pending_invitations(session=session, now=now)
    return UserAdminRead(
        id=user.id, email=user.email, name=user.name, role=user.role,
        organisation_id=user.organisation_id, active=user.active,
        has_password=users.has_password(user), mission_ids=missions[user.id],
        invitation_expires_at=pending.get(user.id),
    )


async def _user(session: SessionDep, user_id: int) -> User:
    found = await session.get(User, user_id)
    if found is None:
        raise users.UserNotFound(user_id)
    return found


@router.get("", response_model=list[UserAdminRead], summary="Every console user (admins)")
async def list_users(session: SessionDep, now: NowDep) -> list[UserAdminRead]:
    rows = await users.list_users(session=session)
    missions = await users.mission_ids_of(session=session, user_ids=[u.id for u in rows])
    pending = await users.pending_invitations(session=session, now=now)
    return [
        UserAdminRead(
            id=u.id, email=u.email, name=u.name, role=u.role,
            organisation_id=u.organisation_id, active=u.active,
            has_password=users.has_password(u), mission_ids=missions[u.id],
            invitation_expires_at=pending.get(u.id),
        )
        for u in rows
    ]


@router.post(
    "", response_model=InvitationRead, status_code=status.HTTP_201_CREATED,
    summary="Invite a user: they get no password, and a one-time link to choose one",
    responses={409: {"description": "A user with this email exists"}},
)
async def invite_user(
    body: UserInvite, session: SessionDep, admin: AdminUser, settings: SettingsDep, now: NowDep
) -> InvitationRead:
    invited = await users.invite(
        session=session, email=body.email, name=body.name, role=body.role,
        organisation_id=body.organisation_id, mission_ids=body.mission_ids,
        actor=user_actor(admin), now=now,
    )
    return InvitationRead(
        user=await _read(session, invited.user, now),
        url=invitation_url(settings, invited.token),
        expires_at=invited.expires_at,
    )


@router.patch(
    "/{user_id}", response_model=UserAdminRead,
    summary="Change a user's role, organisation, missions, name, or deactivate them",
    responses={409: {"description": "No active admin would be left"}},
)
async def change_user(
    user_id: PathId, body: UserChange, session: SessionDep, admin: AdminUser, now: NowDep
) -> UserAdminRead:
    user = await _user(session, user_id)
    changed = await users.update(
        session=session, user=user, role=body.role, name=body.name,
        organisation_id=body.organisation_id, mission_ids=body.mission_ids,
        active=body.active, actor=user_actor(admin), now=now,
    )
    return await _read(session, changed, now)


@router.post(
    "/{user_id}/invitation", response_model=InvitationRead,
    summary="A new one-time link for a user (earlier links stop working)",
)
async def reinvite_user(
    user_id: PathId, session: SessionDep, admin: AdminUser, settings: SettingsDep, now: NowDep
) -> InvitationRead:
    user = await _user(session, user_id)
    invited = await users.reinvite(session=session, user=user, actor=user_actor(admin), now=now)
    return InvitationRead(
        user=await _read(session, user, now),
        url=invitation_url(settings, invited.token),
        expires_at=invited.expires_at,
    )

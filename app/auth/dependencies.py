"""Who is asking: the session cookie, CSRF on unsafe methods, role and mission checks.

Ready for routers (`dependencies=[Depends(require_role(...))]`); see docs/security.md for how
they are switched on across the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from app.auth import service
from app.auth.exceptions import CsrfRefused, MissionWriteDenied, NotAuthenticated, RoleRequired
from app.auth.models import AuthSession, User, UserRole
from app.dependencies import SessionDep, SettingsDep
from app.missions.exceptions import MissionNotFound
from app.missions.models import Mission
from app.missions.service import get as get_mission
from app.schemas import PathId
from app.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def session_cookie_name(settings: Settings) -> str:
    # `__Host-`: the browser only accepts it Secure, from this host, for path / (no subdomain
    # or insecure page can plant or shadow it).
    return "__Host-tradebooth_session" if settings.cookies_secure else "tradebooth_session"


def csrf_cookie_name(settings: Settings) -> str:
    return "__Host-tradebooth_csrf" if settings.cookies_secure else "tradebooth_csrf"


def get_now() -> datetime:
    """The current time for authentication; tests override this dependency."""
    return datetime.now(UTC)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


NowDep = Annotated[datetime, Depends(get_now)]


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    auth_session: AuthSession


async def get_principal(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Principal:
    """The signed-in user; an unsafe method must also echo the session's CSRF token."""
    token = request.cookies.get(session_cookie_name(settings))
    if not token or len(token) > 128:
        raise NotAuthenticated()
    found = await service.session_for_token(
        session=session, settings=settings, token=token, now=now
    )
    if found is None:
        raise NotAuthenticated()
    row, user = found
    if request.method not in SAFE_METHODS and not service.csrf_matches(
        row, request.headers.get(CSRF_HEADER)
    ):
        raise CsrfRefused()
    return Principal(user=user, auth_session=row)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_current_user(principal: PrincipalDep) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: UserRole) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets through only users holding one of `roles`."""
    allowed = frozenset(roles)

    async def _require(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise RoleRequired(sorted(role.value for role in allowed))
        return user

    return _require


def require_mission_access(*, write: bool = False) -> Callable[..., Awaitable[Mission]]:
    """A dependency on the path's `mission_id`: 404 if the user may not see it (hiding that
    it exists), 403 if they may see it but `write` is asked and they may not change it."""

    async def _require(mission_id: PathId, user: CurrentUser, session: SessionDep) -> Mission:
        mission = await get_mission(session=session, mission_id=mission_id)
        if mission is None or not service.can_read_mission(user=user, mission=mission):
            raise MissionNotFound(mission_id)
        if write and not await service.can_change_mission(
            session=session, user=user, mission=mission
        ):
            raise MissionWriteDenied(mission_id)
        return mission

    return _require


AdminUser = Annotated[User, Depends(require_role(UserRole.ADMIN))]

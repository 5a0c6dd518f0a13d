"""Who is asking: the session cookie, CSRF on unsafe methods, role and mission checks.

Ready for routers (`dependencies=[Depends(require_role(...))]`); see docs/security.md for how
they are switched on across the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from app.auth import service
from app.auth.exceptions import CsrfRefused, MissionWriteDenied, NotAuthenticated, RoleRequired
from app.auth.models import AuthSession, User, UserRole
from app.clock import ClockDep
from app.dependencies import SessionDep, SettingsDep
from app.errors import AppError
from app.matching.exceptions import RequestNotFound
from app.matching.models import MeetingRequest
from app.meetings.exceptions import MeetingNotFound
from app.meetings.models import Meeting
from app.missions.exceptions import MissionNotFound, VenueNotFound
from app.missions.models import Mission, Venue
from app.missions.service import get as get_mission
from app.participants.exceptions import ParticipantNotFound
from app.participants.models import Buyer, Company, Interpreter
from app.schemas import MAX_ID, PathId
from app.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def session_cookie_name(settings: Settings) -> str:
    # `__Host-`: the browser only accepts it Secure, from this host, for path / (no subdomain
    # or insecure page can plant or shadow it).
    return "__Host-tradebooth_session" if settings.cookies_secure else "tradebooth_session"


def csrf_cookie_name(settings: Settings) -> str:
    return "__Host-tradebooth_csrf" if settings.cookies_secure else "tradebooth_csrf"


def get_now(clock: ClockDep) -> datetime:
    """The current time for authentication, by the app's clock."""
    return clock.now()


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


# Path parameters naming a row of one mission: the row's mission decides who may reach it.
# A router whose routes take another such id adds it here (the authorization matrix test
# fails for a route whose rows are not scoped).
MISSION_ROWS: dict[str, tuple[type[Any], Callable[[int], AppError]]] = {
    "venue_id": (Venue, VenueNotFound),
    "company_id": (Company, lambda i: ParticipantNotFound("company", i)),
    "buyer_id": (Buyer, lambda i: ParticipantNotFound("buyer", i)),
    "interpreter_id": (Interpreter, lambda i: ParticipantNotFound("interpreter", i)),
    "meeting_id": (Meeting, MeetingNotFound),
    "request_id": (MeetingRequest, RequestNotFound),
}


def _path_id(raw: object) -> int | None:
    """A path id as the route will read it; None when the route will refuse it itself (422)."""
    try:
        value = int(str(raw))
    except ValueError:
        return None
    return value if 0 < value <= MAX_ID else None


async def check_mission(
    *, session: SessionDep, user: User, mission_id: int, write: bool, hidden: AppError | None = None
) -> Mission | None:
    """None if the mission does not exist (the route says so); `hidden` (default: mission
    not found) if the user may not read it; 403 if `write` and the user may not change it."""
    mission = await get_mission(session=session, mission_id=mission_id)
    if mission is None:
        return None
    if not service.can_read_mission(user=user, mission=mission):
        raise hidden or MissionNotFound(mission_id)
    if write and not await service.can_change_mission(
        session=session, user=user, mission=mission
    ):
        raise MissionWriteDenied(mission_id)
    return mission


async def authorize_console(request: Request, user: CurrentUser, session: SessionDep) -> User:
    """Router-level: a signed-in user (CSRF on writes) who may reach the path's mission.

    The mission is the path's `mission_id`, or the mission of the row a `MISSION_ROWS` id
    names. Reading needs the mission to be visible (else 404, as if it did not exist);
    an unsafe method needs the user to change it (else 403). A missing row is left to the
    route's own 404.
    """
    write = request.method not in SAFE_METHODS
    params = request.path_params
    if "mission_id" in params:
        mission_id = _path_id(params["mission_id"])
        if mission_id is not None:
            await check_mission(session=session, user=user, mission_id=mission_id, write=write)
        return user
    for name, (model, not_found) in MISSION_ROWS.items():
        if name not in params:
            continue
        row_id = _path_id(params[name])
        if row_id is None:
            break
        row = await session.get(model, row_id)
        if row is not None:
            await check_mission(
                session=session,
                user=user,
                mission_id=row.mission_id,
                write=write,
                hidden=not_found(row_id),
            )
        break
    return user


ConsoleUser = Annotated[User, Depends(authorize_console)]

"""Who may open a console page: the signed-in user, or a redirect to the sign-in page.

Pages are authorized like the API (docs/security.md): a mission of another organisation is
"not found", a form that changes a mission needs the user to change it. An HTML form cannot
send the X-CSRF-Token header, so its POST carries the session's token in a hidden
`csrf_token` field instead (the templates add it from `csrf_token` in their context).
The join, call and kiosk pages are not here: their link authorizes them.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.auth import service
from app.auth.dependencies import SAFE_METHODS, NowDep, session_cookie_name
from app.auth.models import User
from app.dependencies import SessionDep, SettingsDep
from app.errors import PermissionDenied
from app.missions.models import Mission

CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No live console session: the page answers with a redirect to /sign-in."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


async def page_user(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> User:
    """The signed-in user; a form POST must carry the session's CSRF token (403 if not)."""
    token = request.cookies.get(session_cookie_name(settings))
    found = None
    if token and len(token) <= 128:
        found = await service.session_for_token(
            session=session, settings=settings, token=token, now=now
        )
    if found is None:
        back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(back_to if request.method in SAFE_METHODS else "/missions")
    row, user = found
    if request.method not in SAFE_METHODS:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(
            row.csrf_token.encode(), sent.encode()
        ):
            raise PermissionDenied("missing or wrong CSRF token in the form")
    # Detached, with every column loaded: a form whose save fails rolls the session back,
    # which would expire the user, and a page must still say who is signed in (and check
    # what they may do) without a lazy load outside the database's async context.
    session.expunge(user)
    request.state.csrf_token = row.csrf_token
    request.state.user = user
    return user


PageUser = Annotated[User, Depends(page_user)]


async def readable(session: SessionDep, user: User, mission_id: int) -> Mission | None:
    """The mission if it exists and the user may see it (else the page says "not found")."""
    mission = await session.get(Mission, mission_id)
    if mission is None or not service.can_read_mission(user=user, mission=mission):
        return None
    return mission


async def changeable(session: SessionDep, user: User, mission: Mission) -> bool:
    return await service.can_change_mission(session=session, user=user, mission=mission)


async def writable(session: SessionDep, user: User, mission_id: int) -> Mission | None:
    """The mission for a form that changes it: None if hidden, 403 if only readable."""
    mission = await readable(session, user, mission_id)
    if mission is not None and not await changeable(session, user, mission):
        raise PermissionDenied("you may read this mission but not change it")
    return mission


def install_sign_in_redirect(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _to_sign_in(_request: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse(f"/sign-in?next={quote(exc.back_to, safe='')}", status_code=303)

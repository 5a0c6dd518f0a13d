"""Sign-in, sign-out and who am I, for the organisers' console."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth import service, users
from app.auth.dependencies import (
    NowDep,
    PrincipalDep,
    client_ip,
    csrf_cookie_name,
    session_cookie_name,
)
from app.auth.exceptions import SignInThrottled
from app.auth.schemas import AcceptInvitation, Me, SignedInRead, SignInRequest, UserRead
from app.dependencies import SessionDep, SettingsDep
from app.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])


def set_session_cookies(response: Response, settings: Settings, signed: service.SignedIn) -> None:
    max_age = int(settings.session_hours * 3600)
    # The CSRF cookie is readable by the console's script, which echoes it in X-CSRF-Token.
    for name, value, http_only in (
        (session_cookie_name(settings), signed.token, True),
        (csrf_cookie_name(settings), signed.csrf_token, False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=settings.cookies_secure,
            httponly=http_only,
            samesite="strict",
        )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name in (session_cookie_name(settings), csrf_cookie_name(settings)):
        response.delete_cookie(name, path="/", secure=settings.cookies_secure, samesite="strict")


@router.post(
    "/sign-in",
    response_model=SignedInRead,
    summary="Sign in; sets the session cookie (HttpOnly) and the CSRF cookie",
    responses={401: {"description": "Wrong email or password"}, 429: {"description": "Locked"}},
)
async def sign_in(
    body: SignInRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SignedInRead:
    try:
        signed = await service.sign_in(
            session=session,
            settings=settings,
            email=body.email,
            password=body.password,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            now=now,
        )
    except SignInThrottled as exc:
        retry = str(exc.details["retry_after_seconds"])
        return JSONResponse(  # type: ignore[return-value]
            status_code=exc.status_code,
            content={"detail": exc.message, **exc.details},
            headers={"Retry-After": retry},
        )
    set_session_cookies(response, settings, signed)
    response.headers["Cache-Control"] = "no-store"
    return SignedInRead(
        user=UserRead.model_validate(signed.user),
        csrf_token=signed.csrf_token,
        expires_at=signed.expires_at,
    )


@router.post(
    "/sign-out",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End this session (needs the X-CSRF-Token header)",
)
async def sign_out(
    principal: PrincipalDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    await service.sign_out(
        session=session, row=principal.auth_session, user=principal.user, now=now
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, settings)
    return response


@router.get("/me", response_model=Me, summary="The signed-in user")
async def me(principal: PrincipalDep, session: SessionDep) -> Me:
    user = principal.user
    missions = await service.organised_mission_ids(session=session, user=user)
    return Me(**UserRead.model_validate(user).model_dump(), organised_mission_ids=sorted(missions))


@router.post(
    "/accept-invitation",
    response_model=SignedInRead,
    summary="Choose a password from an invitation link; signs in like /sign-in",
    responses={400: {"description": "The link is unknown, used, replaced or expired"}},
)
async def accept_invitation(
    body: AcceptInvitation,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> SignedInRead:
    user = await users.accept(session=session, token=body.token, password=body.password, now=now)
    signed = service.start_session(
        session=session,
        settings=settings,
        user=user,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        now=now,
    )
    await session.commit()
    set_session_cookies(response, settings, signed)
    response.headers["Cache-Control"] = "no-store"
    return SignedInRead(
        user=UserRead.model_validate(signed.user),
        csrf_token=signed.csrf_token,
        expires_at=signed.expires_at,
    )

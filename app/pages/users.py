"""Console pages for organisations and users (admins), the invitation link, and signing out.

Admins add organisations and invite users: an invitation makes the user and a one-time
link (app/auth/users.py) the admin copies to the invitee, who chooses a password there and
is signed in. The link is shown once, right after inviting or issuing a new one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import user_actor
from app.auth import service as auth
from app.auth import users
from app.auth.dependencies import NowDep, client_ip
from app.auth.exceptions import UserEmailTaken
from app.auth.models import User, UserRole
from app.auth.passwords import MAX_LENGTH, MIN_LENGTH
from app.auth.router import clear_session_cookies, set_session_cookies
from app.auth.users_router import invitation_url
from app.dependencies import SessionDep, SettingsDep
from app.errors import AppError, InvalidRequest, PermissionDenied
from app.missions.models import Mission
from app.organisations import service as organisations
from app.organisations.exceptions import OrganisationNameTaken
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationCreate
from app.pages import forms
from app.pages.access import PageUser
from app.pages.forms import Field, Problems, problem
from app.pages.rendering import not_found, render
from app.schemas import PathId, _email

router = APIRouter(include_in_schema=False)

ORGANISATION_FIELDS = {
    "name": Field("organisations.name", "form.accepts.name", {"max": 200}),
    "kind": Field("organisations.kind", "form.accepts.choice"),
    "country": Field("organisations.country", "form.accepts.country"),
    "city": Field("organisations.city", "form.accepts.text", {"max": 100}),
}
KINDS = ("district_office", "city", "agency", "association", "other")
USER_FIELDS = {
    "email": Field("users.email", "form.accepts.user_email"),
    "name": Field("users.name", "form.accepts.text", {"max": 200}),
    "role": Field("users.role", "form.accepts.choice"),
    "organisation_id": Field("users.organisation", "form.accepts.organisation"),
    "mission_ids": Field("users.missions", "form.accepts.user_missions"),
}
PASSWORD_FIELDS = {
    "token": Field("invite.token", "form.accepts.token"),
    "password": Field("invite.password", "form.accepts.password",
                      {"min": MIN_LENGTH, "max": MAX_LENGTH}),
    "again": Field("invite.again", "form.accepts.password_again"),
}


def _admin(user: User) -> None:
    if user.role is not UserRole.ADMIN:
        raise PermissionDenied("only admins manage organisations and users")


async def _organisations(session: AsyncSession, user: User) -> list[Organisation]:
    statement = select(Organisation).order_by(Organisation.name)
    if user.role is not UserRole.ADMIN:
        statement = statement.where(Organisation.id == user.organisation_id)
    return list(await session.scalars(statement))


# -- organisations ---------------------------------------------------------------------------


async def _organisations_page(
    request: Request, session: AsyncSession, user: User, *,
    values: dict[str, str] | None = None, problems: Problems | None = None,
) -> HTMLResponse:
    listed = await _organisations(session, user)
    missions = list(await session.scalars(select(Mission).order_by(Mission.start_date.desc())))
    by_organisation: dict[int, list[Mission]] = {}
    for mission in missions:
        by_organisation.setdefault(mission.organisation_id, []).append(mission)
    return render(
        request, "organisations.html", organisations=listed, missions_of=by_organisation,
        kinds=KINDS, values=values or {"kind": "district_office", "country": "KR"},
        problems=problems or {}, saved=request.query_params.get("saved"),
    )


@router.get("/organisations")
async def organisations_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    return await _organisations_page(request, session, user)


@router.post("/organisations")
async def add_organisation(request: Request, session: SessionDep, user: PageUser) -> Response:
    _admin(user)
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    problems: Problems = {}
    country = forms.country_code(values.get("country", ""))
    if country is None:
        problems["country"] = problem("country", ORGANISATION_FIELDS["country"])
    kind = values.get("kind", "")
    if kind not in KINDS:
        problems["kind"] = problem("kind", ORGANISATION_FIELDS["kind"])
    try:
        data = OrganisationCreate.model_validate({
            "name": values.get("name", ""), "kind": kind if kind in KINDS else "other",
            "country": country or "KR", "city": values.get("city", ""),
        })
    except ValidationError as exc:
        for name, found in forms.problems_of(exc, ORGANISATION_FIELDS).items():
            problems.setdefault(name, found)
    if not problems:
        try:
            made = await organisations.create(session=session, data=data)
        except OrganisationNameTaken:
            problems["name"] = problem("name", ORGANISATION_FIELDS["name"],
                                       "form.accepts.unique_organisation")
        else:
            return RedirectResponse(f"/organisations?saved={made.id}#org-{made.id}",
                                    status_code=303)
    return await _organisations_page(request, session, user, values=values, problems=problems)


# -- users -----------------------------------------------------------------------------------


async def _users_context(session: AsyncSession, now: Any) -> dict[str, Any]:
    rows = await users.list_users(session=session)
    missions = list(await session.scalars(select(Mission).order_by(Mission.name)))
    return {
        "users": rows,
        "missions_of": await users.mission_ids_of(session=session, user_ids=[u.id for u in rows]),
        "pending": await users.pending_invitations(session=session, now=now),
        "organisations": list(await session.scalars(
            select(Organisation).order_by(Organisation.name))),
        "missions": missions,
        "mission_of": {m.id: m for m in missions},
        "has_password": users.has_password,
        "roles": [role.value for role in UserRole],
    }


async def _users_page(
    request: Request, session: AsyncSession, user: User, now: Any, *,
    values: dict[str, Any] | None = None, problems: Problems | None = None,
    invited: dict[str, Any] | None = None, notice: str | None = None,
) -> HTMLResponse:
    return render(
        request, "users.html", values=values or {"role": "organiser"}, problems=problems or {},
        invited=invited, notice=notice, **await _users_context(session, now),
    )


@router.get("/users")
async def users_page(
    request: Request, session: SessionDep, user: PageUser, now: NowDep
) -> Response:
    _admin(user)
    return await _users_page(request, session, user, now,
                             notice=request.query_params.get("done"))


def _placement(values: dict[str, str], mission_ids: list[str]) -> tuple[dict[str, Any], Problems]:
    problems: Problems = {}
    role = values.get("role", "")
    if role not in {r.value for r in UserRole}:
        problems["role"] = problem("role", USER_FIELDS["role"])
    organisation_id = values.get("organisation_id", "")
    chosen = int(organisation_id) if organisation_id.isdigit() else None
    missions = [int(m) for m in mission_ids if m.isdigit()]
    return {"role": role, "organisation_id": chosen, "mission_ids": missions}, problems


def _refusal(exc: AppError) -> Problems:
    field = str(exc.details.get("field", "organisation_id"))
    spec = USER_FIELDS.get(field, USER_FIELDS["organisation_id"])
    return {field: problem(field, spec)}


@router.post("/users")
async def invite(
    request: Request, session: SessionDep, user: PageUser, settings: SettingsDep, now: NowDep
) -> Response:
    _admin(user)
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    mission_ids = [str(v) for v in form.getlist("mission_ids")]
    placement, problems = _placement(values, mission_ids)
    try:
        email = _email(values.get("email", ""))
    except ValueError:
        problems["email"] = problem("email", USER_FIELDS["email"])
        email = ""
    if len(values.get("name", "")) > 200:
        problems["name"] = problem("name", USER_FIELDS["name"])
    if not problems:
        try:
            invited = await users.invite(
                session=session, email=email, name=values.get("name", ""),
                role=UserRole(placement["role"]), organisation_id=placement["organisation_id"],
                mission_ids=placement["mission_ids"], actor=user_actor(user), now=now,
            )
        except UserEmailTaken:
            problems["email"] = problem("email", USER_FIELDS["email"], "form.accepts.email_taken")
        except InvalidRequest as exc:
            problems = _refusal(exc)
        else:
            shown = {"email": invited.user.email, "url": invitation_url(settings, invited.token),
                     "expires_at": invited.expires_at}
            return await _users_page(request, session, user, now, invited=shown)
    values["mission_ids"] = mission_ids  # type: ignore[assignment]
    return await _users_page(request, session, user, now, values=values, problems=problems)


async def _user_page(
    request: Request, session: AsyncSession, target: User, now: Any, *,
    values: dict[str, Any] | None = None, problems: Problems | None = None,
    invited: dict[str, Any] | None = None, notice: str | None = None,
) -> HTMLResponse:
    context = await _users_context(session, now)
    shown = values or {
        "role": target.role.value, "name": target.name,
        "organisation_id": str(target.organisation_id or ""),
        "mission_ids": [str(m) for m in context["missions_of"].get(target.id, [])],
    }
    return render(
        request, "user.html", target=target, values=shown, problems=problems or {},
        invited=invited, notice=notice, **context,
    )


async def _target(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


@router.get("/users/{user_id}")
async def user_page(
    request: Request, session: SessionDep, user_id: PathId, user: PageUser, now: NowDep
) -> Response:
    _admin(user)
    target = await _target(session, user_id)
    if target is None:
        return not_found(request, "user")
    return await _user_page(request, session, target, now,
                            notice=request.query_params.get("done"))


@router.post("/users/{user_id}")
async def change_user(
    request: Request, session: SessionDep, user_id: PathId, user: PageUser, now: NowDep
) -> Response:
    _admin(user)
    target = await _target(session, user_id)
    if target is None:
        return not_found(request, "user")
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    mission_ids = [str(v) for v in form.getlist("mission_ids")]
    action = values.get("action", "save")
    placement, problems = _placement(values, mission_ids) if action == "save" else ({}, {})
    if not problems:
        try:
            if action == "save":
                await users.update(
                    session=session, user=target, role=UserRole(placement["role"]),
                    name=values.get("name") or None,
                    organisation_id=placement["organisation_id"],
                    mission_ids=placement["mission_ids"], actor=user_actor(user), now=now,
                )
            else:
                await users.update(session=session, user=target, active=action == "activate",
                                   actor=user_actor(user), now=now)
        except users.LastAdmin:
            return await _user_page(request, session, target, now, notice="last_admin")
        except InvalidRequest as exc:
            problems = _refusal(exc)
        else:
            done = {"save": "saved", "activate": "activated", "deactivate": "deactivated"}
            return RedirectResponse(f"/users/{user_id}?done={done.get(action, 'saved')}",
                                    status_code=303)
    target = await session.get_one(User, user_id)
    values["mission_ids"] = mission_ids  # type: ignore[assignment]
    return await _user_page(request, session, target, now, values=values, problems=problems)


@router.post("/users/{user_id}/invitation")
async def new_link(
    request: Request, session: SessionDep, user_id: PathId, user: PageUser,
    settings: SettingsDep, now: NowDep,
) -> Response:
    _admin(user)
    target = await _target(session, user_id)
    if target is None:
        return not_found(request, "user")
    invited = await users.reinvite(session=session, user=target, actor=user_actor(user), now=now)
    shown = {"email": target.email, "url": invitation_url(settings, invited.token),
             "expires_at": invited.expires_at}
    return await _user_page(request, session, target, now, invited=shown)


# -- the invitee's page, and signing out -----------------------------------------------------


@router.get("/invite")
async def invite_page(request: Request) -> HTMLResponse:
    # The token stays in the URL's fragment (never in a server log); the page's script
    # copies it into the form.
    return render(request, "invite.html", values={}, problems={}, notice=None)


@router.post("/invite")
async def accept_invite(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    form = await request.form()
    values = {key: str(value) for key, value in form.items()}
    token = values.get("token", "").strip().lstrip("#")
    password = values.get("password", "")
    problems: Problems = {}
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems["password"] = problem("password", PASSWORD_FIELDS["password"])
    elif values.get("again", "") != password:
        problems["again"] = problem("again", PASSWORD_FIELDS["again"])
    if not token:
        problems["token"] = problem("token", PASSWORD_FIELDS["token"])
    if not problems:
        try:
            invited = await users.accept(session=session, token=token, password=password, now=now)
        except users.InvitationInvalid:
            return render(request, "invite.html", values={"token": token}, problems={},
                          notice="invalid")
        signed = auth.start_session(
            session=session, settings=settings, user=invited, client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""), now=now,
        )
        await session.commit()
        response = RedirectResponse("/missions?welcome=1", status_code=303)
        set_session_cookies(response, settings, signed)
        return response
    return render(request, "invite.html", values={"token": token}, problems=problems,
                  notice=None)


@router.post("/sign-out")
async def sign_out(
    request: Request, session: SessionDep, user: PageUser, settings: SettingsDep, now: NowDep
) -> Response:
    token = request.cookies.get(auth_cookie(settings), "")
    found = await auth.session_for_token(session=session, settings=settings, token=token, now=now)
    if found is not None:
        await auth.sign_out(session=session, row=found[0], user=user, now=now)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_session_cookies(response, settings)
    return response


def auth_cookie(settings: Any) -> str:
    from app.auth.dependencies import session_cookie_name

    return session_cookie_name(settings)

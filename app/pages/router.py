"""Page routes: the organiser console, the join flow (with the call) and the outcome form."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import select

from app import clock
from app.auth.models import UserRole
from app.dependencies import SessionDep
from app.errors import AppError, PermissionDenied
from app.i18n import COOKIE, LANGUAGES
from app.meetings.models import Meeting
from app.missions import service as missions_service
from app.missions.models import Mission, Venue
from app.missions.schemas import MissionCreate, VenueCreate
from app.organisations import service as organisations_service
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationCreate
from app.pages import forms, schedule
from app.pages.access import PageUser, changeable, install_sign_in_redirect, readable
from app.pages.queries import (
    current_outcome,
    meeting_parties,
    mission_counts,
    mission_meetings,
)
from app.pages.rendering import ROOT, not_found, render
from app.pages.zones import mission_zones
from app.participants.models import Buyer, Company, Interpreter
from app.schemas import PathId

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

# Currencies offered first in the outcome form (the seeds' buyer countries); any ISO code works.
CURRENCIES = ("USD", "KRW", "IDR", "VND", "RUB", "KZT", "MYR", "THB", "JPY", "TWD", "HKD",
              "INR", "AUD", "NZD", "AED", "CNY", "EUR")


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static")
    install_sign_in_redirect(app)
    app.include_router(router)
    from app.pages.attendance import router as attendance_router

    app.include_router(attendance_router)
    # The console's other pages, each in a module of its own.
    from app.pages import (
        board,
        import_template,
        links,
        meetings,
        mission_edit,
        participants,
        rates,
        requests,
        scheduling,
        users,
    )

    for module in (
        board, import_template, meetings, mission_edit, participants, requests, scheduling,
        links, rates, users,
    ):
        app.include_router(module.router)


def _not_found(request: Request, what: str) -> HTMLResponse:
    return not_found(request, what)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/missions", status_code=303)


@router.get("/missions")
async def missions_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    statement = (
        select(Mission, Organisation)
        .join(Organisation, Organisation.id == Mission.organisation_id)
        .order_by(Mission.start_date.desc(), Mission.id.desc())
        .limit(200)
    )
    if user.role is not UserRole.ADMIN:  # the user's organisation's missions only
        statement = statement.where(Mission.organisation_id == user.organisation_id)
    rows = await session.execute(statement)
    missions = [(mission, organisation) for mission, organisation in rows]
    counts = {m.id: await mission_counts(session, m.id) for m, _ in missions}
    return render(request, "missions.html", missions=missions, counts=counts)


# Forms with problems are shown again with status 200: the page itself says what to fix.

# Time zones offered first when setting up a mission (the seeds' places); any IANA name works.
TIME_ZONES = ("Asia/Seoul", "Asia/Jakarta", "Asia/Ho_Chi_Minh", "Asia/Almaty", "Europe/Moscow",
              "Asia/Kuala_Lumpur", "Asia/Bangkok", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Tokyo",
              "Asia/Kolkata", "Asia/Dubai", "Australia/Sydney", "Pacific/Auckland")


@router.get("/missions/new")
async def new_mission_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    return render(
        request, "mission_new.html", values={}, problems={}, time_zones=TIME_ZONES,
        currencies=CURRENCIES, organisations=await _organisations(session, user),
    )


MISSION_FIELDS = {
    "organiser": forms.Field("mission.new.organiser", "form.accepts.name", {"max": 200}),
    "name": forms.Field("mission.new.name", "form.accepts.name", {"max": 200}),
    "start_date": forms.Field("mission.new.start", "form.accepts.date"),
    "end_date": forms.Field("mission.new.end", "form.accepts.end_date"),
    "target_countries": forms.Field("mission.new.countries", "form.accepts.countries"),
    "timezone": forms.Field("mission.new.timezone", "form.accepts.timezone"),
    "currency": forms.Field("mission.new.currency", "form.accepts.currency"),
    "slot_minutes": forms.Field("mission.new.slot", "form.accepts.whole_number",
                                {"min": 5, "max": 240}),
}


@router.post("/missions/new")
async def create_mission(request: Request, session: SessionDep, user: PageUser) -> Response:
    admin = user.role is UserRole.ADMIN
    if not admin and user.role is not UserRole.ORGANISER:
        raise PermissionDenied("your role may not create missions")
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    problems: forms.Problems = {}
    organiser = values.get("organiser", "")
    if admin and not organiser:
        problems["organiser"] = forms.problem("organiser", MISSION_FIELDS["organiser"])
    # Codes or names, in any language the console offers ("Vietnam", "베트남", "VN").
    countries = []
    for item in forms.text_list(values.get("target_countries", "")):
        code = forms.country_code(item)
        if code is None:
            problems["target_countries"] = forms.problem(
                "target_countries", MISSION_FIELDS["target_countries"], item=item
            )
        elif code not in countries:
            countries.append(code)
    data: MissionCreate | None = None
    try:
        data = MissionCreate.model_validate({
            "organisation_id": 1,  # replaced below by the organiser's record
            "name": values.get("name", ""),
            "start_date": values.get("start_date") or None,
            "end_date": values.get("end_date") or None,
            "timezone": values.get("timezone") or "Asia/Seoul",
            "currency": values.get("currency") or "USD",
            "slot_minutes": values.get("slot_minutes") or 30,
            "target_countries": countries,
            "status": "recruiting",
        })
    except ValidationError as exc:
        for name, found in forms.problems_of(exc, MISSION_FIELDS).items():
            problems.setdefault(name, found)
    if data is not None and not problems:
        # An admin names any organiser (created if new); an organiser creates missions of
        # its own organisation only, and organises them.
        if admin:
            organisation = await organisations_service.get_by_name(session=session, name=organiser)
        else:
            organisation = await session.get(Organisation, user.organisation_id)
        try:
            if organisation is None:
                organisation = await organisations_service.create(
                    session=session, data=OrganisationCreate(name=organiser)
                )
            mission = await missions_service.create(
                session=session,
                organisation=organisation,
                data=data,
                organised_by=None if admin else user.id,
            )
        except AppError:
            problems["name"] = forms.problem(
                "name", MISSION_FIELDS["name"], "form.accepts.unique"
            )
        else:
            return RedirectResponse(f"/missions/{mission.id}", status_code=303)
    return render(
        request, "mission_new.html", values=values, problems=problems,
        time_zones=TIME_ZONES, currencies=CURRENCIES,
        organisations=await _organisations(session, user),
    )


async def _organisations(session: SessionDep, user: PageUser) -> list[Organisation]:
    """The organisations an admin may create a mission for (an organiser: its own)."""
    statement = select(Organisation).order_by(Organisation.name)
    if user.role is not UserRole.ADMIN:
        statement = statement.where(Organisation.id == user.organisation_id)
    return list(await session.scalars(statement))


async def _writable(session: SessionDep, user: PageUser, mission_id: int) -> Mission | None:
    """The mission for a form that changes it: None if hidden, 403 if only readable."""
    mission = await readable(session, user, mission_id)
    if mission is not None and not await changeable(session, user, mission):
        raise PermissionDenied("you may read this mission but not change it")
    return mission


@router.get("/missions/{mission_id}")
async def mission_page(
    request: Request,
    session: SessionDep,
    mission_id: PathId,
    user: PageUser,
    imported: Annotated[int | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
    refused: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return _not_found(request, "mission")
    return await _mission_page(
        request, session, user, mission, imported=imported,
        imported_kind=kind if kind in ("companies", "buyers") else None, refused=refused,
        venue_added=request.query_params.get("venue_added"),
        venue_in_use=request.query_params.get("venue_in_use"),
        venue_deleted=request.query_params.get("venue_deleted"),
        edited=request.query_params.get("edited"),
    )


async def _mission_page(
    request: Request, session: SessionDep, user: PageUser, mission: Mission, **extra: Any
) -> HTMLResponse:
    organisation = await session.get(Organisation, mission.organisation_id)
    companies = list(
        await session.scalars(
            select(Company).where(Company.mission_id == mission.id).order_by(Company.name)
        )
    )
    buyers = list(
        await session.scalars(
            select(Buyer).where(Buyer.mission_id == mission.id).order_by(Buyer.company_name)
        )
    )
    interpreters = list(
        await session.scalars(
            select(Interpreter)
            .where(Interpreter.mission_id == mission.id)
            .order_by(Interpreter.name)
        )
    )
    venues = list(
        await session.scalars(
            select(Venue).where(Venue.mission_id == mission.id).order_by(Venue.name)
        )
    )
    counts = await mission_counts(session, mission.id)
    context: dict[str, Any] = {
        "imported": None, "imported_kind": None, "refused": None,
        "venue_values": {"kind": "booth", "country": "KR"}, "venue_problems": {},
    }
    context.update(extra)
    return render(
        request,
        "mission.html",
        can_change=await changeable(session, user, mission),  # viewers get no forms
        mission=mission,
        organisation=organisation,
        companies=companies,
        buyers=buyers,
        interpreters=interpreters,
        venues=venues,
        counts=counts,
        time_zones=TIME_ZONES,
        **context,
    )


VENUE_FIELDS = {
    "name": forms.Field("venue.new.name", "form.accepts.name", {"max": 200}),
    "kind": forms.Field("venue.new.kind", "form.accepts.choice"),
    "city": forms.Field("field.buyer.city", "form.accepts.text", {"max": 100}),
    "country": forms.Field("venue.new.country", "form.accepts.country"),
    "timezone": forms.Field("mission.new.timezone", "form.accepts.timezone"),
}


@router.post("/missions/{mission_id}/venues")
async def add_venue(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> Response:
    mission = await _writable(session, user, mission_id)
    if mission is None:
        return _not_found(request, "mission")
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    problems: forms.Problems = {}
    country = forms.country_code(values.get("country", ""))
    if country is None:
        problems["country"] = forms.problem("country", VENUE_FIELDS["country"])
    # No zone chosen: the country's, when it has only one (a Hanoi room is in Hanoi's
    # zone, whatever the mission's is); a country of several zones must be told.
    zone, zones = forms.zone_for(country, values.get("timezone", ""))
    if zone is None and "country" not in problems:
        if values.get("timezone") or len(zones) < 2:
            problems["timezone"] = forms.problem("timezone", VENUE_FIELDS["timezone"])
        else:
            problems["timezone"] = forms.problem(
                "timezone", VENUE_FIELDS["timezone"], "form.accepts.timezone_of_country",
                zones=", ".join(zones),
            )
    data: VenueCreate | None = None
    try:
        data = VenueCreate.model_validate({
            "name": values.get("name", ""),
            "kind": values.get("kind", "booth"),
            "city": values.get("city", ""),
            "country": country or "KR",
            "timezone": zone or mission.timezone,
        })
    except ValidationError as exc:
        for name, found in forms.problems_of(exc, VENUE_FIELDS).items():
            problems.setdefault(name, found)
    if data is not None and not problems:
        try:
            venue = await missions_service.create_venue(
                session=session, mission=mission, data=data
            )
        except AppError:
            problems["name"] = forms.problem("name", VENUE_FIELDS["name"], "form.accepts.unique")
        else:
            return RedirectResponse(
                f"/missions/{mission_id}?venue_added={venue.id}#venues", status_code=303
            )
        mission = await session.get_one(Mission, mission_id)
    return await _mission_page(
        request, session, user, mission, venue_values=values, venue_problems=problems
    )


# -- schedule, board, meeting, results --------------------------------------------------------


@router.get("/missions/{mission_id}/schedule")
async def schedule_page(
    request: Request,
    session: SessionDep,
    mission_id: PathId,
    user: PageUser,
    day: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return _not_found(request, "mission")
    all_meetings = await mission_meetings(session, mission.id)
    tz = mission.timezone
    meeting_days = sorted({schedule.local_day(m.starts_at, tz) for m in all_meetings})
    today = schedule.local_day(clock.now(), tz)
    chosen = day or schedule.pick_day(mission, meeting_days, today)
    start, end = schedule.day_bounds(chosen, tz)
    meetings = [m for m in all_meetings if start <= m.starts_at < end]
    venues = list(await session.scalars(select(Venue).where(Venue.mission_id == mission.id)))
    grid = schedule.build(mission=mission, day=chosen, venues=venues, meetings=meetings)
    parties = await meeting_parties(session, meetings)
    days = sorted(set(schedule.mission_days(mission)) | set(meeting_days))
    return render(
        request, "schedule.html", mission=mission, grid=grid, parties=parties, days=days,
        venues={v.id: v for v in venues}, meeting_count=len(meetings),
        zones=await mission_zones(session, mission),
    )


async def _meeting_context(
    session: SessionDep, user: PageUser, meeting_id: int
) -> dict[str, Any] | None:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    mission = await readable(session, user, meeting.mission_id)
    if mission is None:
        return None
    parties = await meeting_parties(session, [meeting])
    outcome = await current_outcome(session, meeting.id)
    return {
        "meeting": meeting,
        "mission": mission,
        "party": parties[meeting.id],
        "outcome": outcome,
        "zones": await mission_zones(session, mission),
    }


@router.get("/meetings/{meeting_id}/outcome")
async def outcome_page(
    request: Request, session: SessionDep, meeting_id: PathId, user: PageUser
) -> HTMLResponse:
    context = await _meeting_context(session, user, meeting_id)
    if context is None:
        return _not_found(request, "meeting")
    return render(request, "outcome.html", currencies=CURRENCIES, **context)


@router.get("/sign-in")
async def sign_in_page(
    request: Request, next: Annotated[str, Query(max_length=500)] = "/missions"
) -> HTMLResponse:
    return render(request, "sign_in.html", next=next)


# -- join flow ---------------------------------------------------------------------------------


@router.get("/join")
async def join_page(request: Request) -> HTMLResponse:
    # The seat's token stays in the URL's fragment: it never reaches server logs.
    chosen = request.query_params.get("lang") in LANGUAGES or (
        request.cookies.get(COOKIE) in LANGUAGES
    )
    return render(request, "join.html", currencies=CURRENCIES, lang_chosen=chosen)

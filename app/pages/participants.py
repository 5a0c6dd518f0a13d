"""Console pages for a mission's companies, buyers and interpreters: list, add, edit, delete,
and each party's scheduling plan (booth or room, time zone, availability)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import user_actor
from app.dependencies import SessionDep
from app.errors import AppError
from app.missions.models import Mission, Venue, VenueKind
from app.pages import forms
from app.pages.access import PageUser, changeable, readable, writable
from app.pages.forms import Field, Problems, problem
from app.pages.rendering import not_found, render
from app.pages.zones import mission_zones, plans_of
from app.participants import service
from app.participants.exceptions import ParticipantInUse, ParticipantNameTaken
from app.participants.languages import buyer_spoken
from app.participants.models import Buyer, Company, Interpreter
from app.participants.schemas import (
    BuyerCreate,
    BuyerUpdate,
    CompanyCreate,
    CompanyUpdate,
    InterpreterCreate,
    InterpreterUpdate,
)
from app.scheduling import service as scheduling
from app.scheduling.models import PartyKind, PartyPlan
from app.scheduling.schemas import PartyPlanWrite
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

Kind = Literal["companies", "buyers", "interpreters"]
KINDS: tuple[Kind, ...] = ("companies", "buyers", "interpreters")
MODELS: dict[Kind, type[Company] | type[Buyer] | type[Interpreter]] = {
    "companies": Company, "buyers": Buyer, "interpreters": Interpreter,
}
PARTY: dict[Kind, PartyKind] = {
    "companies": PartyKind.COMPANY, "buyers": PartyKind.BUYER,
    "interpreters": PartyKind.INTERPRETER,
}
CREATE: dict[Kind, type[BaseModel]] = {
    "companies": CompanyCreate, "buyers": BuyerCreate, "interpreters": InterpreterCreate,
}
UPDATE: dict[Kind, type[BaseModel]] = {
    "companies": CompanyUpdate, "buyers": BuyerUpdate, "interpreters": InterpreterUpdate,
}
AVAILABILITY_ROWS = 3  # blank rows offered below the saved windows

_TEXT = Field("", "form.accepts.text", {"max": 200})
FIELDS: dict[Kind, dict[str, Field]] = {
    "companies": {
        "name": Field("field.company.name", "form.accepts.name", {"max": 200}),
        "industry": Field("field.company.industry", "form.accepts.industry", {"max": 100}),
        "products": Field("field.company.products", "form.accepts.list"),
        "languages": Field("field.company.languages", "form.accepts.languages"),
        "contact_name": Field("field.company.contact_name", "form.accepts.text", {"max": 200}),
        "contact_email": Field("field.company.contact_email", "form.accepts.email"),
        "contact_phone": Field("field.company.contact_phone", "form.accepts.phone"),
        "website": Field("field.company.website", "form.accepts.website"),
        "description": Field("field.company.description", "form.accepts.text", {"max": 10000}),
        "venue_id": Field("party.booth", "form.accepts.choice"),
        "availability": Field("party.availability", "form.accepts.availability"),
    },
    "buyers": {
        "company_name": Field("field.buyer.company_name", "form.accepts.name", {"max": 200}),
        "name": Field("field.buyer.name", "form.accepts.name", {"max": 200}),
        "country": Field("field.buyer.country", "form.accepts.country"),
        "city": Field("field.buyer.city", "form.accepts.text", {"max": 100}),
        "languages": Field("field.buyer.languages", "form.accepts.languages"),
        "industries_sought": Field("field.buyer.industries_sought", "form.accepts.list"),
        "products_sought": Field("field.buyer.products_sought", "form.accepts.list"),
        "contact_email": Field("field.buyer.contact_email", "form.accepts.email"),
        "venue_id": Field("party.room", "form.accepts.choice"),
        "timezone": Field("party.timezone", "form.accepts.timezone"),
        "availability": Field("party.availability", "form.accepts.availability"),
    },
    "interpreters": {
        "name": Field("field.interpreter.name", "form.accepts.name", {"max": 200}),
        "language_pairs": Field("field.interpreter.language_pairs", "form.accepts.language_pairs"),
        "contact_email": Field("field.interpreter.contact_email", "form.accepts.email"),
        "timezone": Field("party.timezone", "form.accepts.timezone"),
        "availability": Field("party.availability", "form.accepts.availability"),
    },
}
LISTS = {"products", "industries_sought", "products_sought"}


@dataclass
class Parsed:
    data: dict[str, Any] = field(default_factory=dict)
    venue_id: int | None = None
    timezone: str = ""
    availability: list[tuple[datetime, datetime]] | None = None
    problems: Problems = field(default_factory=dict)


def _kind(value: str) -> Kind | None:
    return value if value in KINDS else None  # type: ignore[return-value]


def _display(kind: Kind, row: Any) -> dict[str, str]:
    """A row's fields as the form shows them."""
    values: dict[str, str] = {}
    for name in FIELDS[kind]:
        value = getattr(row, name, None)
        if isinstance(value, list):
            values[name] = ", ".join(value)
        elif value is not None:
            values[name] = str(value)
    return values


async def _venues(session: AsyncSession, mission: Mission) -> list[Venue]:
    return list(
        await session.scalars(
            select(Venue).where(Venue.mission_id == mission.id).order_by(Venue.name)
        )
    )


def _plan_values(plan: PartyPlan | None, zone: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "venue_id": str(plan.venue_id) if plan and plan.venue_id else "",
        "timezone": plan.timezone if plan else "",
        "windows": [],
    }
    if plan and plan.availability:
        from zoneinfo import ZoneInfo

        local = ZoneInfo(zone)
        for start, end in plan.availability:
            a = datetime.fromisoformat(start).astimezone(local)
            b = datetime.fromisoformat(end).astimezone(local)
            values["windows"].append(
                (a.date().isoformat(), a.strftime("%H:%M"), b.strftime("%H:%M"))
            )
    return values


def _parse(kind: Kind, form: Any, venues: list[Venue], mission: Mission) -> Parsed:
    values = {key: str(value).strip() for key, value in form.items()}
    specs = FIELDS[kind]
    parsed = Parsed()
    data = parsed.data
    for name in CREATE[kind].model_fields:
        raw = values.get(name, "")
        if name in LISTS:
            data[name] = forms.text_list(raw)
        elif name == "languages":
            languages = forms.language_list(raw)
            if languages is None:
                parsed.problems[name] = problem(name, specs[name])
            else:
                data[name] = languages
        elif name == "language_pairs":
            pairs = forms.language_pairs(raw)
            if not pairs:
                parsed.problems[name] = problem(name, specs[name])
            else:
                data[name] = pairs
        elif name == "country":
            code = forms.country_code(raw)
            if code is None:
                parsed.problems[name] = problem(name, specs[name])
            else:
                data[name] = code
        elif name in specs:
            data[name] = raw
    try:
        validated = CREATE[kind].model_validate(data)
    except ValidationError as exc:
        for name, found in forms.problems_of(exc, specs).items():
            parsed.problems.setdefault(name, found)
    else:
        parsed.data = validated.model_dump()

    # The scheduling plan: a booth or room of the mission, a zone, availability rows.
    if "venue_id" in specs and values.get("venue_id"):
        wanted = {
            "companies": VenueKind.BOOTH, "buyers": VenueKind.BUSINESS_CENTRE,
        }[kind]
        chosen = next(
            (v for v in venues if str(v.id) == values["venue_id"] and v.kind is wanted), None
        )
        if chosen is None:
            parsed.problems["venue_id"] = problem("venue_id", specs["venue_id"])
        else:
            parsed.venue_id = chosen.id
    zone = mission.timezone
    if kind == "companies" and parsed.venue_id is not None:
        zone = next(v.timezone for v in venues if v.id == parsed.venue_id)
    elif kind == "companies":
        booth_zones = {v.timezone for v in venues if v.kind is VenueKind.BOOTH}
        zone = next(iter(booth_zones)) if len(booth_zones) == 1 else mission.timezone
    if "timezone" in specs:
        raw_zone = values.get("timezone", "")
        if kind == "buyers" and parsed.venue_id is not None:
            zone = next(v.timezone for v in venues if v.id == parsed.venue_id)
            if raw_zone and forms.time_zone(raw_zone) is None:
                parsed.problems["timezone"] = problem("timezone", specs["timezone"])
        elif kind == "buyers":
            found, zones = forms.zone_for(parsed.data.get("country"), raw_zone)
            if found is None and raw_zone:
                parsed.problems["timezone"] = problem("timezone", specs["timezone"])
            elif found is None and len(zones) > 1:
                parsed.problems["timezone"] = problem(
                    "timezone", specs["timezone"], "form.accepts.timezone_of_country",
                    zones=", ".join(zones),
                )
            zone = found or zone
        elif raw_zone:
            found = forms.time_zone(raw_zone)
            if found is None:
                parsed.problems["timezone"] = problem("timezone", specs["timezone"])
            zone = found or zone
        parsed.timezone = forms.time_zone(raw_zone) or ""
    rows = []
    index = 0
    while f"avail_day_{index}" in values and index < 100:
        rows.append(
            (values[f"avail_day_{index}"], values.get(f"avail_from_{index}", ""),
             values.get(f"avail_to_{index}", ""))
        )
        index += 1
    windows = forms.windows(rows, zone)
    if windows is None:
        parsed.problems["availability"] = problem("availability", specs["availability"])
    elif windows:
        parsed.availability = windows
    return parsed


async def _save_plan(
    session: AsyncSession, mission: Mission, kind: Kind, party_id: int, parsed: Parsed,
    existing: PartyPlan | None,
) -> None:
    if existing is None and parsed.venue_id is None and not parsed.timezone and (
        parsed.availability is None
    ):
        return  # nothing beyond the defaults: no plan row
    await scheduling.put_plan(
        session=session, mission=mission, kind=PARTY[kind], party_id=party_id,
        data=PartyPlanWrite(
            venue_id=parsed.venue_id, timezone=parsed.timezone or None,
            availability=parsed.availability,
        ),
    )


async def _list_context(
    session: AsyncSession, mission: Mission, kind: Kind
) -> dict[str, Any]:
    model = MODELS[kind]
    order = model.company_name if model is Buyer else model.name  # type: ignore[union-attr]
    rows = list(await session.scalars(select(model).where(model.mission_id == mission.id)
                                      .order_by(order, model.id)))
    zones = await mission_zones(session, mission)
    zone_of = {"companies": zones.company, "buyers": zones.buyer,
               "interpreters": zones.interpreter}[kind]
    return {
        "rows": rows,
        "zone_of": zone_of,
        "spoken": {row.id: buyer_spoken(row) for row in rows} if kind == "buyers" else {},
        "plans": {pid: plan for (pk, pid), plan in (await plans_of(session, mission)).items()
                  if pk is PARTY[kind]},
    }


def _form_context(mission: Mission, venues: list[Venue], kind: Kind) -> dict[str, Any]:
    from app.pages.router import TIME_ZONES

    wanted = VenueKind.BOOTH if kind == "companies" else VenueKind.BUSINESS_CENTRE
    return {
        "choices": [v for v in venues if v.kind is wanted],
        "time_zones": TIME_ZONES,
        "days": _days(mission),
        "blank_rows": AVAILABILITY_ROWS,
    }


def _days(mission: Mission) -> list[Any]:
    from app.pages.schedule import mission_days

    return mission_days(mission)


async def _page(
    request: Request, session: AsyncSession, user: Any, mission: Mission, kind: Kind, *,
    values: dict[str, Any] | None = None, problems: Problems | None = None,
    status_code: int = 200, saved: str | None = None,
) -> HTMLResponse:
    venues = await _venues(session, mission)
    return render(
        request, "participants.html", status_code=status_code, mission=mission, kind=kind,
        section=kind, can_change=await changeable(session, user, mission),
        values=values or {"languages": "ko"} if kind == "companies" else values or {},
        problems=problems or {}, saved=saved,
        **await _list_context(session, mission, kind), **_form_context(mission, venues, kind),
    )


async def list_page(
    request: Request, session: AsyncSession, mission_id: int, kind: str, user: Any
) -> HTMLResponse:
    chosen = _kind(kind)
    mission = await readable(session, user, mission_id)
    if mission is None or chosen is None:
        return not_found(request, "mission")
    saved = request.query_params.get("saved")
    return await _page(request, session, user, mission, chosen, saved=saved)


async def add(
    request: Request, session: AsyncSession, mission_id: int, kind: str, user: Any
) -> Response:
    chosen = _kind(kind)
    mission = await writable(session, user, mission_id)
    if mission is None or chosen is None:
        return not_found(request, "mission")
    form = await request.form()
    venues = await _venues(session, mission)
    parsed = _parse(chosen, form, venues, mission)
    values = {key: str(value) for key, value in form.items()}
    if not parsed.problems:
        try:
            row = await _create(session, mission, chosen, parsed.data)
        except ParticipantNameTaken:
            name = "company_name" if chosen == "buyers" else "name"
            parsed.problems[name] = problem(name, FIELDS[chosen][name], "form.accepts.unique")
        else:
            mission = await session.get_one(Mission, mission_id)
            await _save_plan(session, mission, chosen, row.id, parsed, None)
            return RedirectResponse(
                f"/missions/{mission_id}/{chosen}?saved={row.id}#row-{row.id}", status_code=303
            )
        mission = await session.get_one(Mission, mission_id)  # the refusal rolled back
    return await _page(request, session, user, mission, chosen, values=values,
                       problems=parsed.problems)


async def _create(session: AsyncSession, mission: Mission, kind: Kind, data: dict[str, Any]) -> Any:
    if kind == "companies":
        return await service.create_company(
            session=session, mission=mission, data=CompanyCreate.model_validate(data)
        )
    if kind == "buyers":
        return await service.create_buyer(
            session=session, mission=mission, data=BuyerCreate.model_validate(data)
        )
    return await service.create_interpreter(
        session=session, mission=mission, data=InterpreterCreate.model_validate(data)
    )


async def _row(session: AsyncSession, mission: Mission, kind: Kind, row_id: int) -> Any:
    row = await session.get(MODELS[kind], row_id)
    return row if row is not None and row.mission_id == mission.id else None


async def _edit_page(
    request: Request, session: AsyncSession, mission: Mission, kind: Kind, row: Any, *,
    values: dict[str, Any] | None = None, problems: Problems | None = None,
    refused: str | None = None, can_change: bool = True,
) -> HTMLResponse:
    venues = await _venues(session, mission)
    plans = await plans_of(session, mission)
    plan = plans.get((PARTY[kind], row.id))
    zones = await mission_zones(session, mission)
    zone = {"companies": zones.company, "buyers": zones.buyer,
            "interpreters": zones.interpreter}[kind].get(row.id, mission.timezone)
    shown = values if values is not None else {**_display(kind, row), **_plan_values(plan, zone)}
    if values is not None:
        shown.setdefault("windows", [])
    return render(
        request, "participant.html", mission=mission, kind=kind, section=kind, row=row,
        values=shown, problems=problems or {}, refused=refused, zone=zone,
        can_change=can_change, spoken=buyer_spoken(row) if kind == "buyers" else None,
        **_form_context(mission, venues, kind),
    )


async def edit_page(
    request: Request, session: AsyncSession, mission_id: int, kind: str, row_id: int, user: Any
) -> HTMLResponse:
    chosen = _kind(kind)
    mission = await readable(session, user, mission_id)
    row = await _row(session, mission, chosen, row_id) if mission and chosen else None
    if mission is None or chosen is None or row is None:
        return not_found(request, "participant")
    return await _edit_page(request, session, mission, chosen, row,
                            can_change=await changeable(session, user, mission))


async def save(
    request: Request, session: AsyncSession, mission_id: int, kind: str, row_id: int, user: Any
) -> Response:
    chosen = _kind(kind)
    mission = await writable(session, user, mission_id)
    row = await _row(session, mission, chosen, row_id) if mission and chosen else None
    if mission is None or chosen is None or row is None:
        return not_found(request, "participant")
    form = await request.form()
    venues = await _venues(session, mission)
    parsed = _parse(chosen, form, venues, mission)
    values = {key: str(value) for key, value in form.items()}
    if not parsed.problems:
        update = UPDATE[chosen].model_validate(parsed.data)
        try:
            if chosen == "companies":
                await service.update_company(session=session, company=row, data=update,  # type: ignore[arg-type]
                                             actor=user_actor(user))
            elif chosen == "buyers":
                await service.update_buyer(session=session, buyer=row, data=update,  # type: ignore[arg-type]
                                           actor=user_actor(user))
            else:
                await service.update_interpreter(session=session, interpreter=row, data=update,  # type: ignore[arg-type]
                                                 actor=user_actor(user))
        except ParticipantNameTaken:
            name = "company_name" if chosen == "buyers" else "name"
            parsed.problems[name] = problem(name, FIELDS[chosen][name], "form.accepts.unique")
        else:
            mission = await session.get_one(Mission, mission_id)
            plan = (await plans_of(session, mission)).get((PARTY[chosen], row_id))
            try:
                await _save_plan(session, mission, chosen, row_id, parsed, plan)
            except AppError:
                parsed.problems["venue_id"] = problem("venue_id", FIELDS[chosen].get(
                    "venue_id", FIELDS[chosen]["timezone"]))
            else:
                return RedirectResponse(
                    f"/missions/{mission_id}/{chosen}?saved={row_id}#row-{row_id}",
                    status_code=303,
                )
        mission = await session.get_one(Mission, mission_id)  # a refusal rolled back
        row = await _row(session, mission, chosen, row_id)
    values["windows"] = []
    return await _edit_page(request, session, mission, chosen, row, values=values,
                            problems=parsed.problems)


async def delete(
    request: Request, session: AsyncSession, mission_id: int, kind: str, row_id: int, user: Any
) -> Response:
    chosen = _kind(kind)
    mission = await writable(session, user, mission_id)
    row = await _row(session, mission, chosen, row_id) if mission and chosen else None
    if mission is None or chosen is None or row is None:
        return not_found(request, "participant")
    try:
        if chosen == "companies":
            await service.delete_company(session=session, company=row, actor=user_actor(user))
        elif chosen == "buyers":
            await service.delete_buyer(session=session, buyer=row, actor=user_actor(user))
        else:
            await service.delete_interpreter(
                session=session, interpreter=row, actor=user_actor(user)
            )
    except ParticipantInUse as exc:
        mission = await session.get_one(Mission, mission_id)
        row = await _row(session, mission, chosen, row_id)
        count = len(exc.details.get("meeting_ids", []))
        return await _edit_page(request, session, mission, chosen, row,
                                refused=str(count))
    return RedirectResponse(f"/missions/{mission_id}/{chosen}?deleted=1", status_code=303)


def _register(kind: Kind) -> None:
    """The pages of one kind, on fixed paths (/missions/{id}/companies, ...)."""
    base = f"/missions/{{mission_id}}/{kind}"

    @router.get(base, name=f"{kind}_list")
    async def _list(
        request: Request, session: SessionDep, mission_id: PathId, user: PageUser
    ) -> HTMLResponse:
        return await list_page(request, session, mission_id, kind, user)

    @router.post(base, name=f"{kind}_add")
    async def _add(
        request: Request, session: SessionDep, mission_id: PathId, user: PageUser
    ) -> Response:
        return await add(request, session, mission_id, kind, user)

    @router.get(base + "/{row_id}", name=f"{kind}_edit")
    async def _edit(
        request: Request, session: SessionDep, mission_id: PathId, row_id: PathId,
        user: PageUser,
    ) -> HTMLResponse:
        return await edit_page(request, session, mission_id, kind, row_id, user)

    @router.post(base + "/{row_id}", name=f"{kind}_save")
    async def _save(
        request: Request, session: SessionDep, mission_id: PathId, row_id: PathId,
        user: PageUser,
    ) -> Response:
        return await save(request, session, mission_id, kind, row_id, user)

    @router.post(base + "/{row_id}/delete", name=f"{kind}_delete")
    async def _delete(
        request: Request, session: SessionDep, mission_id: PathId, row_id: PathId,
        user: PageUser,
    ) -> Response:
        return await delete(request, session, mission_id, kind, row_id, user)


for _kind_name in KINDS:
    _register(_kind_name)

"""Console page to change a mission's basics and status, and to remove an unused venue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.audit.service import user_actor
from app.dependencies import SessionDep
from app.errors import AppError
from app.missions import service as missions
from app.missions.exceptions import VenueInUse
from app.missions.models import Mission, MissionStatus, Venue
from app.missions.schemas import MissionUpdate
from app.pages import forms
from app.pages.access import PageUser, writable
from app.pages.rendering import not_found, render
from app.schemas import PathId

router = APIRouter(include_in_schema=False)


def _values(mission: Mission) -> dict[str, str]:
    return {
        "name": mission.name, "start_date": mission.start_date.isoformat(),
        "end_date": mission.end_date.isoformat(),
        "target_countries": ", ".join(mission.target_countries), "timezone": mission.timezone,
        "currency": mission.currency, "slot_minutes": str(mission.slot_minutes),
        "status": mission.status.value,
    }


def _page(request: Request, mission: Mission, values: dict[str, Any],
          problems: forms.Problems) -> HTMLResponse:
    from app.pages.router import CURRENCIES, TIME_ZONES

    return render(
        request, "mission_new.html", editing=mission, values=values, problems=problems,
        time_zones=TIME_ZONES, currencies=CURRENCIES, organisations=[],
        statuses=[s.value for s in MissionStatus],
    )


@router.get("/missions/{mission_id}/edit")
async def edit_page(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> HTMLResponse:
    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    return _page(request, mission, _values(mission), {})


@router.post("/missions/{mission_id}/edit")
async def save(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> Response:
    from app.pages.router import MISSION_FIELDS

    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    problems: forms.Problems = {}
    countries: list[str] = []
    for item in forms.text_list(values.get("target_countries", "")):
        code = forms.country_code(item)
        if code is None:
            problems["target_countries"] = forms.problem(
                "target_countries", MISSION_FIELDS["target_countries"], item=item
            )
        elif code not in countries:
            countries.append(code)
    fields = {**MISSION_FIELDS, "status": forms.Field("mission.status", "form.accepts.choice")}
    try:
        data = MissionUpdate.model_validate({
            "name": values.get("name", ""), "start_date": values.get("start_date") or None,
            "end_date": values.get("end_date") or None, "target_countries": countries,
            "timezone": values.get("timezone") or None, "currency": values.get("currency") or None,
            "slot_minutes": values.get("slot_minutes") or None,
            "status": values.get("status") or None,
        })
    except ValidationError as exc:
        for name, found in forms.problems_of(exc, fields).items():
            problems.setdefault(name, found)
    if not problems:
        try:
            await missions.update(session=session, mission=mission, data=data,
                                  actor=user_actor(user))
        except AppError as exc:
            name = "end_date" if "date" in exc.message else "name"
            accepts = None if name == "end_date" else "form.accepts.unique"
            problems[name] = forms.problem(name, fields[name], accepts)
        else:
            return RedirectResponse(f"/missions/{mission_id}?edited=1", status_code=303)
        mission = await session.get_one(Mission, mission_id)
    return _page(request, mission, values, problems)


@router.post("/missions/{mission_id}/venues/{venue_id}/delete")
async def delete_venue(
    request: Request, session: SessionDep, mission_id: PathId, venue_id: PathId,
    user: PageUser,
) -> Response:
    mission = await writable(session, user, mission_id)
    venue = await session.get(Venue, venue_id) if mission else None
    if mission is None or venue is None or venue.mission_id != mission.id:
        return not_found(request, "mission")
    try:
        await missions.delete_venue(session=session, venue=venue, actor=user_actor(user))
    except VenueInUse:
        return RedirectResponse(f"/missions/{mission_id}?venue_in_use={venue_id}#venues",
                                status_code=303)
    return RedirectResponse(f"/missions/{mission_id}?venue_deleted=1#venues", status_code=303)

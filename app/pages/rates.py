"""Console page of a mission's exchange-rate table (app/money): see it and enter rates.

A rate is how many units of a currency one US dollar buys on a date; outcomes in other
currencies are reported in USD and KRW with the rate dated on or before their day.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import user_actor
from app.dependencies import SessionDep
from app.errors import AppError
from app.missions.models import Mission
from app.money import service as money
from app.money.schemas import ExchangeRateIn
from app.outcomes.actors import Actor, Role
from app.pages.access import PageUser, changeable, readable, writable
from app.pages.forms import Field, Problems, problem, problems_of
from app.pages.rendering import not_found, render
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

FIELDS = {
    "currency": Field("rates.currency", "form.accepts.rate_currency"),
    "rate_date": Field("rates.date", "form.accepts.date"),
    "units_per_usd": Field("rates.units_per_usd", "form.accepts.rate"),
}


async def _page(
    request: Request, session: AsyncSession, user: Any, mission: Mission, *,
    values: dict[str, str] | None = None, problems: Problems | None = None,
) -> HTMLResponse:
    from app.pages.router import CURRENCIES

    rates = await money.list_rates(session=session, mission_id=mission.id)
    return render(
        request, "rates.html", mission=mission, section="rates", rates=rates,
        can_change=await changeable(session, user, mission),
        currencies=[c for c in CURRENCIES if c != "USD"],
        values=values or {"currency": "KRW" if mission.currency == "USD" else mission.currency,
                          "rate_date": mission.start_date.isoformat()},
        problems=problems or {}, saved=request.query_params.get("saved"),
    )


@router.get("/missions/{mission_id}/rates")
async def rates_page(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    return await _page(request, session, user, mission)


@router.post("/missions/{mission_id}/rates")
async def add_rate(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> Response:
    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    problems: Problems = {}
    currency = values.get("currency", "").upper()
    if currency == "USD":
        problems["currency"] = problem("currency", FIELDS["currency"])
    try:
        rate = ExchangeRateIn.model_validate({
            "currency": currency,
            "rate_date": values.get("rate_date") or None,
            "units_per_usd": values.get("units_per_usd", "").replace(",", "").replace(" ", ""),
        })
    except ValidationError as exc:
        for name, found in problems_of(exc, FIELDS).items():
            problems.setdefault(name, found)
    if not problems:
        try:
            await money.set_rates(
                session=session, mission_id=mission.id, rates=[rate],
                actor=Actor(name=user.name, role=Role.ORGANISER, audit=user_actor(user)),
            )
        except AppError:
            problems["units_per_usd"] = problem("units_per_usd", FIELDS["units_per_usd"])
        else:
            # A rate asked for on the results or import page goes back there.
            back = {"results": "results", "import": "import?kind=meetings"}.get(
                values.get("back", ""), f"rates?saved={currency}"
            )
            return RedirectResponse(f"/missions/{mission_id}/{back}", status_code=303)
        mission = await session.get_one(Mission, mission_id)
    return await _page(request, session, user, mission, values=values, problems=problems)

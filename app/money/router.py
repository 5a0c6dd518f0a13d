"""HTTP API of a mission's exchange-rate table."""

from __future__ import annotations

from fastapi import APIRouter

from app.dependencies import SessionDep
from app.money import service
from app.money.routing import DecimalJSONRoute
from app.money.schemas import ExchangeRateOut, ExchangeRatesIn
from app.outcomes.actors import Actor
from app.schemas import PathId

router = APIRouter(
    prefix="/missions/{mission_id}/exchange-rates",
    tags=["exchange rates"],
    route_class=DecimalJSONRoute,
)


@router.get("", response_model=list[ExchangeRateOut], summary="The mission's exchange-rate table")
async def list_exchange_rates(mission_id: PathId, session: SessionDep) -> list[ExchangeRateOut]:
    rows = await service.list_rates(session=session, mission_id=mission_id)
    return [ExchangeRateOut.model_validate(row) for row in rows]


@router.put(
    "",
    response_model=list[ExchangeRateOut],
    summary="Add or correct rates (organiser); returns the whole table",
    description="A rate is how many units of the currency one US dollar buys on that date. "
    "An amount uses the rate dated on or before its day; KRW figures go through USD.",
)
async def put_exchange_rates(
    mission_id: PathId, body: ExchangeRatesIn, session: SessionDep
) -> list[ExchangeRateOut]:
    rows = await service.set_rates(
        session=session,
        mission_id=mission_id,
        rates=body.rates,
        actor=Actor(name=body.entered_by, role=body.role),
    )
    return [ExchangeRateOut.model_validate(row) for row in rows]

"""HTTP routes for companies, buyers and interpreters (created and listed per mission)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.audit.service import user_actor
from app.auth.dependencies import CurrentUser
from app.dependencies import SessionDep
from app.missions.dependencies import MissionDep
from app.paging import PagingDep, page
from app.participants import service
from app.participants.dependencies import BuyerDep, CompanyDep, InterpreterDep
from app.participants.models import Buyer, Company, Interpreter
from app.participants.schemas import (
    BuyerCreate,
    BuyerRead,
    BuyerUpdate,
    CompanyCreate,
    CompanyRead,
    CompanyUpdate,
    InterpreterCreate,
    InterpreterRead,
    InterpreterUpdate,
)
from app.schemas import CountryCode, LanguageCode, LanguagePair, Page

companies_router = APIRouter(tags=["companies"])
buyers_router = APIRouter(tags=["buyers"])
interpreters_router = APIRouter(tags=["interpreters"])

Text = Annotated[str | None, Query(max_length=200)]


@companies_router.get(
    "/missions/{mission_id}/companies", response_model=Page[CompanyRead],
    summary="List a mission's companies",
)
async def list_companies(
    session: SessionDep,
    mission: MissionDep,
    paging: PagingDep,
    industry: Text = None,
    language: Annotated[LanguageCode | None, Query()] = None,
    product: Text = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_companies(
        session=session, mission=mission, paging=paging,
        industry=industry, language=language, product=product, q=q,
    )
    return page(items, total, paging)


@companies_router.post(
    "/missions/{mission_id}/companies", response_model=CompanyRead,
    status_code=status.HTTP_201_CREATED, summary="Register a company",
)
async def create_company(session: SessionDep, mission: MissionDep, body: CompanyCreate) -> Company:
    return await service.create_company(session=session, mission=mission, data=body)


@companies_router.get("/companies/{company_id}", response_model=CompanyRead, summary="Read")
async def read_company(company: CompanyDep) -> Company:
    return company


@companies_router.patch(
    "/companies/{company_id}",
    response_model=CompanyRead,
    summary="Update",
)
async def update_company(
    session: SessionDep, user: CurrentUser, company: CompanyDep, body: CompanyUpdate
) -> Company:
    return await service.update_company(
        session=session, company=company, data=body, actor=user_actor(user)
    )


@companies_router.delete(
    "/companies/{company_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a company that is in no meeting",
)
async def delete_company(session: SessionDep, user: CurrentUser, company: CompanyDep) -> None:
    await service.delete_company(session=session, company=company, actor=user_actor(user))


@buyers_router.get(
    "/missions/{mission_id}/buyers", response_model=Page[BuyerRead],
    summary="List a mission's buyers",
)
async def list_buyers(
    session: SessionDep,
    mission: MissionDep,
    paging: PagingDep,
    country: Annotated[CountryCode | None, Query()] = None,
    city: Text = None,
    industry: Annotated[str | None, Query(max_length=100, description="Industry sought.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of a name.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_buyers(
        session=session, mission=mission, paging=paging,
        country=country, city=city, industry=industry, q=q,
    )
    return page(items, total, paging)


@buyers_router.post(
    "/missions/{mission_id}/buyers", response_model=BuyerRead,
    status_code=status.HTTP_201_CREATED, summary="Register a buyer",
)
async def create_buyer(session: SessionDep, mission: MissionDep, body: BuyerCreate) -> Buyer:
    return await service.create_buyer(session=session, mission=mission, data=body)


@buyers_router.get("/buyers/{buyer_id}", response_model=BuyerRead, summary="Read a buyer")
async def read_buyer(buyer: BuyerDep) -> Buyer:
    return buyer


@buyers_router.patch(
    "/buyers/{buyer_id}",
    response_model=BuyerRead,
    summary="Update a buyer",
)
async def update_buyer(
    session: SessionDep, user: CurrentUser, buyer: BuyerDep, body: BuyerUpdate
) -> Buyer:
    return await service.update_buyer(
        session=session, buyer=buyer, data=body, actor=user_actor(user)
    )


@buyers_router.delete(
    "/buyers/{buyer_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a buyer who is in no meeting",
)
async def delete_buyer(session: SessionDep, user: CurrentUser, buyer: BuyerDep) -> None:
    await service.delete_buyer(session=session, buyer=buyer, actor=user_actor(user))


@interpreters_router.get(
    "/missions/{mission_id}/interpreters", response_model=Page[InterpreterRead],
    summary="List a mission's interpreters",
)
async def list_interpreters(
    session: SessionDep,
    mission: MissionDep,
    paging: PagingDep,
    language_pair: Annotated[LanguagePair | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_interpreters(
        session=session, mission=mission, paging=paging, language_pair=language_pair, q=q
    )
    return page(items, total, paging)


@interpreters_router.post(
    "/missions/{mission_id}/interpreters", response_model=InterpreterRead,
    status_code=status.HTTP_201_CREATED, summary="Book an interpreter for the mission",
)
async def create_interpreter(
    session: SessionDep, mission: MissionDep, body: InterpreterCreate
) -> Interpreter:
    return await service.create_interpreter(session=session, mission=mission, data=body)


@interpreters_router.get(
    "/interpreters/{interpreter_id}", response_model=InterpreterRead, summary="Read an interpreter"
)
async def read_interpreter(interpreter: InterpreterDep) -> Interpreter:
    return interpreter


@interpreters_router.patch(
    "/interpreters/{interpreter_id}", response_model=InterpreterRead,
    summary="Update an interpreter",
)
async def update_interpreter(
    session: SessionDep, user: CurrentUser, interpreter: InterpreterDep, body: InterpreterUpdate
) -> Interpreter:
    return await service.update_interpreter(
        session=session, interpreter=interpreter, data=body, actor=user_actor(user)
    )


@interpreters_router.delete(
    "/interpreters/{interpreter_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an interpreter who is in no meeting",
)
async def delete_interpreter(
    session: SessionDep, user: CurrentUser, interpreter: InterpreterDep
) -> None:
    await service.delete_interpreter(
        session=session, interpreter=interpreter, actor=user_actor(user)
    )

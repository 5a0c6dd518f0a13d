"""HTTP routes of matching: what each side wants, suggestions, and meeting requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.dependencies import SessionDep
from app.matching import service
from app.matching.dependencies import RequestDep
from app.matching.models import (
    BuyerWantsRecord,
    CompanyWantsRecord,
    MeetingRequest,
    RequestStatus,
)
from app.matching.schemas import (
    Approve,
    BuyerWants,
    BuyerWantsRead,
    CompanyWants,
    CompanyWantsRead,
    RequestCreate,
    RequestRead,
    Suggestion,
)
from app.missions.dependencies import MissionDep
from app.paging import PagingDep, page
from app.participants.dependencies import BuyerDep, CompanyDep
from app.schemas import Page, PrimaryKey

router = APIRouter(tags=["matching"])

Limit = Annotated[int, Query(ge=1, le=500)]
MinScore = Annotated[float, Query(ge=0, le=100)]


@router.get("/companies/{company_id}/wants", response_model=CompanyWantsRead,
            summary="What a company seeks in buyers")
async def read_company_wants(session: SessionDep, company: CompanyDep) -> CompanyWantsRecord:
    return await service.company_wants(session=session, company=company)


@router.put("/companies/{company_id}/wants", response_model=CompanyWantsRead,
            summary="Set what a company seeks in buyers")
async def put_company_wants(
    session: SessionDep, company: CompanyDep, body: CompanyWants
) -> CompanyWantsRecord:
    return await service.put_company_wants(session=session, company=company, data=body)


@router.get("/buyers/{buyer_id}/wants", response_model=BuyerWantsRead,
            summary="A buyer's own trade and the origins it seeks")
async def read_buyer_wants(session: SessionDep, buyer: BuyerDep) -> BuyerWantsRecord:
    return await service.buyer_wants(session=session, buyer=buyer)


@router.put("/buyers/{buyer_id}/wants", response_model=BuyerWantsRead,
            summary="Set a buyer's own trade and the origins it seeks")
async def put_buyer_wants(
    session: SessionDep, buyer: BuyerDep, body: BuyerWants
) -> BuyerWantsRecord:
    return await service.put_buyer_wants(session=session, buyer=buyer, data=body)


@router.get("/buyers/{buyer_id}/matches", response_model=list[Suggestion],
            summary="The mission's companies that best fit a buyer, explained")
async def companies_for_buyer(
    session: SessionDep, buyer: BuyerDep, limit: Limit = 20, min_score: MinScore = 0
) -> list[dict[str, Any]]:
    scores = await service.companies_for(
        session=session, buyer=buyer, limit=limit, min_score=min_score
    )
    return [service.suggestion(score) for score in scores]


@router.get("/companies/{company_id}/matches", response_model=list[Suggestion],
            summary="The mission's buyers that best fit a company, explained")
async def buyers_for_company(
    session: SessionDep, company: CompanyDep, limit: Limit = 20, min_score: MinScore = 0
) -> list[dict[str, Any]]:
    scores = await service.buyers_for(
        session=session, company=company, limit=limit, min_score=min_score
    )
    return [service.suggestion(score) for score in scores]


@router.post("/missions/{mission_id}/meeting-requests",
             response_model=RequestRead, status_code=status.HTTP_201_CREATED,
             summary="Ask for a meeting (company, buyer or organiser); scored on creation")
async def create_request(
    session: SessionDep, mission: MissionDep, body: RequestCreate
) -> MeetingRequest:
    return await service.create_request(session=session, mission=mission, data=body)


@router.get("/missions/{mission_id}/meeting-requests", response_model=Page[RequestRead],
            summary="The organiser's view: a mission's requests, best score first")
async def list_requests(
    session: SessionDep,
    mission: MissionDep,
    paging: PagingDep,
    request_status: Annotated[RequestStatus | None, Query(alias="status")] = None,
    company_id: Annotated[PrimaryKey | None, Query()] = None,
    buyer_id: Annotated[PrimaryKey | None, Query()] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> dict[str, Any]:
    items, total = await service.list_requests(
        session=session, mission=mission, paging=paging, status=request_status,
        company_id=company_id, buyer_id=buyer_id, min_score=min_score,
    )
    return page(items, total, paging)


@router.get("/meeting-requests/{request_id}", response_model=RequestRead,
            summary="Read a meeting request")
async def read_request(request: RequestDep) -> MeetingRequest:
    return request


@router.post("/meeting-requests/{request_id}/accept",
             response_model=RequestRead, summary="The other side accepts")
async def accept_request(session: SessionDep, request: RequestDep) -> MeetingRequest:
    return await service.decide(session=session, request=request, status=RequestStatus.ACCEPTED)


@router.post("/meeting-requests/{request_id}/decline",
             response_model=RequestRead,
             summary="Decline (either side or the organiser; an approved one leaves the list)")
async def decline_request(session: SessionDep, request: RequestDep) -> MeetingRequest:
    return await service.decide(session=session, request=request, status=RequestStatus.DECLINED)


@router.post("/meeting-requests/{request_id}/approve",
             response_model=RequestRead,
             summary="Put on the organiser's final list, with a priority")
async def approve_request(
    session: SessionDep, request: RequestDep, body: Approve
) -> MeetingRequest:
    return await service.decide(
        session=session, request=request, status=RequestStatus.APPROVED, priority=body.priority
    )

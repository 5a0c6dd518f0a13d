"""Persistence of match profiles and meeting requests; scores come from `scoring.py`."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.matching.exceptions import DecisionRefused, RequestExists
from app.matching.models import (
    BuyerWantsRecord,
    CompanyWantsRecord,
    MeetingRequest,
    RequestStatus,
)
from app.matching.schemas import BuyerWants, CompanyWants, RequestCreate
from app.matching.scoring import (
    BuyerProfile,
    CompanyProfile,
    MatchScore,
    rank_buyers,
    rank_companies,
    score_match,
)
from app.matching.scoring import BuyerWants as BuyerWantsValue
from app.matching.scoring import CompanyWants as CompanyWantsValue
from app.missions.models import Mission
from app.paging import Paging, fetch_page
from app.participants.exceptions import ParticipantNotFound
from app.participants.languages import buyer_spoken
from app.participants.models import Buyer, Company
from app.records import commit_or_raise

logger = logging.getLogger(__name__)

# Which statuses a decision may start from.
_ALLOWED_FROM: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.ACCEPTED: frozenset({RequestStatus.REQUESTED, RequestStatus.ACCEPTED}),
    RequestStatus.DECLINED: frozenset(RequestStatus),
    RequestStatus.APPROVED: frozenset(
        {RequestStatus.REQUESTED, RequestStatus.ACCEPTED, RequestStatus.APPROVED}
    ),
}


# Profiles -------------------------------------------------------------------------------------


async def company_wants(*, session: AsyncSession, company: Company) -> CompanyWantsRecord:
    """The company's stored wishes, or the defaults (made in Korea, no wishes) unsaved."""
    row = await session.get(CompanyWantsRecord, company.id)
    return row or CompanyWantsRecord(
        company_id=company.id, origin_country="KR", buyer_countries=[], buyer_industries=[]
    )


async def buyer_wants(*, session: AsyncSession, buyer: Buyer) -> BuyerWantsRecord:
    row = await session.get(BuyerWantsRecord, buyer.id)
    return row or BuyerWantsRecord(buyer_id=buyer.id, industries=[], origin_countries=[])


async def put_company_wants(
    *, session: AsyncSession, company: Company, data: CompanyWants
) -> CompanyWantsRecord:
    row = await session.get(CompanyWantsRecord, company.id)
    if row is None:
        row = CompanyWantsRecord(company_id=company.id)
        session.add(row)
    for field, value in data.model_dump().items():
        setattr(row, field, value)
    await session.commit()
    return row


async def put_buyer_wants(
    *, session: AsyncSession, buyer: Buyer, data: BuyerWants
) -> BuyerWantsRecord:
    row = await session.get(BuyerWantsRecord, buyer.id)
    if row is None:
        row = BuyerWantsRecord(buyer_id=buyer.id)
        session.add(row)
    for field, value in data.model_dump().items():
        setattr(row, field, value)
    await session.commit()
    return row


def company_profile(company: Company, wants: CompanyWantsRecord) -> CompanyProfile:
    return CompanyProfile(
        id=company.id,
        origin_country=wants.origin_country,
        industries=frozenset([company.industry]),
        products=tuple(company.products),
        languages=tuple(company.languages),
        wants=CompanyWantsValue(
            buyer_countries=frozenset(wants.buyer_countries),
            buyer_industries=frozenset(wants.buyer_industries),
        ),
    )


def buyer_profile(buyer: Buyer, wants: BuyerWantsRecord) -> BuyerProfile:
    return BuyerProfile(
        id=buyer.id,
        country=buyer.country,
        industries=frozenset(wants.industries),
        # Not on record: its country's languages, so the pair it needs is still known.
        languages=buyer_spoken(buyer).languages,
        wants=BuyerWantsValue(
            industries=frozenset(buyer.industries_sought),
            products=frozenset(buyer.products_sought),
            origin_countries=frozenset(wants.origin_countries),
            languages=frozenset(buyer.languages),
        ),
    )


def language_pair_of(score: MatchScore) -> str:
    return "" if score.interpretation is None else "-".join(score.interpretation)


def suggestion(score: MatchScore) -> dict[str, Any]:
    return {
        "company_id": score.company_id,
        "buyer_id": score.buyer_id,
        "score": score.score,
        "criteria": [asdict(c) for c in score.criteria],
        "explanation": score.explain(),
        "language_pair": language_pair_of(score),
    }


async def _company_profiles(session: AsyncSession, mission: Mission) -> list[CompanyProfile]:
    companies = await session.scalars(
        select(Company).where(Company.mission_id == mission.id).order_by(Company.id)
    )
    wants = {
        row.company_id: row
        for row in await session.scalars(
            select(CompanyWantsRecord)
            .join(Company, Company.id == CompanyWantsRecord.company_id)
            .where(Company.mission_id == mission.id)
        )
    }
    profiles = []
    for company in companies:
        row = wants.get(company.id) or await company_wants(session=session, company=company)
        profiles.append(company_profile(company, row))
    return profiles


async def _buyer_profiles(session: AsyncSession, mission: Mission) -> list[BuyerProfile]:
    buyers = await session.scalars(
        select(Buyer).where(Buyer.mission_id == mission.id).order_by(Buyer.id)
    )
    wants = {
        row.buyer_id: row
        for row in await session.scalars(
            select(BuyerWantsRecord)
            .join(Buyer, Buyer.id == BuyerWantsRecord.buyer_id)
            .where(Buyer.mission_id == mission.id)
        )
    }
    profiles = []
    for buyer in buyers:
        row = wants.get(buyer.id) or await buyer_wants(session=session, buyer=buyer)
        profiles.append(buyer_profile(buyer, row))
    return profiles


async def companies_for(
    *, session: AsyncSession, buyer: Buyer, limit: int, min_score: float
) -> list[MatchScore]:
    """The mission's companies that best meet what the buyer seeks, and what they seek."""
    mission = await session.get_one(Mission, buyer.mission_id)
    profile = buyer_profile(buyer, await buyer_wants(session=session, buyer=buyer))
    return rank_companies(
        profile, await _company_profiles(session, mission), min_score=min_score, limit=limit
    )


async def buyers_for(
    *, session: AsyncSession, company: Company, limit: int, min_score: float
) -> list[MatchScore]:
    mission = await session.get_one(Mission, company.mission_id)
    profile = company_profile(company, await company_wants(session=session, company=company))
    return rank_buyers(
        profile, await _buyer_profiles(session, mission), min_score=min_score, limit=limit
    )


# Meeting requests -----------------------------------------------------------------------------


async def get_request(*, session: AsyncSession, request_id: int) -> MeetingRequest | None:
    return await session.get(MeetingRequest, request_id)


async def _party(
    session: AsyncSession, mission: Mission, model: type[Company] | type[Buyer], party_id: int
) -> Any:
    kind = "company" if model is Company else "buyer"
    row: Company | Buyer | None = await session.get(model, party_id)
    # Another mission's row answers like a missing one (no probing of other missions' ids).
    if row is None or row.mission_id != mission.id:
        raise ParticipantNotFound(kind, party_id)
    return row


async def score_pair(*, session: AsyncSession, company: Company, buyer: Buyer) -> MatchScore:
    return score_match(
        buyer_profile(buyer, await buyer_wants(session=session, buyer=buyer)),
        company_profile(company, await company_wants(session=session, company=company)),
    )


async def create_request(
    *, session: AsyncSession, mission: Mission, data: RequestCreate
) -> MeetingRequest:
    """Record a request from either side (or the organiser), scored and explained."""
    company: Company = await _party(session, mission, Company, data.company_id)
    buyer: Buyer = await _party(session, mission, Buyer, data.buyer_id)
    existing = await session.scalar(
        select(MeetingRequest.id).where(
            MeetingRequest.company_id == company.id, MeetingRequest.buyer_id == buyer.id
        )
    )
    if existing is not None:
        raise RequestExists(existing)
    score = await score_pair(session=session, company=company, buyer=buyer)
    row = MeetingRequest(
        mission_id=mission.id,
        company_id=company.id,
        buyer_id=buyer.id,
        requested_by=data.requested_by,
        status=RequestStatus.REQUESTED,
        priority=data.priority,
        score=score.score,
        criteria=[asdict(c) for c in score.criteria],
        explanation=score.explain(),
        language_pair=(
            language_pair_of(score) if data.language_pair is None else data.language_pair
        ),
        note=data.note,
    )
    session.add(row)
    # The unique constraint settles a race between two identical requests.
    await commit_or_raise(session, RequestExists(0))
    logger.info(
        "meeting request %s: mission %s company %s buyer %s score %s",
        row.id, mission.id, company.id, buyer.id, row.score,
    )
    return row


async def list_requests(
    *,
    session: AsyncSession,
    mission: Mission,
    paging: Paging,
    status: RequestStatus | None = None,
    company_id: int | None = None,
    buyer_id: int | None = None,
    min_score: float | None = None,
) -> tuple[list[MeetingRequest], int]:
    """The organiser's view: a mission's requests, best score first."""
    statement = (
        select(MeetingRequest)
        .where(MeetingRequest.mission_id == mission.id)
        .order_by(MeetingRequest.score.desc(), MeetingRequest.id)
    )
    if status is not None:
        statement = statement.where(MeetingRequest.status == status)
    if company_id is not None:
        statement = statement.where(MeetingRequest.company_id == company_id)
    if buyer_id is not None:
        statement = statement.where(MeetingRequest.buyer_id == buyer_id)
    if min_score is not None:
        statement = statement.where(MeetingRequest.score >= min_score)
    return await fetch_page(session, statement, paging=paging)


async def decide(
    *,
    session: AsyncSession,
    request: MeetingRequest,
    status: RequestStatus,
    priority: int | None = None,
) -> MeetingRequest:
    """Accept, decline or approve (with a priority). Declining an approved request takes it
    off the organiser's list: the next reschedule cancels its meeting."""
    if request.status not in _ALLOWED_FROM[status]:
        raise DecisionRefused(request.id, request.status, status)
    request.status = status
    if priority is not None:
        request.priority = priority
    await session.commit()
    logger.info("meeting request %s: %s (priority %s)", request.id, status, request.priority)
    return request

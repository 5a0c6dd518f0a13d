"""Read-only queries the pages need (one place, SQLAlchemy 2.0 select())."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting
from app.missions.models import Venue
from app.money.currencies import from_minor
from app.outcomes.models import Outcome, OutcomeVersion
from app.participants.models import Buyer, Company, Interpreter


@dataclass(frozen=True)
class Party:
    """Who and where a meeting brings together."""

    company: Company
    buyer: Buyer
    interpreter: Interpreter | None
    company_venue: Venue | None
    buyer_venue: Venue | None
    partner: Interpreter | None = None  # the booth partner, a second interpreter


@dataclass(frozen=True)
class OutcomeSummary:
    version: int
    currency: str
    consultation_value: Decimal
    expected_contract_value: Decimal
    onsite_contract_amount: Decimal | None
    mou_amount: Decimal | None
    interest_level: str
    next_steps: str
    recorded_by: str
    role: str

    @classmethod
    def of(cls, row: OutcomeVersion) -> OutcomeSummary:
        def money(minor: int | None) -> Decimal | None:
            return None if minor is None else from_minor(minor, row.currency)

        return cls(
            version=row.version,
            currency=row.currency,
            consultation_value=from_minor(row.consultation_value_minor, row.currency),
            expected_contract_value=from_minor(row.expected_contract_value_minor, row.currency),
            onsite_contract_amount=money(row.onsite_contract_minor),
            mou_amount=money(row.mou_minor),
            interest_level=row.interest_level.value,
            next_steps=row.next_steps,
            recorded_by=row.recorded_by,
            role=row.recorded_by_role.value,
        )


async def mission_counts(session: AsyncSession, mission_id: int) -> dict[str, int]:
    counts = {}
    for name, model in (
        ("companies", Company),
        ("buyers", Buyer),
        ("interpreters", Interpreter),
        ("meetings", Meeting),
    ):
        statement = select(func.count()).select_from(model).where(
            model.mission_id == mission_id
        )
        counts[name] = int((await session.execute(statement)).scalar_one())
    return counts


async def mission_meetings(session: AsyncSession, mission_id: int) -> list[Meeting]:
    rows = await session.scalars(
        select(Meeting)
        .where(Meeting.mission_id == mission_id)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list(rows)


async def meeting_parties(session: AsyncSession, meetings: list[Meeting]) -> dict[int, Party]:
    if not meetings:
        return {}

    async def by_id(model: type[Any], ids: set[int | None]) -> dict[int, Any]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        rows: Any = await session.scalars(select(model).where(model.id.in_(wanted)))
        return {row.id: row for row in rows}

    companies = await by_id(Company, {m.company_id for m in meetings})
    buyers = await by_id(Buyer, {m.buyer_id for m in meetings})
    interpreters = await by_id(
        Interpreter,
        {m.interpreter_id for m in meetings} | {m.partner_interpreter_id for m in meetings},
    )
    venues = await by_id(
        Venue, {m.company_venue_id for m in meetings} | {m.buyer_venue_id for m in meetings}
    )
    return {
        m.id: Party(
            company=companies[m.company_id],
            buyer=buyers[m.buyer_id],
            interpreter=interpreters.get(m.interpreter_id) if m.interpreter_id else None,
            company_venue=venues.get(m.company_venue_id) if m.company_venue_id else None,
            buyer_venue=venues.get(m.buyer_venue_id) if m.buyer_venue_id else None,
            partner=(
                interpreters.get(m.partner_interpreter_id) if m.partner_interpreter_id else None
            ),
        )
        for m in meetings
    }


async def current_outcome(session: AsyncSession, meeting_id: int) -> OutcomeSummary | None:
    row = await session.scalar(
        select(OutcomeVersion)
        .join(Outcome, Outcome.current_version_id == OutcomeVersion.id)
        .where(Outcome.meeting_id == meeting_id)
    )
    return OutcomeSummary.of(row) if row is not None else None


async def mission_outcomes(session: AsyncSession, mission_id: int) -> dict[int, OutcomeSummary]:
    rows = await session.scalars(
        select(OutcomeVersion)
        .join(Outcome, Outcome.current_version_id == OutcomeVersion.id)
        .join(Meeting, Meeting.id == Outcome.meeting_id)
        .where(Meeting.mission_id == mission_id)
    )
    return {row.meeting_id: OutcomeSummary.of(row) for row in rows}

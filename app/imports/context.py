"""The mission's records a meetings import is checked against, read in a few queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.imports.cells import (
    name_key,
)
from app.imports.models import MeetingKey
from app.imports.plan import OutcomeValues
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from app.money.models import ExchangeRate
from app.money.rates import RateTable
from app.outcomes.models import Outcome, OutcomeVersion
from app.participants.models import Buyer, Company, Interpreter

# -- what the mission holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A meeting as it stands: what it holds, and when."""

    id: int
    company_id: int
    buyer_id: int
    interpreter_id: int | None
    partner_interpreter_id: int | None
    company_venue_id: int | None
    buyer_venue_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus

    def resources(self) -> list[tuple[str, int]]:
        held = [("company", self.company_id), ("buyer", self.buyer_id)]
        held += [("interpreter", i) for i in {self.interpreter_id, self.partner_interpreter_id}
                 if i is not None]
        held += [("venue", v) for v in {self.company_venue_id, self.buyer_venue_id}
                 if v is not None]
        return held


@dataclass
class Context:
    """The mission's records the file is checked against."""

    mission: Mission
    companies: dict[str, list[Company]]
    buyers: list[Buyer]
    interpreters: dict[str, list[Interpreter]]
    meetings: dict[int, Held]
    keys: dict[str, int]  # key (folded) -> meeting id
    outcomes: dict[int, tuple[int, OutcomeValues]]  # meeting id -> (version, current values)
    rates: RateTable
    buyers_by_company: dict[str, list[Buyer]] = field(default_factory=dict)
    buyers_by_name: dict[str, list[Buyer]] = field(default_factory=dict)
    keyed: set[int] = field(default_factory=set)  # meetings that have a key
    # Meetings without a key by (company, buyer, start): a row without a key finds them.
    unkeyed_slots: dict[tuple[int, int, datetime], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for buyer in self.buyers:
            self.buyers_by_company.setdefault(name_key(buyer.company_name), []).append(buyer)
            self.buyers_by_name.setdefault(name_key(buyer.name), []).append(buyer)
        self.keyed = set(self.keys.values())
        for meeting in self.meetings.values():
            if meeting.id not in self.keyed:
                slot = (meeting.company_id, meeting.buyer_id, meeting.starts_at)
                self.unkeyed_slots.setdefault(slot, []).append(meeting.id)


async def load_context(*, session: AsyncSession, mission: Mission) -> Context:
    """Everything a plan needs, in a handful of queries (a 10,000-row file reads no more)."""
    mission_id = mission.id
    companies: dict[str, list[Company]] = defaultdict(list)
    for company in await session.scalars(select(Company).where(Company.mission_id == mission_id)):
        companies[name_key(company.name)].append(company)
    buyers = list(await session.scalars(select(Buyer).where(Buyer.mission_id == mission_id)))
    interpreters: dict[str, list[Interpreter]] = defaultdict(list)
    for interpreter in await session.scalars(
        select(Interpreter).where(Interpreter.mission_id == mission_id)
    ):
        interpreters[name_key(interpreter.name)].append(interpreter)
    meetings = {
        row.id: Held(**row._asdict())
        for row in await session.execute(
            select(
                Meeting.id, Meeting.company_id, Meeting.buyer_id, Meeting.interpreter_id,
                Meeting.partner_interpreter_id, Meeting.company_venue_id, Meeting.buyer_venue_id,
                Meeting.starts_at, Meeting.ends_at, Meeting.status,
            ).where(Meeting.mission_id == mission_id)
        )
    }  # fmt: skip
    keys = {
        key.casefold(): meeting_id
        for key, meeting_id in await session.execute(
            select(MeetingKey.key, MeetingKey.meeting_id).where(MeetingKey.mission_id == mission_id)
        )
    }
    outcomes = {
        version.meeting_id: (head_version, OutcomeValues.of(version))
        for version, head_version in await session.execute(
            select(OutcomeVersion, Outcome.version)
            .join(Outcome, Outcome.current_version_id == OutcomeVersion.id)
            .where(Outcome.mission_id == mission_id)
        )
    }
    rates = RateTable(
        await session.scalars(select(ExchangeRate).where(ExchangeRate.mission_id == mission_id))
    )
    return Context(mission, dict(companies), buyers, dict(interpreters), meetings, keys, outcomes,
                   rates)

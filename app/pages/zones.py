"""Each party's own time zone, so every page can show a time as the party reads it.

The same rules the scheduler loads records with (app/scheduling/loader.py), but lenient: a
party whose zone cannot be told (a buyer's office in a country of several zones, with no
plan) has none, and pages then show the mission's time only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting
from app.missions.models import Mission, Venue, VenueKind
from app.pages.forms import country_zones
from app.participants.models import Buyer, Company, Interpreter
from app.scheduling.models import PartyKind, PartyPlan


@dataclass
class Zones:
    mission: str
    company: dict[int, str] = field(default_factory=dict)
    buyer: dict[int, str] = field(default_factory=dict)
    interpreter: dict[int, str] = field(default_factory=dict)
    venue: dict[int, str] = field(default_factory=dict)

    def of_meeting(self, meeting: Meeting) -> dict[str, str]:
        """The zone of each seat of a meeting: its venue's, else the party's own."""
        zones: dict[str, str] = {}
        company = self.venue.get(meeting.company_venue_id or 0) or self.company.get(
            meeting.company_id
        )
        buyer = self.venue.get(meeting.buyer_venue_id or 0) or self.buyer.get(meeting.buyer_id)
        for seat, zone in (
            ("company", company),
            ("buyer", buyer),
            ("interpreter", self.interpreter.get(meeting.interpreter_id or 0)),
        ):
            if zone:
                zones[seat] = zone
        return zones

    def elsewhere(self, meeting: Meeting) -> list[tuple[str, str]]:
        """(seat, zone) for the seats whose clock differs from the mission's."""
        return [(seat, zone) for seat, zone in self.of_meeting(meeting).items()
                if zone != self.mission]


async def plans_of(
    session: AsyncSession, mission: Mission
) -> dict[tuple[PartyKind, int], PartyPlan]:
    rows = await session.scalars(select(PartyPlan).where(PartyPlan.mission_id == mission.id))
    return {(plan.party_kind, plan.party_id): plan for plan in rows}


async def mission_zones(session: AsyncSession, mission: Mission) -> Zones:
    venues = list(await session.scalars(select(Venue).where(Venue.mission_id == mission.id)))
    plans = await plans_of(session, mission)
    zones = Zones(mission=mission.timezone, venue={v.id: v.timezone for v in venues})
    booth_zones = {v.timezone for v in venues if v.kind is VenueKind.BOOTH}
    for company_id in await session.scalars(
        select(Company.id).where(Company.mission_id == mission.id)
    ):
        plan = plans.get((PartyKind.COMPANY, company_id))
        if plan is not None and plan.venue_id in zones.venue:
            zones.company[company_id] = zones.venue[plan.venue_id]
        elif len(booth_zones) == 1:
            zones.company[company_id] = next(iter(booth_zones))
    centres = [v for v in venues if v.kind is VenueKind.BUSINESS_CENTRE]
    for buyer in await session.scalars(select(Buyer).where(Buyer.mission_id == mission.id)):
        plan = plans.get((PartyKind.BUYER, buyer.id))
        zone = ""
        if plan is not None:
            zone = zones.venue.get(plan.venue_id or 0, "") or plan.timezone
        else:
            here = [v for v in centres if v.country == buyer.country]
            same_city = [v for v in here if v.city.casefold() == buyer.city.casefold()]
            if same_city or here:
                zone = (same_city or here)[0].timezone
        if not zone:
            country = country_zones(buyer.country)
            zone = country[0] if len(country) == 1 else ""
        if zone:
            zones.buyer[buyer.id] = zone
    for interpreter_id in await session.scalars(
        select(Interpreter.id).where(Interpreter.mission_id == mission.id)
    ):
        plan = plans.get((PartyKind.INTERPRETER, interpreter_id))
        zones.interpreter[interpreter_id] = (plan.timezone if plan else "") or mission.timezone
    return zones

"""Persistence of companies, buyers and interpreters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.audit.service import SYSTEM, record, snapshot
from app.audit.service import changes as changes_of
from app.interpreting.models import InterpreterDuty
from app.matching.models import MeetingRequest
from app.meetings.models import Meeting
from app.missions.models import Mission
from app.paging import Paging, fetch_page
from app.participants.exceptions import ParticipantInUse, ParticipantNameTaken
from app.participants.models import Buyer, Company, Interpreter
from app.participants.schemas import (
    BuyerCreate,
    BuyerUpdate,
    CompanyCreate,
    CompanyUpdate,
    InterpreterCreate,
    InterpreterUpdate,
)
from app.records import commit_or_raise
from app.scheduling.models import PartyKind, PartyPlan

Participant = Company | Buyer | Interpreter


def _json_list_has(column: InstrumentedAttribute[Any], value: str) -> Any:
    """A JSON list of strings holds `value` (case-insensitive), on SQLite and PostgreSQL."""
    return func.lower(cast(column, String)).contains(f'"{value.lower()}"')


async def _meetings_of(
    session: AsyncSession, column: InstrumentedAttribute[Any], id_: int
) -> list[int]:
    statement = select(Meeting.id).where(column == id_).order_by(Meeting.id)
    return list(await session.scalars(statement))


async def _forget(
    session: AsyncSession, kind: PartyKind, party_id: int, requests: Any | None = None
) -> None:
    """What goes with a party that is in no meeting: its meeting requests (wishes, none
    booked) and its scheduling plan."""
    if requests is not None:
        await session.execute(delete(MeetingRequest).where(requests == party_id))
    await session.execute(
        delete(PartyPlan).where(PartyPlan.party_kind == kind, PartyPlan.party_id == party_id)
    )


def _apply(record: Participant, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        setattr(record, field, value)


async def get_company(*, session: AsyncSession, company_id: int) -> Company | None:
    return await session.get(Company, company_id)


async def list_companies(
    *,
    session: AsyncSession,
    mission: Mission,
    paging: Paging,
    industry: str | None = None,
    language: str | None = None,
    product: str | None = None,
    q: str | None = None,
) -> tuple[list[Company], int]:
    statement = select(Company).where(Company.mission_id == mission.id).order_by(Company.id)
    if industry:
        statement = statement.where(func.lower(Company.industry) == industry.lower())
    if language:
        statement = statement.where(_json_list_has(Company.languages, language))
    if product:
        statement = statement.where(
            func.lower(cast(Company.products, String)).contains(product.lower())
        )
    if q:
        statement = statement.where(func.lower(Company.name).contains(q.lower()))
    return await fetch_page(session, statement, paging=paging)


async def create_company(
    *, session: AsyncSession, mission: Mission, data: CompanyCreate
) -> Company:
    company = Company(mission_id=mission.id, **data.model_dump())
    session.add(company)
    await commit_or_raise(session, ParticipantNameTaken("company", data.name))
    return company


async def _audit_update(
    session: AsyncSession,
    *,
    actor: str,
    entity: str,
    row: Company | Buyer | Interpreter,
    asked: dict[str, Any],
) -> None:
    before, after = changes_of(snapshot(row, asked), asked)
    if after:
        await record(
            session, actor=actor, action=f"{entity}.update", entity=entity, entity_id=row.id,
            mission_id=row.mission_id, before=before, after=after,
        )


async def update_company(
    *, session: AsyncSession, company: Company, data: CompanyUpdate, actor: str = SYSTEM
) -> Company:
    changes = data.changes()
    await _audit_update(session, actor=actor, entity="company", row=company, asked=changes)
    _apply(company, changes)
    await commit_or_raise(session, ParticipantNameTaken("company", company.name))
    return company


async def delete_company(
    *, session: AsyncSession, company: Company, actor: str = SYSTEM
) -> None:
    if meeting_ids := await _meetings_of(session, Meeting.company_id, company.id):
        raise ParticipantInUse("company", company.id, meeting_ids)
    await record(
        session, actor=actor, action="company.delete", entity="company", entity_id=company.id,
        mission_id=company.mission_id, before={"name": company.name},
    )
    await _forget(session, PartyKind.COMPANY, company.id, MeetingRequest.company_id)
    await session.delete(company)
    await session.commit()


async def get_buyer(*, session: AsyncSession, buyer_id: int) -> Buyer | None:
    return await session.get(Buyer, buyer_id)


async def list_buyers(
    *,
    session: AsyncSession,
    mission: Mission,
    paging: Paging,
    country: str | None = None,
    city: str | None = None,
    industry: str | None = None,
    q: str | None = None,
) -> tuple[list[Buyer], int]:
    statement = select(Buyer).where(Buyer.mission_id == mission.id).order_by(Buyer.id)
    if country:
        statement = statement.where(Buyer.country == country.upper())
    if city:
        statement = statement.where(func.lower(Buyer.city) == city.lower())
    if industry:
        statement = statement.where(_json_list_has(Buyer.industries_sought, industry))
    if q:
        needle = q.lower()
        statement = statement.where(
            func.lower(Buyer.name).contains(needle)
            | func.lower(Buyer.company_name).contains(needle)
        )
    return await fetch_page(session, statement, paging=paging)


async def create_buyer(*, session: AsyncSession, mission: Mission, data: BuyerCreate) -> Buyer:
    buyer = Buyer(mission_id=mission.id, **data.model_dump())
    session.add(buyer)
    await commit_or_raise(
        session, ParticipantNameTaken("buyer", f"{data.name} ({data.company_name})")
    )
    return buyer


async def update_buyer(
    *, session: AsyncSession, buyer: Buyer, data: BuyerUpdate, actor: str = SYSTEM
) -> Buyer:
    changes = data.changes()
    await _audit_update(session, actor=actor, entity="buyer", row=buyer, asked=changes)
    _apply(buyer, changes)
    taken = ParticipantNameTaken("buyer", f"{buyer.name} ({buyer.company_name})")
    await commit_or_raise(session, taken)
    return buyer


async def delete_buyer(
    *, session: AsyncSession, buyer: Buyer, actor: str = SYSTEM
) -> None:
    if meeting_ids := await _meetings_of(session, Meeting.buyer_id, buyer.id):
        raise ParticipantInUse("buyer", buyer.id, meeting_ids)
    await record(
        session, actor=actor, action="buyer.delete", entity="buyer", entity_id=buyer.id,
        mission_id=buyer.mission_id, before={"name": buyer.name},
    )
    await _forget(session, PartyKind.BUYER, buyer.id, MeetingRequest.buyer_id)
    await session.delete(buyer)
    await session.commit()


async def get_interpreter(*, session: AsyncSession, interpreter_id: int) -> Interpreter | None:
    return await session.get(Interpreter, interpreter_id)


async def list_interpreters(
    *,
    session: AsyncSession,
    mission: Mission,
    paging: Paging,
    language_pair: str | None = None,
    q: str | None = None,
) -> tuple[list[Interpreter], int]:
    statement = (
        select(Interpreter).where(Interpreter.mission_id == mission.id).order_by(Interpreter.id)
    )
    if language_pair:
        statement = statement.where(_json_list_has(Interpreter.language_pairs, language_pair))
    if q:
        statement = statement.where(func.lower(Interpreter.name).contains(q.lower()))
    return await fetch_page(session, statement, paging=paging)


async def create_interpreter(
    *, session: AsyncSession, mission: Mission, data: InterpreterCreate
) -> Interpreter:
    interpreter = Interpreter(mission_id=mission.id, **data.model_dump())
    session.add(interpreter)
    await commit_or_raise(session, ParticipantNameTaken("interpreter", data.name))
    return interpreter


async def update_interpreter(
    *, session: AsyncSession, interpreter: Interpreter, data: InterpreterUpdate, actor: str = SYSTEM
) -> Interpreter:
    changes = data.changes()
    await _audit_update(session, actor=actor, entity="interpreter", row=interpreter, asked=changes)
    _apply(interpreter, changes)
    await commit_or_raise(session, ParticipantNameTaken("interpreter", interpreter.name))
    return interpreter


async def delete_interpreter(
    *, session: AsyncSession, interpreter: Interpreter, actor: str = SYSTEM
) -> None:
    # In a meeting in either interpreter seat, or with minutes on the duty log (kept for
    # payment even after the meeting's interpreters changed).
    worked = select(InterpreterDuty.meeting_id).where(
        InterpreterDuty.interpreter_id == interpreter.id
    )
    statement = (
        select(Meeting.id)
        .where(
            or_(
                Meeting.interpreter_id == interpreter.id,
                Meeting.partner_interpreter_id == interpreter.id,
                Meeting.id.in_(worked),
            )
        )
        .order_by(Meeting.id)
    )
    if meeting_ids := list(await session.scalars(statement)):
        raise ParticipantInUse("interpreter", interpreter.id, meeting_ids)
    await record(
        session, actor=actor, action="interpreter.delete", entity="interpreter",
        entity_id=interpreter.id, mission_id=interpreter.mission_id,
        before={"name": interpreter.name},
    )
    await _forget(session, PartyKind.INTERPRETER, interpreter.id)
    await session.delete(interpreter)
    await session.commit()

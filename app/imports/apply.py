"""Writing a confirmed meetings import: checked again under lock, then all of it in one
transaction, or nothing.

The mission's rows the import reads are locked first (SQLite: the database's write lock, taken
before any read; PostgreSQL: the mission, its companies, buyers, interpreters, meetings and
outcomes, FOR UPDATE, in the order bookings lock them), the plan is made again from what is
saved now, and it must be the plan the organiser previewed (same digest) with no bad row.
Then meetings, their keys, outcome versions, outcome heads and audit events are written with
a few multi-row statements: a 10,000-row file is written in seconds, and a failure anywhere
rolls every part back.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.audit.service import summary
from app.imports.exceptions import ImportChanged, ImportRefused
from app.imports.meetings import Context, MeetingChange, Plan, build_plan, load_context
from app.imports.models import MeetingKey
from app.imports.tables import Cell
from app.meetings.models import Meeting
from app.missions.models import Mission
from app.money.conversion import to_report_units
from app.money.currencies import from_minor
from app.outcomes.actors import Actor
from app.outcomes.models import Outcome, OutcomeVersion
from app.participants.models import Buyer, Company, Interpreter
from app.records import claim_write_lock

logger = logging.getLogger(__name__)

_USER_ACTOR = re.compile(r"^user:(\d+)\b")


@dataclass(frozen=True)
class Applied:
    plan: Plan
    meeting_ids: list[int]  # every meeting of the file, in the file's order


async def _lock(session: AsyncSession, mission_id: int) -> None:
    if session.get_bind().dialect.name == "sqlite":
        await claim_write_lock(session)
        return
    await session.execute(select(Mission.id).where(Mission.id == mission_id).with_for_update())
    for model in (Company, Buyer, Interpreter, Meeting):
        await session.execute(
            select(model.id)
            .where(model.mission_id == mission_id)
            .order_by(model.id)
            .with_for_update()
        )
    await session.execute(
        select(Outcome.meeting_id)
        .where(Outcome.mission_id == mission_id)
        .order_by(Outcome.meeting_id)
        .with_for_update()
    )


async def confirm(
    *,
    session: AsyncSession,
    mission_id: int,
    cells: list[list[Cell]],
    actor: Actor,
    now: datetime,
    reason: str = "",
    expected_digest: str | None = None,
    source: str = "",
) -> Applied:
    """Plan again under lock and write it; ImportRefused (422) with the bad rows, or
    ImportChanged (409) when the records moved since the preview: nothing written then."""
    if session.get_bind().dialect.name == "sqlite" and session.in_transaction():
        await session.commit()  # the write lock must come before this transaction's reads
    try:
        await _lock(session, mission_id)
        mission = await session.get_one(Mission, mission_id, populate_existing=True)
        context = await load_context(session=session, mission=mission)
        plan = build_plan(cells=cells, context=context, reason=reason, now=now)
        if not plan.ok:
            raise ImportRefused(plan)
        if expected_digest is not None and plan.digest() != expected_digest:
            raise ImportChanged(plan)
        meeting_ids = await _write(session, plan, context, actor, now, source)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    logger.info(
        "mission %s: import by %s applied: %s", mission_id, actor.audit, plan.counts()
    )
    return Applied(plan, meeting_ids)


def _event(
    actor: Actor, now: datetime, action: str, entity: str, entity_id: object, mission_id: int,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit_events row as app.audit.service.record writes it."""
    match = _USER_ACTOR.match(actor.audit)
    return {
        "at": now,
        "actor": actor.audit[:200],
        "actor_user_id": int(match[1]) if match else None,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "mission_id": mission_id,
        "before": summary(before),
        "after": summary(after),
    }


_VERSION_FIELDS = (
    "currency",
    "consultation_value_minor",
    "expected_contract_value_minor",
    "onsite_contract_minor",
    "mou_minor",
    "interest_level",
    "samples",
    "next_steps",
    "notes",
)


async def _write(
    session: AsyncSession,
    plan: Plan,
    context: Context,
    actor: Actor,
    now: datetime,
    source: str,
) -> list[int]:
    mission_id = plan.mission_id
    events: list[dict[str, Any]] = []
    created = [change for change in plan.changes if change.is_new]
    if created:
        ids = await session.scalars(
            insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True),
            [
                {
                    "mission_id": mission_id,
                    **change.fields,
                    "language_pair": "",
                    "priority": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for change in created
            ],
        )
        for change, meeting_id in zip(created, ids.all(), strict=True):
            change.meeting_id = meeting_id
            events.append(_event(actor, now, "meeting.create", "meeting", meeting_id, mission_id,
                                 after={**change.fields, "key": change.key, "via": "import"}))
    updated = [change for change in plan.changes if change.before]  # existing meetings only
    if updated:
        await session.execute(
            update(Meeting),
            [
                {"id": change.meeting_id, **_changed(change), "updated_at": now}
                for change in updated
            ],
        )
        for change in updated:
            events.append(_event(actor, now, "meeting.update", "meeting", change.meeting_id,
                                 mission_id, before=change.before, after=_changed(change)))
    keys = [change for change in plan.changes if change.register_key]
    if keys:
        await session.execute(
            insert(MeetingKey),
            [
                {"mission_id": mission_id, "key": change.key, "meeting_id": change.meeting_id,
                 "created_at": now}
                for change in keys
            ],
        )
    await _write_outcomes(session, plan, actor, now, events)
    events.append(
        _event(actor, now, "import.meetings", "mission", mission_id, mission_id,
               after={"source": source, **plan.counts()})
    )
    await session.execute(insert(AuditEvent), events)
    del context  # read by the plan only
    return [change.meeting_id for change in plan.changes if change.meeting_id is not None]


def _changed(change: MeetingChange) -> dict[str, Any]:
    return {name: change.fields[name] for name in change.before}


async def _write_outcomes(
    session: AsyncSession, plan: Plan, actor: Actor, now: datetime, events: list[dict[str, Any]]
) -> None:
    versioned = [change for change in plan.changes if change.versions]
    if not versioned:
        return
    rows: list[dict[str, Any]] = []
    for change in versioned:
        number = change.current_version or 0
        previous = change.current_values
        for version in change.versions:
            number += 1
            values = version.values
            conversion = version.conversion
            rows.append(
                {
                    "meeting_id": change.meeting_id,
                    "version": number,
                    **values.plain(),
                    "usd_rate": conversion.usd_rate,
                    "usd_rate_date": conversion.usd_rate_date,
                    "krw_per_usd": conversion.krw_per_usd,
                    "krw_rate_date": conversion.krw_rate_date,
                    "recorded_by": actor.name,
                    "recorded_by_role": actor.role,
                    "reason": version.reason,
                    "recorded_at": now,
                }
            )
            after = values.plain() | {
                "recorded_by": actor.name,
                "recorded_by_role": actor.role,
                "reason": version.reason,
            }
            before = None
            if previous is not None:
                old = previous.plain()
                before = {k: old[k] for k in _VERSION_FIELDS if old[k] != after[k]}
                after = {k: after[k] for k in _VERSION_FIELDS if k in before} | {
                    "recorded_by": actor.name,
                    "recorded_by_role": actor.role,
                    "reason": version.reason,
                }
            events.append(
                _event(actor, now, "outcome.create" if number == 1 else "outcome.update",
                       "outcome", change.meeting_id, plan.mission_id, before=before,
                       after={**after, "version": number, "via": "import"})
            )
            previous = values
    ids = list(
        await session.scalars(
            insert(OutcomeVersion).returning(OutcomeVersion.id, sort_by_parameter_order=True),
            rows,
        )
    )
    heads_new: list[dict[str, Any]] = []
    heads_moved: list[dict[str, Any]] = []
    position = 0
    for change in versioned:
        position += len(change.versions)
        last = change.versions[-1]
        head = {
            "meeting_id": change.meeting_id,
            "version": (change.current_version or 0) + len(change.versions),
            "current_version_id": ids[position - 1],
            "updated_at": now,
            **_report_units(last.values, last.conversion),
        }
        if change.current_version is None:
            heads_new.append(head | {"mission_id": plan.mission_id})
        else:
            heads_moved.append(head)
    if heads_new:
        await session.execute(insert(Outcome), heads_new)
    if heads_moved:
        await session.execute(update(Outcome), heads_moved)


def _report_units(values: Any, conversion: Any) -> dict[str, int | None]:
    """The head row's USD and KRW columns of a version (app/outcomes/service.py's rule)."""
    units: dict[str, int | None] = {}
    for prefix, minor in (
        ("consultation", values.consultation_value_minor),
        ("expected", values.expected_contract_value_minor),
        ("onsite", values.onsite_contract_minor),
        ("mou", values.mou_minor),
    ):
        if minor is None:
            units[f"{prefix}_usd_e6"] = units[f"{prefix}_krw_e4"] = None
        else:
            amount = from_minor(minor, values.currency)
            usd, krw = to_report_units(amount, values.currency, conversion)
            units[f"{prefix}_usd_e6"], units[f"{prefix}_krw_e4"] = usd, krw
    return units

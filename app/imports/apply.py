"""Writing a confirmed meetings import: checked again under lock, then all of it in one
transaction, or nothing.

The mission's rows the import reads are locked first (SQLite: the database's write lock,
which a writing session holds from its first statement; PostgreSQL: the mission, its
companies, buyers, interpreters, meetings and outcomes, FOR UPDATE, in the order bookings
lock them), the plan is made again from what is saved now, and it must be the plan the
organiser previewed (same digest) with no bad row.
Then meetings, their keys, outcome versions, outcome heads and audit events are written with
a few multi-row statements: a 10,000-row file is written in seconds, and a failure anywhere
rolls every part back.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.imports.context import load_context
from app.imports.exceptions import ImportChanged, ImportRefused
from app.imports.meetings import build_plan
from app.imports.models import MeetingKey
from app.imports.plan import MeetingChange, Plan
from app.imports.tables import Cell
from app.meetings.models import AttendanceMark, MarkSource, Meeting, MeetingStatus
from app.missions.models import Mission
from app.money.currencies import from_minor
from app.outcomes.actors import Actor
from app.outcomes.models import Outcome, OutcomeVersion
from app.outcomes.service import report_units
from app.participants.models import Buyer, Company, Interpreter

logger = logging.getLogger(__name__)

_USER_ACTOR = re.compile(r"^user:(\d+)\b")


@dataclass(frozen=True)
class Applied:
    plan: Plan
    meeting_ids: list[int]  # every meeting of the file, in the file's order


async def _lock(session: AsyncSession, mission_id: int) -> None:
    if session.get_bind().dialect.name == "sqlite":
        # A writing session's transaction began with BEGIN IMMEDIATE (app/database.py): it
        # has held the database's write lock since its first statement.
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
    try:
        await _lock(session, mission_id)
        mission = await session.get_one(Mission, mission_id, populate_existing=True)
        context = await load_context(session=session, mission=mission)
        plan = build_plan(cells=cells, context=context, reason=reason, now=now)
        if not plan.ok:
            raise ImportRefused(plan)
        if expected_digest is not None and plan.digest() != expected_digest:
            raise ImportChanged(plan)
        if plan.changes_anything:
            await _write(session, plan, actor, now, source)
        await session.commit()  # a file that changes nothing writes nothing, not even audit
    except BaseException:
        await session.rollback()
        raise
    logger.info(
        "mission %s: import by %s applied: %s", mission_id, actor.audit, plan.counts()
    )
    meeting_ids = [change.meeting_id for change in plan.changes if change.meeting_id is not None]
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
        "before": _plain(before),
        "after": _plain(after),
    }


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a flat summary (what app.audit.service.summary makes of it, without
    its size check: these hold a meeting's or an outcome's few fields)."""
    if values is None:
        return None
    return {
        key: value.isoformat() if isinstance(value, datetime | date)
        else value.value if isinstance(value, Enum)
        else str(value) if isinstance(value, Decimal)
        else value
        for key, value in values.items()
    }  # fmt: skip


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


async def _reserve_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    """Primary keys for `count` new rows of `table`, taken before inserting them, so that a
    multi-row INSERT needs no RETURNING (whose row-by-row bookkeeping costs seconds for
    10,000 rows)."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "sqlite":
        # This transaction took SQLite's write lock first: nobody else inserts meanwhile.
        top = await session.scalar(select(func.max(table.c.id)))
        return list(range(int(top or 0) + 1, int(top or 0) + 1 + count))
    rows = await session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:name, 'id')) FROM generate_series(1, :n)"),
        {"name": table.name, "n": count},
    )
    return [int(row[0]) for row in rows]


async def _insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(table.insert(), rows)


async def _update(
    session: AsyncSession, table: Table, key: str, rows: list[dict[str, Any]]
) -> None:
    """UPDATE ... WHERE key = ? for each row (executemany), grouped by the columns set."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(k for k in row if k != key)), []).append(row)
    for columns, group in groups.items():
        statement = (
            table.update()
            .where(table.c[key] == bindparam(f"b_{key}"))
            .values({column: bindparam(column) for column in columns})
        )
        await session.execute(
            statement, [{**{c: row[c] for c in columns}, f"b_{key}": row[key]} for row in group]
        )


async def _write(
    session: AsyncSession, plan: Plan, actor: Actor, now: datetime, source: str
) -> None:
    mission_id = plan.mission_id
    events: list[dict[str, Any]] = []
    created = [change for change in plan.changes if change.is_new]
    meetings = Meeting.__table__
    ids = await _reserve_ids(session, meetings, len(created))  # type: ignore[arg-type]
    for change, meeting_id in zip(created, ids, strict=True):
        change.meeting_id = meeting_id
        events.append(_event(actor, now, "meeting.create", "meeting", meeting_id, mission_id,
                             after={**change.fields, "key": change.key, "via": "import"}))
    # Held or no-show from the file is a person's mark (app/meetings/attendance.py): the
    # automatic settling leaves the meeting alone, and the mark is on record.
    marks = [change for change in plan.changes if _marked(change)]
    marker = actor.audit[:200]
    await _insert(session, meetings, [  # type: ignore[arg-type]
        {"id": change.meeting_id, "mission_id": mission_id, **change.fields, "language_pair": "",
         "priority": 0, "status_marked_by": marker if _marked(change) else None,
         "created_at": now, "updated_at": now}
        for change in created
    ])  # fmt: skip
    updated = [change for change in plan.changes if change.before]  # existing meetings only
    await _update(session, meetings, "id", [  # type: ignore[arg-type]
        {"id": change.meeting_id, **_changed(change), "updated_at": now}
        | ({"status_marked_by": marker} if _marked(change) else {})
        for change in updated
    ])  # fmt: skip
    why = f"imported from {source}" if source else "imported"
    await _insert(session, AttendanceMark.__table__, [  # type: ignore[arg-type]
        {"meeting_id": change.meeting_id, "status": change.fields["status"],
         "previous_status": change.before.get("status", MeetingStatus.SCHEDULED),
         "source": MarkSource.PERSON, "actor": marker, "reason": why[:500], "at": now}
        for change in marks
    ])  # fmt: skip
    for change in updated:
        events.append(_event(actor, now, "meeting.update", "meeting", change.meeting_id,
                             mission_id, before=change.before, after=_changed(change)))
    await _insert(session, MeetingKey.__table__, [  # type: ignore[arg-type]
        {"mission_id": mission_id, "key": change.key, "meeting_id": change.meeting_id,
         "created_at": now}
        for change in plan.changes
        if change.register_key
    ])  # fmt: skip
    await _write_outcomes(session, plan, actor, now, events)
    events.append(
        _event(actor, now, "import.meetings", "mission", mission_id, mission_id,
               after={"source": source, **plan.counts()})
    )
    await _insert(session, AuditEvent.__table__, events)  # type: ignore[arg-type]


def _marked(change: MeetingChange) -> bool:
    """Whether the import says this meeting was held or a no-show (new, or a new status)."""
    final = change.fields["status"] in (MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW)
    return final and (change.is_new or "status" in change.before)


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
    versions = OutcomeVersion.__table__
    ids = await _reserve_ids(session, versions, len(rows))  # type: ignore[arg-type]
    for row, version_id in zip(rows, ids, strict=True):
        row["id"] = version_id
    await _insert(session, versions, rows)  # type: ignore[arg-type]
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
    await _insert(session, Outcome.__table__, heads_new)  # type: ignore[arg-type]
    await _update(session, Outcome.__table__, "meeting_id", heads_moved)  # type: ignore[arg-type]


def _report_units(values: Any, conversion: Any) -> dict[str, int | None]:
    """The head row's USD and KRW columns of a version (app/outcomes/service.py's rule)."""
    minors = (
        values.consultation_value_minor,
        values.expected_contract_value_minor,
        values.onsite_contract_minor,
        values.mou_minor,
    )
    amounts = [None if m is None else from_minor(m, values.currency) for m in minors]
    return report_units(amounts, values.currency, conversion)

"""Writing and reading audit events.

`record` adds the event to the caller's transaction and does not commit: the event is
saved exactly when the change it describes is, and never without it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.database import utcnow
from app.paging import Paging, fetch_page

if TYPE_CHECKING:
    from app.auth.models import User

SYSTEM = "system"
_MAX_SUMMARY_BYTES = 8192
_USER_ACTOR = re.compile(r"^user:(\d+)\b")


def user_actor(user: User) -> str:
    return f"user:{user.id} {user.email}"


def seat_actor(meeting_id: int, seat: str) -> str:
    return f"seat:{seat}@meeting:{meeting_id}"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def summary(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a before/after summary, cut down if it is too large."""
    if value is None:
        return None
    plain = _plain(value)
    if len(json.dumps(plain)) > _MAX_SUMMARY_BYTES:
        return {"truncated": True, "fields": sorted(plain)}
    return dict(plain)


def snapshot(row: object, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a row, as a summary to compare with `changes`."""
    return {field: getattr(row, field) for field in fields}


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as a (before, after) pair for `record`."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | str | None = None,
    mission_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit event to the session's transaction (the caller commits)."""
    match = _USER_ACTOR.match(actor)
    event = AuditEvent(
        at=at or utcnow(),
        actor=actor[:200],
        actor_user_id=int(match[1]) if match else None,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        mission_id=mission_id,
        before=summary(before),
        after=summary(after),
    )
    session.add(event)
    return event


async def list_events(
    *,
    session: AsyncSession,
    paging: Paging,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    actor_user_id: int | None = None,
    mission_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    """Newest first, every given filter applied."""
    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if entity is not None:
        statement = statement.where(AuditEvent.entity == entity)
    if entity_id is not None:
        statement = statement.where(AuditEvent.entity_id == entity_id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if actor_user_id is not None:
        statement = statement.where(AuditEvent.actor_user_id == actor_user_id)
    if mission_id is not None:
        statement = statement.where(AuditEvent.mission_id == mission_id)
    if since is not None:
        statement = statement.where(AuditEvent.at >= since)
    if until is not None:
        statement = statement.where(AuditEvent.at < until)
    return await fetch_page(session, statement, paging=paging)

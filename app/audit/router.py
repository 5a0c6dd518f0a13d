"""Reading the audit log: admins only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, AwareDatetime

from app.audit import service
from app.audit.schemas import AuditEventRead
from app.auth.dependencies import AdminUser
from app.dependencies import SessionDep
from app.paging import PagingDep, page
from app.schemas import Page, PrimaryKey

router = APIRouter(tags=["audit"])


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError("time out of range") from exc


Instant = Annotated[AwareDatetime, AfterValidator(_utc)]


@router.get("/audit", response_model=Page[AuditEventRead], summary="The audit log, newest first")
async def list_audit_events(
    _admin: AdminUser,
    session: SessionDep,
    paging: PagingDep,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=40)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor_user_id: Annotated[PrimaryKey | None, Query()] = None,
    mission_id: Annotated[PrimaryKey | None, Query()] = None,
    since: Annotated[Instant | None, Query(description="Events at or after.")] = None,
    until: Annotated[Instant | None, Query(description="Events before.")] = None,
) -> dict[str, Any]:
    items, total = await service.list_events(
        session=session,
        paging=paging,
        entity=entity,
        entity_id=entity_id,
        action=action,
        actor_user_id=actor_user_id,
        mission_id=mission_id,
        since=since,
        until=until,
    )
    return page(items, total, paging)

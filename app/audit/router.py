"""Reading the audit log: admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEventRead
from app.auth.dependencies import AdminUser
from app.dependencies import SessionDep
from app.paging import PagingDep, page
from app.schemas import Page, PrimaryKey, UTCTime

router = APIRouter(tags=["audit"])


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
    since: Annotated[UTCTime | None, Query(description="Events at or after.")] = None,
    until: Annotated[UTCTime | None, Query(description="Events before.")] = None,
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

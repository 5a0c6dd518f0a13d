"""Bodies of the audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.schemas import ReadModel


class AuditEventRead(ReadModel):
    id: int
    at: datetime
    actor: str
    actor_user_id: int | None
    action: str
    entity: str
    entity_id: str | None
    mission_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

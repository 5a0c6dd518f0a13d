"""The meetings import as the API and the console use it: preview a file, confirm it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.imports import apply
from app.imports.columns import MAX_BYTES
from app.imports.context import load_context
from app.imports.meetings import build_plan
from app.imports.plan import Plan
from app.imports.tables import Cell, ImportFileError, read_cells
from app.missions.models import Mission
from app.outcomes.actors import Actor


def read_file(filename: str, content: bytes) -> list[list[Cell]]:
    """The upload's cells; ImportFileError if it is empty, too big or not a table."""
    return read_cells(filename, content, max_bytes=MAX_BYTES)


async def preview(
    *, session: AsyncSession, mission: Mission, cells: list[list[Cell]], reason: str, now: datetime
) -> Plan:
    """What confirming would do, row by row; nothing is written."""
    context = await load_context(session=session, mission=mission)
    return build_plan(cells=cells, context=context, reason=reason, now=now)


async def confirm(
    *,
    session: AsyncSession,
    mission: Mission,
    cells: list[list[Cell]],
    actor: Actor,
    now: datetime,
    reason: str = "",
    expected_digest: str | None = None,
    source: str = "",
) -> apply.Applied:
    return await apply.confirm(
        session=session,
        mission_id=mission.id,
        cells=cells,
        actor=actor,
        now=now,
        reason=reason,
        expected_digest=expected_digest,
        source=source,
    )


__all__ = ["ImportFileError", "confirm", "preview", "read_file"]

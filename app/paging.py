"""Paged listing: `limit`/`offset` query parameters and a counted page of rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1  # far past any list; keeps the value inside every database's integer
T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    limit: int = 50
    offset: int = 0


def _paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = 50,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")
    ] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(_paging)]


async def fetch_page(
    session: AsyncSession, statement: Select[T], *, paging: Paging
) -> tuple[list[T], int]:
    """The rows of one page of `statement` (already ordered) and the count of all its rows."""
    count_statement = select(func.count()).select_from(
        statement.order_by(None).subquery()
    )
    total = (await session.execute(count_statement)).scalar_one()
    rows = await session.scalars(statement.limit(paging.limit).offset(paging.offset))
    return list(rows), int(total)


def page(items: list[Any], total: int, paging: Paging) -> dict[str, Any]:
    """The fields of a `Page` response."""
    return {"items": items, "total": total, "limit": paging.limit, "offset": paging.offset}

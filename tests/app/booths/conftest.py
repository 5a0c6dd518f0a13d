"""A signed-out client on the real app (the tests sign in explicitly, as the console does)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import get_session
from app.main import create_app
from app.settings import Settings


@pytest.fixture
async def booth_client(
    settings: Settings, session: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    """Requests share the test's rolled-back session; no one is signed in until a test does."""
    app = create_app(settings)

    async def _session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = _session
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

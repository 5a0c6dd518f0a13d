"""Health endpoints: /healthz (process up) and /readyz (database reachable)."""

from __future__ import annotations

import httpx

from app.main import create_app
from app.settings import Settings


async def test_healthz_and_readyz_on_a_reachable_database(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_readyz_is_503_when_the_database_cannot_be_reached() -> None:
    # Port 9 on loopback: nothing listens there, so the connection is refused at once.
    settings = Settings(
        environment="test", database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none"
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"

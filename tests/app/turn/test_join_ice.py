"""The join response hands each seat TURN credentials of its own, which coturn accepts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.settings import Settings
from tests import factories, principals
from tests.app.turn.conftest import TurnServer
from tests.app.turn.test_turn import turn_client
from tests.conftest import app_client

STATIC = {"urls": ["stun:127.0.0.1:3478"], "username": None, "credential": None}


async def test_each_seat_joins_with_turn_credentials_of_its_own_that_coturn_accepts(
    session: AsyncSession, database_url: str, turn_server: TurnServer
) -> None:
    host, port = turn_server.address
    settings = Settings(
        environment="test",
        database_url=database_url,
        ice_servers=[STATIC],
        turn_urls=[f"turn:{host}:{port}?transport=udp"],
        turn_secret=turn_server.secret,
        turn_credential_ttl_seconds=600,
    )
    day = datetime.now(UTC).date() + timedelta(days=1)
    mission = await factories.mission(session, start_date=day, end_date=day)
    meeting = await factories.meeting(session, mission_=mission)
    admin = await principals.admin_headers(session, settings)
    async with app_client(settings, session) as client:
        issued = await client.post(f"/api/v1/meetings/{meeting.id}/links", json={}, headers=admin)
        assert issued.status_code == 201, issued.text
        tokens = {link["seat"]: link["token"] for link in issued.json()}
        started = datetime.now(UTC)
        details = {}
        for seat in ("company", "buyer"):
            joined = await client.post("/api/v1/join", json={"token": tokens[seat]})
            assert joined.status_code == 200, joined.text
            details[seat] = joined.json()["ice_servers"]

    usernames = set()
    for seat, servers in details.items():
        static, turn = servers
        assert static == STATIC
        assert turn["urls"] == [f"turn:{host}:{port}?transport=udp"]
        expiry, seat_id = turn["username"].split(":", 1)
        assert seat_id == f"meeting-{meeting.id}-{seat}"
        expires = datetime.fromtimestamp(int(expiry), UTC)
        assert started + timedelta(seconds=590) <= expires <= datetime.now(UTC) + timedelta(
            seconds=600
        )
        usernames.add(turn["username"])
    assert len(usernames) == 2

    # The buyer's credential, as handed out, allocates a relay on the real coturn.
    turn = details["buyer"][1]
    async with turn_client(turn_server, turn["username"], turn["credential"]) as protocol:
        relayed = await asyncio.wait_for(protocol.connect(), 10)
    assert relayed[0] == "127.0.0.1"

"""The real app served by uvicorn on a free loopback port, with a jumpable room clock."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from app.organisations.models import Organisation
from app.participants.models import Buyer, Company, Interpreter
from app.settings import Settings
from rooms.clock import ManualClock
from tests import principals
from tests.rooms.client import SeatClient
from tests.waiting import wait_for

START_TIMEOUT = 10.0


@dataclass
class LiveServer:
    """The app on http://127.0.0.1:PORT; `clock` is the rooms' clock (jump it with advance)."""

    app: FastAPI
    base_url: str
    ws_url: str
    clock: ManualClock
    http: httpx.AsyncClient
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """Shut the service down as a SIGTERM would (lifespan shutdown included)."""
        self.server.should_exit = True
        await asyncio.wait_for(asyncio.shield(self.task), 15)

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = self.app.state.sessionmaker
        return maker


@dataclass
class MeetingRows:
    meeting_id: int
    mission_id: int
    company_id: int
    buyer_id: int
    interpreter_id: int | None


def room_settings(database_url: str, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "public_base_url": f"http://127.0.0.1:{port}",
        "secret_key": "rooms-test-secret",
        # Media stays on loopback: ICE gathers 127.0.0.1 only, and no STUN/TURN server at all.
        "ice_host_addresses": ["127.0.0.1"],
        "ice_servers": [],
        "room_open_lead_minutes": 10,
        "room_end_warning_minutes": 2,
        "room_grace_seconds": 30,
        "ws_join_timeout_seconds": 5,
        "board_stats_interval_seconds": 0.5,
        # The tests jump the service's clock by hours: the organiser's console session (made
        # at the real time) must outlast the jumps.
        "session_idle_minutes": 7 * 24 * 60,
        "session_hours": 7 * 24,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def seats() -> AsyncIterator[list[SeatClient]]:
    """Signalling clients a test makes (append them), closed at its end."""
    made: list[SeatClient] = []
    yield made
    await asyncio.gather(*(client.close() for client in made), return_exceptions=True)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the live server's settings."""
    return {}


@pytest.fixture
async def live_server(
    database_url: str, settings_overrides: dict[str, Any]
) -> AsyncIterator[LiveServer]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        async with _serve(database_url, port, listener, settings_overrides) as server:
            yield server
    finally:
        listener.close()


@contextlib.asynccontextmanager
async def _serve(
    database_url: str, port: int, listener: socket.socket, overrides: dict[str, Any]
) -> AsyncIterator[LiveServer]:
    settings = room_settings(database_url, port, **overrides)
    clock = ManualClock()
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", ws_max_size=16 * 1024 * 1024)
    )
    task = asyncio.create_task(server.serve(sockets=[listener]))
    await wait_for(lambda: server.started or task.done(), START_TIMEOUT, "uvicorn to start")
    if task.done():
        task.result()  # the server stopped before it started: raise its error
    base_url = f"http://127.0.0.1:{port}"
    # A connection per request: a pooled one may meet uvicorn closing it (keep-alive timeout).
    limits = httpx.Limits(max_keepalive_connections=0)
    # Signed in as an admin: the console's routes (links, board, extend, close) need it.
    # The server shares this process and its loop with the test's media peers: on a busy
    # machine an answer may take seconds (a wait, not a speed goal).
    async with app.state.sessionmaker() as session:
        headers = await principals.admin_headers(session, settings)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, limits=limits, headers=headers
    ) as http:
        live = LiveServer(app, base_url, f"ws://127.0.0.1:{port}", clock, http, server, task)
        yield live
    await live.stop()


async def create_meeting(
    server: LiveServer,
    *,
    starts_in: timedelta = timedelta(minutes=-1),
    length: timedelta = timedelta(minutes=30),
    interpreter: bool = True,
    partner: bool = False,
    language_pair: str = "ko-ru",
    status: MeetingStatus = MeetingStatus.SCHEDULED,
    mission_id: int | None = None,
) -> MeetingRows:
    """Committed rows for one meeting (each call a new mission unless `mission_id` is given)."""
    tag = uuid.uuid4().hex[:8]
    now = server.clock.now()
    async with server.sessionmaker() as session, session.begin():
        if mission_id is None:
            organisation = Organisation(name=f"Namdong-gu {tag}")
            session.add(organisation)
            await session.flush()
            mission = Mission(
                organisation_id=organisation.id,
                name=f"CIS trade mission {tag}",
                start_date=date.today() - timedelta(days=1),
                end_date=date.today() + timedelta(days=1),
            )
            session.add(mission)
            await session.flush()
            mission_id = mission.id
        company = Company(mission_id=mission_id, name=f"Seoul Blowers {tag}", industry="machinery")
        buyer = Buyer(
            mission_id=mission_id, name=f"Aigerim {tag}", company_name="Almaty Trade", country="KZ"
        )
        session.add_all([company, buyer])
        interpreter_row = partner_row = None
        if interpreter:
            interpreter_row = Interpreter(
                mission_id=mission_id, name=f"Interpreter {tag}", language_pairs=[language_pair]
            )
            session.add(interpreter_row)
        if partner:
            partner_row = Interpreter(
                mission_id=mission_id, name=f"Partner {tag}", language_pairs=[language_pair]
            )
            session.add(partner_row)
        await session.flush()
        starts_at = now + starts_in
        meeting = Meeting(
            mission_id=mission_id,
            company_id=company.id,
            buyer_id=buyer.id,
            interpreter_id=interpreter_row.id if interpreter_row else None,
            partner_interpreter_id=partner_row.id if partner_row else None,
            language_pair=language_pair,
            starts_at=starts_at,
            ends_at=starts_at + length,
            status=status,
        )
        session.add(meeting)
        await session.flush()
        return MeetingRows(
            meeting.id,
            mission_id,
            company.id,
            buyer.id,
            interpreter_row.id if interpreter_row else None,
        )


async def issue_links(server: LiveServer, meeting_id: int, **body: Any) -> dict[str, str]:
    """Seat -> token of freshly issued links."""
    response = await server.http.post(f"/api/v1/meetings/{meeting_id}/links", json=body)
    assert response.status_code == 201, response.text
    return {link["seat"]: link["token"] for link in response.json()}


async def meeting_status(server: LiveServer, meeting_id: int) -> str:
    async with server.sessionmaker() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting.status.value


async def attendance(server: LiveServer, meeting_id: int) -> list[dict[str, Any]]:
    response = await server.http.get(f"/api/v1/meetings/{meeting_id}/attendance")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def wait_until(
    condition: Any, *, within: float = 15.0, interval: float = 0.02, what: str = "condition"
) -> Any:
    """Poll an async or plain callable until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(interval)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)

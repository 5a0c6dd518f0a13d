"""Clusters of real node processes (tests/live.py) on one PostgreSQL database, and the seats,
meetings and console sessions the cluster tests need."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.database import create_engine, create_sessionmaker
from app.meetings.models import Meeting
from bench.load import seed
from tests import principals
from tests.cluster.client import ClusterSeat
from tests.conftest import create_postgres_database, drop_postgres_database, migrate
from tests.live import LiveCluster

SECRET = "cluster-test-secret-key"
TONES = {"company": 440.0, "buyer": 660.0, "interpreter": 880.0}

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster_database() -> Iterator[str]:
    """One PostgreSQL database the nodes share (dropped afterwards)."""
    url = create_postgres_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_postgres_database(url)


def start_cluster(url: str, folder: Path, **settings: Any) -> LiveCluster:
    cluster = LiveCluster(url, folder, secret_key=SECRET, settings=settings)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@dataclass
class Meeting3:
    """A meeting open now in a mission: its id and its seats' tokens."""

    meeting_id: int
    mission_id: int
    tokens: dict[str, str]


async def meetings(database_url: str, count: int, seats: tuple[str, ...]) -> list[Meeting3]:
    """`count` meetings open now, in one mission, with links for `seats`."""
    specs = await seed(database_url, count, 60, SECRET, seats)
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            found = []
            for meeting_id in dict.fromkeys(spec.meeting_id for spec in specs):
                meeting = await session.get_one(Meeting, meeting_id)
                tokens = {s.seat: s.token for s in specs if s.meeting_id == meeting_id}
                found.append(Meeting3(meeting_id, meeting.mission_id, tokens))
            return found
    finally:
        await engine.dispose()


async def admin_headers(cluster: LiveCluster) -> dict[str, str]:
    engine = create_engine(cluster.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await principals.admin_headers(session, cluster.settings)
    finally:
        await engine.dispose()


@pytest.fixture
async def seats() -> AsyncIterator[list[ClusterSeat]]:
    made: list[ClusterSeat] = []
    yield made
    await asyncio.gather(*(seat.close() for seat in made))


async def close_rooms(cluster: LiveCluster, headers: dict[str, str], ids: list[int]) -> None:
    """End the meetings' rooms (organiser's "end now"), on whichever node each runs."""
    async with httpx.AsyncClient(base_url=cluster.base_url, headers=headers, timeout=30) as http:
        for meeting_id in ids:
            await http.post(f"/api/v1/meetings/{meeting_id}/room/close")

"""The organiser's live board: the snapshot API and the SSE feed, timed against the events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.rooms.client import MediaSeat, SeatClient
from tests.rooms.conftest import LiveServer, create_meeting, issue_links

FEED_DELAY = 1.0  # seconds from an event happening to the board seeing it


class BoardFeed:
    """Reads /board/events in the background; each event kept with its arrival time."""

    def __init__(self, server: LiveServer, mission_id: int) -> None:
        self.url = f"{server.base_url}/api/v1/missions/{mission_id}/board/events"
        self.events: list[tuple[float, dict[str, Any]]] = []  # (wall-clock arrival, event)
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        # Its own connection (a stream holds it), signed in as the live server's client is.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(10, read=None), headers=server.http.headers
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._read())
        await self.wait_for(lambda e: e["type"] == "snapshot")

    async def _read(self) -> None:
        async with self._client.stream("GET", self.url) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[len("data: ") :])
                    async with self._changed:
                        self.events.append((time.time(), event))
                        self._changed.notify_all()

    async def wait_for(self, predicate: Any, within: float = 10.0) -> tuple[float, dict[str, Any]]:
        def found() -> tuple[float, dict[str, Any]] | None:
            return next(((t, e) for t, e in self.events if predicate(e)), None)

        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: found() is not None)
        except TimeoutError:
            kinds = [e["type"] for _, e in self.events[-20:]]
            raise AssertionError(f"board event not seen within {within}s; got {kinds}") from None
        result = found()
        assert result is not None
        return result

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._client.aclose()


@pytest.fixture
async def cleanup() -> AsyncIterator[list[Any]]:
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        await thing.close()


def _lag(arrived: float, event: dict[str, Any]) -> float:
    return arrived - datetime.fromisoformat(event["at"]).astimezone(UTC).timestamp()


async def test_board_feed_shows_join_speaking_and_leave_within_a_second(
    live_server: LiveServer, cleanup: list[Any]
) -> None:
    rows = await create_meeting(live_server, interpreter=False)
    links = await issue_links(live_server, rows.meeting_id)
    feed = BoardFeed(live_server, rows.mission_id)
    cleanup.append(feed)
    await feed.start()

    company = MediaSeat(live_server.ws_url, rows.meeting_id, links["company"], name="company")
    cleanup.append(company)
    joined_at = time.time()
    await company.join()
    arrived, event = await feed.wait_for(
        lambda e: e["type"] == "presence" and e["seat"] == "company" and e["state"] == "joined"
    )
    assert event["meeting_id"] == rows.meeting_id
    assert arrived - joined_at < FEED_DELAY and _lag(arrived, event) < FEED_DELAY

    buyer = MediaSeat(live_server.ws_url, rows.meeting_id, links["buyer"], name="buyer")
    cleanup.append(buyer)
    buyer_joined = await buyer.join()
    _, event = await feed.wait_for(
        lambda e: e["type"] == "presence" and e["seat"] == "buyer" and e["phase"] == "live"
    )

    # The company's tone makes it a speaker; the board hears of it within a second.
    arrived, event = await feed.wait_for(
        lambda e: e["type"] == "speaking" and e["seat"] == "company" and e["speaking"]
    )
    assert _lag(arrived, event) < FEED_DELAY
    # The buyer knows too: from its join response if the company spoke first, or told.
    if "company" not in buyer_joined["data"]["speaking"]:
        await buyer.signal.wait_for(
            lambda m: m["type"] == "speaking" and m["seat"] == "company" and m["speaking"]
        )

    # The company stops publishing audio: speaking ends.
    stopped_at = time.time()
    reply = await company.signal.request("unpublish", kind="audio")
    assert reply["type"] == "response", reply
    arrived, event = await feed.wait_for(
        lambda e: e["type"] == "speaking" and e["seat"] == "company" and not e["speaking"]
    )
    assert arrived - stopped_at < FEED_DELAY and _lag(arrived, event) < FEED_DELAY

    # Media figures flow to the board as `stats` events.
    _, stats = await feed.wait_for(
        lambda e: (
            e["type"] == "stats"
            and e["meeting_id"] == rows.meeting_id
            and e["seats"].get("buyer", {}).get("media", {}).get("bytes_in", 0) > 0
        )
    )
    assert stats["seconds_left"] > 0

    # The buyer leaves.
    left_at = time.time()
    assert (await buyer.signal.request("leave"))["type"] == "response"
    arrived, event = await feed.wait_for(
        lambda e: e["type"] == "presence" and e["seat"] == "buyer" and e["state"] == "left"
    )
    assert arrived - left_at < FEED_DELAY and _lag(arrived, event) < FEED_DELAY
    assert event["phase"] == "lobby"


async def test_board_snapshot_lists_every_meeting_of_the_mission(
    live_server: LiveServer, cleanup: list[Any]
) -> None:
    first = await create_meeting(live_server)
    second = await create_meeting(live_server, mission_id=first.mission_id)
    links = await issue_links(live_server, first.meeting_id)
    company = await SeatClient(
        live_server.ws_url, first.meeting_id, links["company"], name="company"
    ).connect()
    cleanup.append(company)
    await company.join(device="booth-3")

    response = await live_server.http.get(f"/api/v1/missions/{first.mission_id}/board")
    assert response.status_code == 200, response.text
    board = {room["meeting_id"]: room for room in response.json()["rooms"]}
    assert set(board) == {first.meeting_id, second.meeting_id}
    assert board[second.meeting_id]["open"] is False
    live = board[first.meeting_id]["live"]
    assert board[first.meeting_id]["status"] == "live"
    assert live["phase"] == "lobby"
    assert live["seats"]["company"]["state"] == "joined"
    assert live["seats"]["company"]["device"] == "booth-3"
    assert 0 < live["seconds_left"] <= 29 * 60
    assert live["labels"]["buyer"] == "Almaty Trade (KZ)"

    missing = await live_server.http.get("/api/v1/missions/999999/board")
    assert missing.status_code == 404

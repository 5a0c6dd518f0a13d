"""Two real node processes of one cluster (Redis at 127.0.0.1:6379, PostgreSQL): placement by
load, seats that reach different nodes meeting in one room with media both ways, the board of
one node showing a room of the other, a rate limit counted across nodes, and admission past
capacity (2 rooms per node): the fifth room is refused, the four running ones keep going."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster.client import ClusterSeat, JoinRefused
from tests.cluster.conftest import (
    TONES,
    admin_headers,
    close_rooms,
    meetings,
    start_cluster,
)
from tests.live import LiveCluster
from tests.media.waiting import wait_for

pytestmark = pytest.mark.postgres

MEDIA_TIMEOUT_S = 60.0
CAPACITY = 2  # rooms per node


@pytest.fixture(scope="module")
def cluster(
    cluster_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveCluster]:
    folder = tmp_path_factory.mktemp("cluster")
    live = start_cluster(
        cluster_database,
        folder,
        node_max_rooms=CAPACITY,
        # Low enough for the rate-limit test to reach from one client address; the other
        # tests' requests come from 127.0.0.1, a bucket of their own.
        api_rate_per_second=2,
        api_rate_burst=100,
        board_stats_interval_seconds=0.5,
    )
    yield live
    live.stop()
    assert not live.exceptions(), live.logs()


def _rooms_per_node(cluster: LiveCluster) -> dict[str, int]:
    return {
        node.name: int(cluster.redis.scard(f"{cluster.prefix}:rooms:{node.name}"))
        for node in cluster.nodes
    }


async def _idle(cluster: LiveCluster) -> None:
    """No room placed anywhere (the previous test's rooms are released)."""
    await wait_for(lambda: not any(_rooms_per_node(cluster).values()), 30, "every node to be free")


def _hears(seat: ClusterSeat, speaker: str) -> bool:
    heard = seat.media.heard_from(speaker)
    return heard is not None and abs(heard - TONES[speaker]) < 15


async def _sees_and_hears(seat: ClusterSeat, speakers: list[str], *, video: list[str]) -> None:
    for speaker in video:
        await wait_for(
            lambda s=speaker: seat.media.frames_from(s) >= 10,  # type: ignore[misc]
            MEDIA_TIMEOUT_S,
            f"{seat.name} decodes {speaker}'s video; {seat.media.describe()}",
        )
    for speaker in speakers:
        await wait_for(
            lambda s=speaker: _hears(seat, s),  # type: ignore[misc]
            MEDIA_TIMEOUT_S,
            f"{seat.name} hears {speaker}'s tone; {seat.media.describe()}",
        )


def _other(cluster: LiveCluster, name: str) -> str:
    return next(node.name for node in cluster.nodes if node.name != name)


async def test_rooms_spread_by_load_and_seats_reaching_different_nodes_meet_in_one_room(
    cluster: LiveCluster, seats: list[ClusterSeat]
) -> None:
    await _idle(cluster)
    first, second = await meetings(cluster.database_url, 2, ("company", "buyer", "interpreter"))
    a, b = cluster["node-a"], cluster["node-b"]
    headers = await admin_headers(cluster)
    try:
        # Both meetings' first requests reach node A; the second room goes to B all the same,
        # because A already has one room and B none.
        company = ClusterSeat(first.meeting_id, first.tokens["company"], name="company")
        seats.append(company)
        await company.join(a.node_url)
        home = cluster.node_of(first.meeting_id)
        assert home == "node-a", home  # equal load: the node that was asked, no redirect
        other = ClusterSeat(second.meeting_id, second.tokens["company"], name="company-2")
        seats.append(other)
        details = await other.join(a.node_url)
        assert cluster.node_of(second.meeting_id) == "node-b"
        assert details["websocket_url"] == f"{b.node_ws_url}/ws/rooms/{second.meeting_id}"
        assert other.connected_to == [details["websocket_url"]]

        # The buyer's first request reaches B, the interpreter's websocket goes straight to
        # B: both end up in the one room on A.
        buyer = ClusterSeat(
            first.meeting_id, first.tokens["buyer"], name="buyer", tone_hz=TONES["buyer"]
        )
        seats.append(buyer)
        details = await buyer.join(b.node_url)
        assert details["websocket_url"] == f"{a.node_ws_url}/ws/rooms/{first.meeting_id}"
        interpreter = ClusterSeat(
            first.meeting_id,
            first.tokens["interpreter"],
            name="interpreter",
            tone_hz=TONES["interpreter"],
            video=False,
        )
        seats.append(interpreter)
        await interpreter.connect(
            f"{b.node_ws_url}/ws/rooms/{first.meeting_id}",
            entry=f"ws://127.0.0.1:{cluster.port}/ws/rooms/{first.meeting_id}",
        )
        assert interpreter.redirects == [f"{a.node_ws_url}/ws/rooms/{first.meeting_id}"]
        assert cluster.node_of(first.meeting_id) == "node-a"

        room = [company, buyer, interpreter]
        await asyncio.gather(
            *(
                _sees_and_hears(
                    seat,
                    [other.name for other in room if other is not seat],
                    video=[name for name in ("company", "buyer") if name != seat.name],
                )
                for seat in room
            )
        )
        state = company.media.signal.of_type("room_state")[-1]
        assert state["phase"] == "live"
        assert {state["seats"][name] for name in ("company", "buyer", "interpreter")} == {"joined"}

        # Node A's /metrics (Prometheus text): its one room, three seats, packets forwarded,
        # and the placement it made on each node.
        async def metrics() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
            async with httpx.AsyncClient() as http:
                text = (await http.get(f"{a.node_url}/metrics")).text
            return {
                (sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
            }

        node_a = (("node", "node-a"),)

        async def counted() -> bool:
            found = await metrics()
            return (
                found[("tradebooth_rooms", node_a)] == 1
                and found[("tradebooth_seats", node_a)] == 3
                and found[("tradebooth_packets_out_total", node_a)] > 0
                and found[("tradebooth_cpu_seconds_per_1000_packets", node_a)] > 0
            )

        await wait_for(counted, 30, "node A's metrics to count its room")
        found = await metrics()
        placed = {
            dict(labels)["target"]: value
            for (name, labels), value in found.items()
            if name == "tradebooth_placements_total"
        }
        assert placed == {"node-a": 1, "node-b": 1}
        assert found[("tradebooth_packets_in_total", node_a)] > 0
        assert found[("tradebooth_joins_refused_total", node_a)] == 0
    finally:
        await close_rooms(cluster, headers, [first.meeting_id, second.meeting_id])


async def _sse_events(url: str, headers: dict[str, str], into: list[dict[str, Any]]) -> None:
    async with (
        httpx.AsyncClient(headers=headers, timeout=None) as http,
        http.stream("GET", url) as response,
    ):
        assert response.status_code == 200, await response.aread()
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                into.append({"event": event} | json.loads(line.removeprefix("data: ")))


async def test_the_board_served_by_one_node_shows_presence_in_a_room_on_the_other(
    cluster: LiveCluster, seats: list[ClusterSeat]
) -> None:
    await _idle(cluster)
    (meeting,) = await meetings(cluster.database_url, 1, ("company", "buyer"))
    headers = await admin_headers(cluster)
    company = ClusterSeat(meeting.meeting_id, meeting.tokens["company"], name="company")
    seats.append(company)
    feed: list[dict[str, Any]] = []
    reader: asyncio.Task[None] | None = None
    try:
        await company.join(cluster["node-a"].node_url)
        home = cluster.node_of(meeting.meeting_id)
        assert home is not None
        board = cluster[_other(cluster, home)]  # the node without the room serves the board
        url = f"{board.node_url}/api/v1/missions/{meeting.mission_id}/board/events"
        reader = asyncio.create_task(_sse_events(url, headers, feed))
        await wait_for(lambda: any(e["event"] == "snapshot" for e in feed), 30, "the snapshot")
        snapshot = next(e for e in feed if e["event"] == "snapshot")
        (room,) = [r for r in snapshot["rooms"] if r["meeting_id"] == meeting.meeting_id]
        assert room["node"] == home and room["seats"]["company"]["state"] == "joined"

        buyer = ClusterSeat(
            meeting.meeting_id, meeting.tokens["buyer"], name="buyer", tone_hz=TONES["buyer"]
        )
        seats.append(buyer)
        await buyer.join(board.node_url)

        def buyer_joined() -> bool:
            return any(
                e["event"] == "presence"
                and e["meeting_id"] == meeting.meeting_id
                and (e["seat"], e["state"]) == ("buyer", "joined")
                for e in feed
            )

        await wait_for(buyer_joined, 30, f"the buyer's presence on {board.name}'s board: {feed}")
        await wait_for(
            lambda: any(
                e["event"] == "stats" and e["meeting_id"] == meeting.meeting_id for e in feed
            ),
            30,
            "media figures of the room on the other node",
        )
        async with httpx.AsyncClient(base_url=board.node_url, headers=headers) as http:
            data = (await http.get(f"/api/v1/missions/{meeting.mission_id}/board")).json()
        (row,) = [r for r in data["rooms"] if r["meeting_id"] == meeting.meeting_id]
        assert row["open"] and row["node"] == home
        assert row["live"]["phase"] == "live"
        assert row["live"]["seats"]["buyer"]["state"] == "joined"
    finally:
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await close_rooms(cluster, headers, [meeting.meeting_id])


async def test_a_rate_limit_hit_through_one_node_counts_on_the_other(
    cluster: LiveCluster,
) -> None:
    a, b = cluster["node-a"], cluster["node-b"]

    def client(base_url: str, address: str) -> httpx.AsyncClient:
        # A client address of its own: the other tests' requests do not share its bucket.
        transport = httpx.AsyncHTTPTransport(local_address=address)
        return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30)

    async with (
        client(a.node_url, "127.0.0.7") as via_a,
        client(b.node_url, "127.0.0.7") as via_b,
        client(b.node_url, "127.0.0.8") as neighbour,
    ):
        statuses = []
        while not statuses or statuses[-1] != 429:
            statuses.append((await via_a.get("/api/v1/missions")).status_code)
            assert len(statuses) <= 150, "node A never limited the client"
        # The burst (100) went through A; the bucket is empty for B as well.
        assert len(statuses) >= 100 and 429 not in statuses[:-1]
        refused = await via_b.get("/api/v1/missions")
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
        assert (await neighbour.get("/api/v1/missions")).status_code != 429


async def test_past_capacity_the_fifth_room_is_refused_and_the_four_running_keep_going(
    cluster: LiveCluster, seats: list[ClusterSeat]
) -> None:
    await _idle(cluster)
    rooms = await meetings(cluster.database_url, 5, ("company", "buyer"))
    running, surplus = rooms[:4], rooms[4]
    headers = await admin_headers(cluster)
    try:
        # Four rooms, two per node: each with a company sending video and a tone, and a
        # buyer (audio only) that decodes the company's video.
        pairs = []
        for index, meeting in enumerate(running):
            via = cluster.nodes[index % 2].node_url
            company = ClusterSeat(meeting.meeting_id, meeting.tokens["company"], name="company")
            buyer = ClusterSeat(
                meeting.meeting_id,
                meeting.tokens["buyer"],
                name="buyer",
                tone_hz=TONES["buyer"],
                video=False,
            )
            seats += [company, buyer]
            await company.join(via)
            await buyer.join(via)
            pairs.append((company, buyer))
        assert _rooms_per_node(cluster) == {"node-a": CAPACITY, "node-b": CAPACITY}
        await asyncio.gather(
            *(_sees_and_hears(buyer, ["company"], video=["company"]) for _, buyer in pairs)
        )

        # The fifth meeting: refused through either node, with Retry-After; on the
        # websocket, closed with 1013 (try again later).
        for node in cluster.nodes:
            surplus_seat = ClusterSeat(surplus.meeting_id, surplus.tokens["company"], name="x")
            with pytest.raises(JoinRefused) as refused:
                await surplus_seat.join(node.node_url)
            assert refused.value.status == 503
            assert refused.value.body["code"] == "no_capacity"
            assert refused.value.retry_after is not None and int(refused.value.retry_after) > 0
        direct = ClusterSeat(surplus.meeting_id, surplus.tokens["buyer"], name="direct")
        with pytest.raises(JoinRefused) as refused:
            await direct.connect(
                f"{cluster['node-a'].node_ws_url}/ws/rooms/{surplus.meeting_id}", entry=""
            )
        assert refused.value.body["code"] == "no_capacity"
        assert cluster.node_of(surplus.meeting_id) is None

        # The running rooms keep decoding: every buyer gets at least 30 more frames.
        before = [buyer.media.frames_from("company") for _, buyer in pairs]
        await wait_for(
            lambda: all(
                buyer.media.frames_from("company") >= count + 30
                for (_, buyer), count in zip(pairs, before, strict=True)
            ),
            MEDIA_TIMEOUT_S,
            "frames to keep coming in the four running rooms",
        )
        assert all(not company.drops and not buyer.drops for company, buyer in pairs)

        # The organiser's board shows the refused meeting (whichever node serves it).
        async with httpx.AsyncClient(base_url=cluster.base_url, headers=headers) as http:
            board = (await http.get(f"/api/v1/missions/{surplus.mission_id}/board")).json()
        (row,) = [r for r in board["rooms"] if r["meeting_id"] == surplus.meeting_id]
        assert not row["open"] and row["refused_at"] is not None
        opened = [r for r in board["rooms"] if r["open"]]
        assert sorted(r["node"] for r in opened) == ["node-a", "node-a", "node-b", "node-b"]
    finally:
        await close_rooms(cluster, headers, [meeting.meeting_id for meeting in rooms])
